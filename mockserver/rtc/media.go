package rtc

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/thesyncim/gopus"
)

// Audio framing: the session core's PCM16 mono 24 kHz, and Opus over RTP
// with its 48 kHz clock, 20 ms per packet.
const (
	pcmRate        = 24000
	frameDuration  = 20 * time.Millisecond
	frameSamples   = pcmRate / 50 // 480 samples of 24 kHz audio per packet
	frameBytes     = 2 * frameSamples
	rtpClockRate   = 48000
	frameTicks     = rtpClockRate / 50 // RTP timestamp step per packet
	opusPayload    = 111               // the payload type browsers offer Opus with
	maxOpusPacket  = 4000              // bytes; enough for any Opus packet
	maxDecodedSize = 5760              // samples per channel in one Opus packet (120 ms at 48 kHz)
)

// media is the WebRTC stack the Handler's calls share: Opus only, ICE on
// loopback host candidates in ICE-lite mode (the client's connectivity
// checks tell the answerer where it is, so the offer needs no candidates
// and no STUN or TURN is involved), DTLS-SRTP.
type media struct {
	api *webrtc.API
}

func newMedia() (*media, error) {
	m := &webrtc.MediaEngine{}
	err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: opusCapability(),
		PayloadType:        opusPayload,
	}, webrtc.RTPCodecTypeAudio)
	if err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetLite(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return &media{api: api}, nil
}

func opusCapability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeOpus,
		ClockRate:   rtpClockRate,
		Channels:    2,
		SDPFmtpLine: "minptime=10;useinbandfec=1",
	}
}

// newOpusEncoder returns the encoder of a call's outgoing audio: mono,
// fed 24 kHz PCM, which the codec band-limits and codes at its 48 kHz
// internal rate (the RTP stream is standard 48 kHz Opus). Complexity 0
// costs about a third of the default 10 per packet, and the round trips
// TestOpusQuality measures lose nothing by it (docs/webrtc.md).
func newOpusEncoder() (*gopus.Encoder, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: pcmRate, Channels: 1, Application: gopus.ApplicationAudio})
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	if err := enc.SetComplexity(0); err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	return enc, nil
}

// newOpusDecoder returns the decoder of a call's incoming audio: any Opus
// stream (a browser's is 48 kHz, often signalled stereo) decoded to mono
// PCM at 24 kHz by the codec's own rate conversion.
func newOpusDecoder() (*gopus.Decoder, error) {
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(pcmRate, 1))
	if err != nil {
		return nil, fmt.Errorf("opus decoder: %w", err)
	}
	return dec, nil
}
