package rtc

import (
	"encoding/binary"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/thesyncim/gopus"
)

// Bounds on filling in a gap in the client's audio.
const (
	maxConcealed = 5                 // lost packets rebuilt by the codec's loss concealment
	maxGapTicks  = 10 * rtpClockRate // a longer gap is a broken stream, not silence: not filled
)

// listen decodes the client's microphone track and hands it to the
// Session, until the track ends.
func (c *call) listen(tr *webrtc.TrackRemote) {
	dec, err := newOpusDecoder()
	if err != nil {
		c.log.Warn("client audio not decoded", "err", err)
		return
	}
	l := listener{dec: dec, pcm: make([]int16, maxDecodedSize)}
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		at := c.clock.Now()
		if out := l.decode(pkt); len(out) > 0 {
			ts, seq := pkt.Timestamp, pkt.SequenceNumber
			c.in.push(func(s Session) {
				if c.packets != nil {
					c.packets.ClientPacket(out, ts, seq, at)
				}
				s.ClientAudio(out, at)
			})
		}
	}
}

// listener turns a stream of Opus RTP packets into the PCM timeline: late
// and duplicate packets are dropped, lost ones concealed, and a pause the
// client's timestamps show (DTX, a muted track) filled with silence.
type listener struct {
	dec     *gopus.Decoder
	pcm     []int16
	started bool
	seq     uint16
	nextTS  uint32 // the timestamp the next packet should have
}

// decode returns the PCM16 LE bytes (24 kHz mono) that pkt adds to the
// timeline, with whatever fills the gap before it.
func (l *listener) decode(pkt *rtp.Packet) []byte {
	var out []byte
	if l.started {
		dseq := int16(pkt.SequenceNumber - l.seq)
		if dseq <= 0 {
			return nil
		}
		out = l.fill(int(dseq)-1, int32(pkt.Timestamp-l.nextTS))
	}
	n, err := l.dec.DecodeInt16(pkt.Payload, l.pcm)
	if err != nil {
		// A packet the codec cannot read counts as lost.
		n, _ = l.dec.DecodeInt16(nil, l.pcm)
	}
	out = appendPCM(out, l.pcm[:n])
	l.started, l.seq = true, pkt.SequenceNumber
	l.nextTS = pkt.Timestamp + uint32(n*rtpClockRate/pcmRate)
	return out
}

// fill returns the audio for a gap of lost packets and gapTicks of RTP
// time: codec concealment for up to maxConcealed lost packets, silence
// for the rest.
func (l *listener) fill(lost int, gapTicks int32) []byte {
	if gapTicks <= 0 || gapTicks > maxGapTicks {
		return nil
	}
	want := int(gapTicks) * pcmRate / rtpClockRate // samples
	var out []byte
	for i := 0; i < lost && i < maxConcealed && len(out)/2 < want; i++ {
		n, err := l.dec.DecodeInt16(nil, l.pcm)
		if err != nil || n == 0 {
			break
		}
		n = min(n, want-len(out)/2)
		out = appendPCM(out, l.pcm[:n])
	}
	if rest := want - len(out)/2; rest > 0 {
		out = append(out, make([]byte, 2*rest)...)
	}
	return out
}

func appendPCM(dst []byte, s []int16) []byte {
	for _, v := range s {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
	}
	return dst
}
