package rtc

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/rtp"
	"github.com/rtmock/rtmock/audio"
	"github.com/thesyncim/gopus"
)

// sine returns ms of a sine of hz at the given sample rate and peak (0..1).
func sine(hz float64, rate, ms int, peak float64) []int16 {
	out := make([]int16, rate/1000*ms)
	for i := range out {
		out[i] = int16(math.Round(peak * 32767 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))))
	}
	return out
}

func speechWAV(t *testing.T) []int16 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "audio", "testdata", "speech-24k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := audio.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	return w.Mono()
}

// encodeFrames encodes 20 ms frames of pcm at rate with enc.
func encodeFrames(t *testing.T, enc *gopus.Encoder, pcm []int16, rate int) [][]byte {
	t.Helper()
	var out [][]byte
	buf := make([]byte, maxOpusPacket)
	fr := rate / 50
	for off := 0; off+fr <= len(pcm); off += fr {
		n, err := enc.EncodeInt16(pcm[off:off+fr], buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), buf[:n]...))
	}
	return out
}

func decodeFrames(t *testing.T, dec *gopus.Decoder, pkts [][]byte) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, maxDecodedSize)
	for _, p := range pkts {
		n, err := dec.DecodeInt16(p, buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf[:n]...)
	}
	return out
}

// compare aligns got to want (got lags by the codec's delay, found in a
// second of it) and returns the lag, and the correlation coefficient and
// the SNR in dB of got against want over the whole signal.
func compare(want, got []int16, maxLag int) (lag int, corr, snr float64) {
	best := -2.0
	off := len(want) / 4 // past the speech fixture's leading second of silence
	for l := 0; l <= maxLag && off+l < len(got); l++ {
		if c := correlation(want[off:], got[off+l:], 100*maxLag); c > best {
			best, lag = c, l
		}
	}
	corr = correlation(want, got[lag:], len(want))
	n := min(len(want), len(got)-lag)
	var sig, noise float64
	for i := range n {
		a, b := float64(want[i]), float64(got[i+lag])
		sig += a * a
		noise += (a - b) * (a - b)
	}
	return lag, corr, 10 * math.Log10(sig/noise)
}

// correlation is the correlation coefficient of x and y over their first
// (at most) n samples.
func correlation(x, y []int16, n int) float64 {
	n = min(n, len(x), len(y))
	var sxy, sxx, syy float64
	for i := range n {
		a, b := float64(x[i]), float64(y[i])
		sxy += a * b
		sxx += a * a
		syy += b * b
	}
	return sxy / math.Sqrt(sxx*syy+1e-9)
}

// pitch estimates a tone's frequency by zero crossings.
func pitch(s []int16, rate int) float64 {
	c := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			c++
		}
	}
	return float64(c) / 2 / (float64(len(s)) / float64(rate))
}

func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// TestOpusQuality measures the codec round trips a call makes: the mock's
// 24 kHz audio as the browser decodes it (48 kHz) and as the mock's own
// decoder gives it back, and a browser's 48 kHz microphone as the session
// gets it (24 kHz). Tones must keep pitch and level; speech must keep its
// waveform (correlation) to within the codec's loss.
func TestOpusQuality(t *testing.T) {
	speech := speechWAV(t)
	dec48, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		in        []int16 // at the encoder's rate
		inRate    int
		enc       func() *gopus.Encoder
		dec       *gopus.Decoder
		want      []int16 // at the decoder's rate
		outRate   int
		tone      float64 // Hz; 0 for speech
		minCorr   float64
		minSNR    float64
		skipStart int // samples of codec start-up left out of pitch and level
	}{
		{"440 Hz tone, mock to browser", sine(440, 24000, 1000, 0.5), 24000, mockEncoder(t), dec48, sine(440, 48000, 1000, 0.5), 48000, 440, 0.999, 25, 960},
		{"440 Hz tone, mock to mock", sine(440, 24000, 1000, 0.5), 24000, mockEncoder(t), mockDecoder(t), sine(440, 24000, 1000, 0.5), 24000, 440, 0.999, 25, 480},
		{"1 kHz tone, browser to mock", sine(1000, 48000, 1000, 0.5), 48000, browserEncoder(t), mockDecoder(t), sine(1000, 24000, 1000, 0.5), 24000, 1000, 0.99, 15, 480},
		{"speech, mock to mock", speech, 24000, mockEncoder(t), mockDecoder(t), speech, 24000, 0, 0.99, 15, 0},
		{"speech, browser to mock", upsample2(speech), 48000, browserEncoder(t), mockDecoder(t), speech, 24000, 0, 0.95, 8, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeFrames(t, tc.dec, encodeFrames(t, tc.enc(), tc.in, tc.inRate))
			lag, corr, snr := compare(tc.want, got, tc.outRate/100)
			t.Logf("lag %d samples (%.1f ms), correlation %.4f, SNR %.1f dB", lag, float64(lag)*1000/float64(tc.outRate), corr, snr)
			if corr < tc.minCorr || snr < tc.minSNR {
				t.Errorf("correlation %.4f, SNR %.1f dB; want ≥ %.3f and ≥ %.0f dB", corr, snr, tc.minCorr, tc.minSNR)
			}
			if tc.tone == 0 {
				return
			}
			body := got[tc.skipStart:]
			hz, level, wantLevel := pitch(body, tc.outRate), rms(body), rms(tc.want)
			t.Logf("pitch %.1f Hz, level %.0f (want %.0f)", hz, level, wantLevel)
			if math.Abs(hz-tc.tone) > 2 || math.Abs(level-wantLevel)/wantLevel > 0.05 {
				t.Errorf("pitch %.1f Hz at level %.0f, want %.0f Hz at %.0f ± 5%%", hz, level, tc.tone, wantLevel)
			}
		})
	}
}

func mockEncoder(t *testing.T) func() *gopus.Encoder {
	return func() *gopus.Encoder {
		enc, err := newOpusEncoder()
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
}

// browserEncoder is a browser's microphone encoder: 48 kHz, VoIP.
func browserEncoder(t *testing.T) func() *gopus.Encoder {
	return func() *gopus.Encoder {
		enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
}

func mockDecoder(t *testing.T) *gopus.Decoder {
	dec, err := newOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// upsample2 doubles the rate by linear interpolation (test input only).
func upsample2(s []int16) []int16 {
	out := make([]int16, 2*len(s))
	for i, v := range s {
		next := v
		if i+1 < len(s) {
			next = s[i+1]
		}
		out[2*i], out[2*i+1] = v, int16((int32(v)+int32(next))/2)
	}
	return out
}

// packets makes RTP packets of 20 ms Opus frames of pcm (48 kHz).
func packets(t *testing.T, pcm []int16) []*rtp.Packet {
	t.Helper()
	var out []*rtp.Packet
	for i, p := range encodeFrames(t, browserEncoder(t)(), pcm, 48000) {
		out = append(out, &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(65530 + i), Timestamp: uint32(4294967000 + 960*i)}, Payload: p})
	}
	return out
}

// TestListenerTimeline checks that the client's audio keeps its timeline:
// a lost packet is concealed, a pause in the timestamps is silence, late
// and repeated packets are dropped, and sequence and timestamp wrap-around
// changes nothing.
func TestListenerTimeline(t *testing.T) {
	ps := packets(t, sine(600, 48000, 400, 0.3)) // 20 packets, wrapping seq and timestamp
	cases := []struct {
		name    string
		order   []int       // packet indexes in arrival order
		shift   map[int]int // extra timestamp ticks per packet index (a pause before it)
		samples int         // 24 kHz samples out, in all
		silent  [2]int      // a stretch (samples) that must be silent; zero: none
	}{
		{"in order", seq(0, 20), nil, 20 * 480, [2]int{}},
		{"one lost", without(seq(0, 20), 7), nil, 20 * 480, [2]int{}},
		{"three lost", without(seq(0, 20), 5, 6, 7), nil, 20 * 480, [2]int{}},
		{"late packet dropped", []int{0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, nil, 20 * 480, [2]int{}},
		{"repeated packet dropped", []int{0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, nil, 20 * 480, [2]int{}},
		{"pause of 100 ms", seq(0, 20), map[int]int{10: 4800}, 20*480 + 2400, [2]int{10 * 480, 10*480 + 2400}},
		{"pause beyond 10 s is not filled", seq(0, 20), map[int]int{10: 11 * 48000}, 20 * 480, [2]int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := listener{dec: mockDecoder(t), pcm: make([]int16, maxDecodedSize)}
			var out []byte
			for _, i := range tc.order {
				p := *ps[i]
				for j, extra := range tc.shift {
					if i >= j {
						p.Timestamp += uint32(extra)
					}
				}
				out = append(out, l.decode(&p)...)
			}
			if got := len(out) / 2; got != tc.samples {
				t.Fatalf("%d samples, want %d", got, tc.samples)
			}
			if tc.silent != [2]int{} {
				for i := tc.silent[0]; i < tc.silent[1]; i++ {
					if v := int16(binary.LittleEndian.Uint16(out[2*i:])); v != 0 {
						t.Fatalf("sample %d of the pause is %d, want silence", i, v)
					}
				}
			}
		})
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func without(s []int, drop ...int) []int {
	var out []int
	for _, v := range s {
		keep := true
		for _, d := range drop {
			keep = keep && v != d
		}
		if keep {
			out = append(out, v)
		}
	}
	return out
}

// BenchmarkOpusEncode is the cost of one 20 ms packet of the assistant's
// audio: 50 of them make a session-second.
func BenchmarkOpusEncode(b *testing.B) {
	enc, err := newOpusEncoder()
	if err != nil {
		b.Fatal(err)
	}
	pcm := sine(440, pcmRate, 1000, 0.5)
	buf := make([]byte, maxOpusPacket)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		off := (i % 50) * frameSamples
		if _, err := enc.EncodeInt16(pcm[off:off+frameSamples], buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpusDecode is the cost of one 20 ms packet of a browser's
// microphone (48 kHz VoIP Opus) decoded to the session's 24 kHz.
func BenchmarkOpusDecode(b *testing.B) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		b.Fatal(err)
	}
	pcm := sine(440, 48000, 1000, 0.5)
	var pkts [][]byte
	buf := make([]byte, maxOpusPacket)
	for off := 0; off+960 <= len(pcm); off += 960 {
		n, err := enc.EncodeInt16(pcm[off:off+960], buf)
		if err != nil {
			b.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
	}
	dec, err := newOpusDecoder()
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int16, maxDecodedSize)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := dec.DecodeInt16(pkts[i%len(pkts)], out); err != nil {
			b.Fatal(err)
		}
	}
}
