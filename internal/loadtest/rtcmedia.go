package loadtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/rtmock/rtmock/audio"
	"github.com/thesyncim/gopus"
)

// The media of a WebRTC run, on both sides: Opus over RTP with its 48 kHz
// clock, 20 ms per packet, as the mock's transport (mockserver/rtc) sends
// and expects it.
const (
	rtcFrame        = 20 * time.Millisecond
	rtcClockRate    = 48000
	rtcFrameTicks   = rtcClockRate / 50 // RTP timestamp step of a packet
	rtcPCMRate      = 24000             // the core's PCM and the raw server's
	rtcFrameSamples = rtcPCMRate / 50
	rtcOpusPayload  = 111
	rtcMaxPacket    = 4000 // bytes; any Opus packet fits
	rtcMaxDecoded   = 5760 // samples per channel of one Opus packet (120 ms at 48 kHz)
	// micLevel is the peak of the clients' microphone noise, 0..1 of full
	// scale: −40 dBFS, whose RMS (−44.8 dBFS) stays under the server VAD's
	// default threshold (−35 dBFS), so the microphone is decoded and fed
	// to the VAD without ever interrupting a reply.
	micLevel = 0.01
)

// DefaultRTCPath is what WebRTC sessions post their SDP offer to when
// Options.Path does not say: OpenAI's calls route.
const DefaultRTCPath = "/v1/realtime/calls"

// rtcKey is the standard key the clients send; the mock takes any key
// unless it was started with one.
const rtcKey = "rtmock-bench"

func rtcOpusCapability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeOpus,
		ClockRate:   rtcClockRate,
		Channels:    2,
		SDPFmtpLine: "minptime=10;useinbandfec=1",
	}
}

// newRTCAPI returns a pion API configured as the mock's transport is:
// Opus only, RTCP sender and receiver reports, UDP on loopback host
// candidates, no mDNS. lite makes it an ICE-lite answerer (the servers).
func newRTCAPI(lite bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: rtcOpusCapability(), PayloadType: rtcOpusPayload}, webrtc.RTPCodecTypeAudio)
	if err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetLite(lite)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// newReplyEncoder returns the encoder of a server's outgoing audio, made
// as the mock's transport makes it: mono 24 kHz PCM in, complexity 0.
func newReplyEncoder() (*gopus.Encoder, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: rtcPCMRate, Channels: 1, Application: gopus.ApplicationAudio})
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	if err := enc.SetComplexity(0); err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	return enc, nil
}

// newMicDecoder returns the decoder of a server's incoming audio, made as
// the mock's transport makes it: any Opus stream to mono 24 kHz PCM.
func newMicDecoder() (*gopus.Decoder, error) {
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(rtcPCMRate, 1))
	if err != nil {
		return nil, fmt.Errorf("opus decoder: %w", err)
	}
	return dec, nil
}

// micPackets returns one second of the clients' microphone, encoded once
// and shared by every client: 50 Opus packets of quiet white noise, coded
// as a browser codes its microphone (48 kHz, VoIP).
func micPackets() ([][]byte, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: rtcClockRate, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pcm := make([]int16, rtcClockRate/50)
	buf := make([]byte, rtcMaxPacket)
	out := make([][]byte, 50)
	for i := range out {
		for j := range pcm {
			pcm[j] = int16(math.Round(micLevel * 32767 * (2*rng.Float64() - 1)))
		}
		n, err := enc.EncodeInt16(pcm, buf)
		if err != nil {
			return nil, fmt.Errorf("encode the microphone: %w", err)
		}
		out[i] = append([]byte(nil), buf[:n]...)
	}
	return out, nil
}

// toneFrames returns one second of the mock's default reply audio (a
// 440 Hz sine at 0.3 of full scale, 24 kHz) as 50 frames of 20 ms: what the
// raw server encodes, as the mock's transport encodes its core's audio.
func toneFrames() ([][]int16, error) {
	tone, err := audio.NewTone(audio.PCM16, 440, 0.3)
	if err != nil {
		return nil, err
	}
	frames := make([][]int16, 50)
	for i := range frames {
		b := tone.AppendBytes(nil, 2*rtcFrameSamples*i, 2*rtcFrameSamples)
		f := make([]int16, rtcFrameSamples)
		for j := range f {
			f[j] = int16(uint16(b[2*j]) | uint16(b[2*j+1])<<8)
		}
		frames[i] = f
	}
	return frames, nil
}

// httpBase turns a server's URL (ws://, as split processes report it, or
// http://) into http://.
func httpBase(u string) string {
	if rest, ok := strings.CutPrefix(u, "ws"); ok {
		return "http" + rest
	}
	return u
}
