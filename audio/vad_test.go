package audio

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// seg is one stretch of a test signal.
type seg struct {
	ms    int
	hz    float64 // 0 for silence or noise
	dbfs  float64 // level of the tone (peak) or of the noise (RMS, sine-relative)
	noise bool
}

func silence(ms int) seg                { return seg{ms: ms} }
func tone(ms int, hz, dbfs float64) seg { return seg{ms: ms, hz: hz, dbfs: dbfs} }
func noise(ms int, dbfs float64) seg    { return seg{ms: ms, dbfs: dbfs, noise: true} }

// signal renders segments in format f. Tones keep their phase from the
// start of the signal; noise is seeded, so signals are reproducible.
func signal(t testing.TB, f Format, segs ...seg) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	var out []byte
	for _, s := range segs {
		n := s.ms * f.BytesPerMs()
		switch {
		case s.noise:
			// RMS of uniform noise is peak/√3; sine-relative level is
			// 20·log10(√2·rms).
			peak := math.Pow(10, s.dbfs/20) / math.Sqrt2 * math.Sqrt(3)
			out = AppendNoise(out, f, n, peak, rng)
		case s.hz > 0:
			out = mustTone(t, f, s.hz, math.Pow(10, s.dbfs/20)).AppendBytes(out, len(out), n)
		default:
			out = NewSilence(f).AppendBytes(out, 0, n)
		}
	}
	return out
}

// feed feeds data in chunks of the given sizes (cycled) and returns all
// events, checking on the way that no event runs ahead of the audio fed.
func feed(t testing.TB, v *VAD, data []byte, chunks ...int) []VADEvent {
	t.Helper()
	var all []VADEvent
	for i := 0; len(data) > 0; i++ {
		n := min(chunks[i%len(chunks)], len(data))
		before := v.Position()
		evs := v.Feed(data[:n])
		data = data[n:]
		pos := v.Position()
		if pos < before {
			t.Fatalf("position went back from %d to %d", before, pos)
		}
		for _, e := range evs {
			if e.AudioStartMs > pos || e.AudioEndMs > pos {
				t.Fatalf("event %v ahead of position %d ms", e, pos)
			}
		}
		all = append(all, evs...)
	}
	return all
}

func started(start int) VADEvent { return VADEvent{Type: SpeechStarted, AudioStartMs: start} }
func stopped(start, end int) VADEvent {
	return VADEvent{Type: SpeechStopped, AudioStartMs: start, AudioEndMs: end}
}

func mustVAD(t testing.TB, cfg VADConfig) *VAD {
	t.Helper()
	v, err := NewVAD(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVADTurns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  VADConfig
		segs []seg
		want []VADEvent
	}{
		{
			name: "tone between silences is one turn at its frame-aligned positions",
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			// onset 1000 − 300 padding; last voiced frame ends at 2000 + 200
			want: []VADEvent{started(700), stopped(700, 2200)},
		},
		{
			name: "tone off frame boundaries widens to whole frames",
			segs: []seg{silence(1005), tone(1000, 440, -12), silence(1000)},
			// the half-filled frames [1000,1010) and [2000,2010) are voiced
			want: []VADEvent{started(700), stopped(700, 2210)},
		},
		{
			name: "speech at the very start clamps the padding at zero",
			segs: []seg{tone(500, 440, -12), silence(500)},
			want: []VADEvent{started(0), stopped(0, 700)},
		},
		{
			name: "silence is no turn",
			segs: []seg{silence(3000)},
		},
		{
			name: "low white noise is no turn",
			segs: []seg{noise(3000, -55)},
		},
		{
			name: "tone over a noise floor is one turn",
			segs: []seg{noise(1000, -55), tone(1000, 440, -12), noise(1000, -55)},
			want: []VADEvent{started(700), stopped(700, 2200)},
		},
		{
			name: "a click is no turn",
			segs: []seg{silence(1000), tone(5, 1000, 0), silence(1000)},
		},
		{
			name: "a click across frames is no turn",
			segs: []seg{silence(1007), tone(5, 1000, 0), silence(1000)},
		},
		{
			name: "a click is a turn if one frame of speech is enough",
			cfg:  VADConfig{MinSpeechMs: 10, PrefixPaddingMs: new(0)},
			segs: []seg{silence(1000), tone(5, 1000, 0), silence(1000)},
			want: []VADEvent{started(1000), stopped(1000, 1210)},
		},
		{
			name: "clicks 100 ms apart are no turn",
			segs: []seg{silence(1000), tone(5, 1000, 0), silence(95), tone(5, 1000, 0), silence(95), tone(5, 1000, 0), silence(1000)},
		},
		{
			name: "a pause shorter than the silence duration stays in the turn",
			segs: []seg{silence(1000), tone(500, 440, -12), silence(150), tone(500, 440, -12), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2350)},
		},
		{
			name: "a longer pause ends the turn and the next starts no earlier",
			segs: []seg{silence(1000), tone(500, 440, -12), silence(400), tone(500, 440, -12), silence(1000)},
			// second onset 1900 − 300 = 1600 is clamped to the first turn's end 1700
			want: []VADEvent{started(700), stopped(700, 1700), started(1700), stopped(1700, 2600)},
		},
		{
			name: "a turn still open at the end has no stop",
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(150)},
			want: []VADEvent{started(700)},
		},
		{
			name: "the stop waits for the whole silence window",
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(199)},
			want: []VADEvent{started(700)},
		},
		{
			name: "the stop comes once the silence window has been fed",
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(200)},
			want: []VADEvent{started(700), stopped(700, 2200)},
		},
		{
			name: "higher threshold ignores a quiet tone",
			cfg:  VADConfig{Threshold: new(0.5)},
			segs: []seg{silence(1000), tone(1000, 440, -40), silence(1000)},
		},
		{
			name: "lower threshold hears a quiet tone",
			cfg:  VADConfig{Threshold: new(0.3)},
			segs: []seg{silence(1000), tone(1000, 440, -40), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2200)},
		},
		{
			name: "threshold 0 still ignores digital silence",
			cfg:  VADConfig{Threshold: new(0.0)},
			segs: []seg{silence(2000)},
		},
		{
			name: "threshold 1 needs more than -12 dBFS",
			cfg:  VADConfig{Threshold: new(1.0)},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
		},
		{
			name: "zero prefix padding starts at the onset",
			cfg:  VADConfig{PrefixPaddingMs: new(0)},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(1000), stopped(1000, 2200)},
		},
		{
			name: "longer silence duration ends later",
			cfg:  VADConfig{SilenceDurationMs: new(500)},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2500)},
		},
		{
			name: "silence duration between frames is kept exactly",
			cfg:  VADConfig{SilenceDurationMs: new(205)},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2205)},
		},
		{
			name: "zero silence duration ends at the last voiced frame",
			cfg:  VADConfig{SilenceDurationMs: new(0)},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2000)},
		},
		{
			name: "minimum speech filters short bursts",
			cfg:  VADConfig{MinSpeechMs: 100},
			segs: []seg{silence(1000), tone(90, 440, -12), silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(1790), stopped(1790, 3290)},
		},
		{
			name: "mu-law audio gives the same turn",
			cfg:  VADConfig{Format: G711ULaw},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2200)},
		},
		{
			name: "a-law audio gives the same turn",
			cfg:  VADConfig{Format: G711ALaw},
			segs: []seg{silence(1000), tone(1000, 440, -12), silence(1000)},
			want: []VADEvent{started(700), stopped(700, 2200)},
		},
		{
			name: "mu-law low noise is no turn",
			cfg:  VADConfig{Format: G711ULaw},
			segs: []seg{noise(3000, -55)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := signal(t, tt.cfg.Format, tt.segs...)
			v := mustVAD(t, tt.cfg)
			got := feed(t, v, data, 100*tt.cfg.Format.BytesPerMs())
			if !slices.Equal(got, tt.want) {
				t.Errorf("events:\n got %v\nwant %v", got, tt.want)
			}
			if want := tt.cfg.Format.Samples(len(data)) * 1000 / tt.cfg.Format.SampleRate(); v.Position() != want {
				t.Errorf("Position() = %d, want %d", v.Position(), want)
			}
			if open := len(tt.want)%2 == 1; v.Speaking() != open {
				t.Errorf("Speaking() = %v, want %v", v.Speaking(), open)
			}
		})
	}
}

// TestVADChunkingDoesNotMatter feeds the same audio in differently sized
// chunks, including odd byte counts that split samples.
func TestVADChunkingDoesNotMatter(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{PCM16, G711ULaw} {
		data := signal(t, f, noise(700, -55), tone(800, 300, -20), silence(150), tone(600, 523, -15), noise(300, -55), tone(1200, 200, -25), silence(700))
		want := feed(t, mustVAD(t, VADConfig{Format: f}), data, len(data))
		if len(want) != 4 {
			t.Fatalf("%v: whole-buffer feed gave %v, want two turns", f, want)
		}
		bpm := f.BytesPerMs()
		chunkings := map[string][]int{
			"10 ms":            {10 * bpm},
			"100 ms":           {100 * bpm},
			"1 byte":           {1},
			"odd splits":       {1, 3, 4799, 7, 2},
			"prime-sized":      {997},
			"frame and a byte": {10*bpm + 1},
		}
		rng := rand.New(rand.NewPCG(3, 5))
		random := make([]int, 50)
		for i := range random {
			random[i] = 1 + rng.IntN(9000)
		}
		chunkings["random"] = random
		for name, chunks := range chunkings {
			t.Run(f.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				v := mustVAD(t, VADConfig{Format: f})
				if got := feed(t, v, data, chunks...); !slices.Equal(got, want) {
					t.Errorf("events:\n got %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestVADPositionCountsEveryByte(t *testing.T) {
	t.Parallel()
	v := mustVAD(t, VADConfig{})
	steps := []struct {
		bytes, wantMs int
	}{
		{1, 0},  // half a sample
		{47, 1}, // 48 bytes: one millisecond
		{4800, 101},
		{0, 101},  // empty chunk
		{95, 102}, // 4943 bytes: 2471 samples and a byte, 102.96 ms
		{1, 103},  // the carried byte completes sample 2472: 103 ms
	}
	for _, s := range steps {
		v.Feed(make([]byte, s.bytes))
		if got := v.Position(); got != s.wantMs {
			t.Fatalf("after %d more bytes Position() = %d, want %d", s.bytes, got, s.wantMs)
		}
	}
}

func TestVADReset(t *testing.T) {
	t.Parallel()
	data := signal(t, PCM16, silence(1000), tone(1000, 440, -12), silence(1000))
	split := 1500 * PCM16.BytesPerMs()
	v := mustVAD(t, VADConfig{})
	first := feed(t, v, data[:split], 4800)
	if !slices.Equal(first, []VADEvent{started(700)}) || !v.Speaking() {
		t.Fatalf("before reset: %v, speaking %v", first, v.Speaking())
	}
	v.Reset()
	if v.Speaking() || v.Position() != 1500 {
		t.Fatalf("after reset: speaking %v, position %d", v.Speaking(), v.Position())
	}
	// The speech goes on, so a new turn starts; its padding would reach
	// back to 1200 but the buffer starts at the reset.
	rest := feed(t, v, data[split:], 4800)
	if want := []VADEvent{started(1500), stopped(1500, 2200)}; !slices.Equal(rest, want) {
		t.Errorf("after reset: %v, want %v", rest, want)
	}
}

func TestNewVADRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  VADConfig
		want string
	}{
		{"threshold above 1", VADConfig{Threshold: new(1.5)}, "vad: threshold 1.5 out of range 0..1"},
		{"negative threshold", VADConfig{Threshold: new(-0.1)}, "vad: threshold -0.1 out of range 0..1"},
		{"NaN threshold", VADConfig{Threshold: new(math.NaN())}, "vad: threshold NaN out of range 0..1"},
		{"negative prefix padding", VADConfig{PrefixPaddingMs: new(-1)}, "vad: prefix padding -1 ms is negative"},
		{"negative silence duration", VADConfig{SilenceDurationMs: new(-200)}, "vad: silence duration -200 ms is negative"},
		{"negative minimum speech", VADConfig{MinSpeechMs: -10}, "vad: minimum speech -10 ms is negative"},
		{"invalid format", VADConfig{Format: 3}, "vad: invalid format Format(3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewVAD(tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestThresholdDBFS(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ threshold, dbfs float64 }{{0, -60}, {0.5, -35}, {1, -10}} {
		if got := ThresholdDBFS(c.threshold); got != c.dbfs {
			t.Errorf("ThresholdDBFS(%g) = %g, want %g", c.threshold, got, c.dbfs)
		}
	}
}

// The speech fixture, testdata/speech-24k.wav (see testdata/README.md):
// "What is the weather like today" spoken by espeak-ng, trimmed to its
// first and last non-zero sample, then padded with exactly 1 s of silence
// before and 1.5 s after, at 24 kHz mono PCM16.
//
//	samples          96494 (4020.58 ms)
//	speech           samples 24000 to 60493 inclusive: 1000.0 ms to 2520.6 ms
//	10 ms frames     first at −35 dBFS or above: [1000, 1010)
//	                 last: [2510, 2520); the frame after is −60.5 dBFS
//	                 longest gap inside the speech: 70 ms, at 2020 ms
//
// So the detector must report AudioStartMs = 1000 − 300 = 700 and
// AudioEndMs = 2520 + 200 = 2720: the true start minus the padding exactly,
// and the true end (2520.6) plus the silence window to within one frame.
const (
	speechFirstSample = 24000
	speechLastSample  = 60493
	speechStartMs     = 700
	speechEndMs       = 2720
)

func readSpeech(t testing.TB) *WAV {
	t.Helper()
	f, err := os.ReadFile("testdata/speech-24k.wav")
	if err != nil {
		t.Fatal(err)
	}
	w, err := ReadWAV(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestVADSpeechRecording(t *testing.T) {
	t.Parallel()
	w := readSpeech(t)
	if f, ok := w.Format(); !ok || f != PCM16 {
		t.Fatalf("fixture is %+v, want 24 kHz mono PCM16", w)
	}

	// Check the positions stated above against the file itself.
	s := w.Mono()
	first := slices.IndexFunc(s, func(v int16) bool { return v != 0 })
	last := len(s) - 1
	for last >= 0 && s[last] == 0 {
		last--
	}
	if first != speechFirstSample || last != speechLastSample {
		t.Fatalf("speech spans samples %d..%d, test says %d..%d", first, last, speechFirstSample, speechLastSample)
	}
	trueStartMs := float64(first) / 24
	trueEndMs := float64(last+1) / 24

	tests := []struct {
		name   string
		f      Format
		chunks []int
	}{
		{"pcm16 in 100 ms chunks", PCM16, []int{4800}},
		{"pcm16 in 20 ms chunks", PCM16, []int{960}},
		{"pcm16 in odd chunks", PCM16, []int{333, 4801, 1}},
		{"converted to mu-law", G711ULaw, []int{800}},
		{"converted to a-law", G711ALaw, []int{800}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := w.Convert(tt.f)
			v := mustVAD(t, VADConfig{Format: tt.f})
			got := feed(t, v, data, tt.chunks...)
			want := []VADEvent{started(speechStartMs), stopped(speechStartMs, speechEndMs)}
			if !slices.Equal(got, want) {
				t.Fatalf("events:\n got %v\nwant %v", got, want)
			}
			if d := math.Abs(float64(got[0].AudioStartMs) - (trueStartMs - 300)); d > VADFrameMs {
				t.Errorf("start %d ms is %.1f ms from the true start minus padding", got[0].AudioStartMs, d)
			}
			if d := math.Abs(float64(got[1].AudioEndMs) - (trueEndMs + 200)); d > VADFrameMs {
				t.Errorf("end %d ms is %.1f ms from the true end plus silence", got[1].AudioEndMs, d)
			}
		})
	}
}

func TestVADEventString(t *testing.T) {
	t.Parallel()
	if got := started(700).String(); got != "speech_started audio_start_ms=700" {
		t.Errorf("got %q", got)
	}
	if got := stopped(700, 2200).String(); got != "speech_stopped audio_start_ms=700 audio_end_ms=2200" {
		t.Errorf("got %q", got)
	}
}

// FuzzVADFeed feeds arbitrary bytes in arbitrary chunks: the VAD must not
// panic, its position must never go back or run ahead of the bytes fed,
// and events must alternate with consistent times. To reach turns with
// small inputs (which the fuzzer mutates and minimizes quickly), the data is
// repeated reps times and followed by tailMs of digital silence.
func FuzzVADFeed(f *testing.F) {
	f.Add(byte(0), uint16(4800), uint16(0), uint16(0), []byte{})
	f.Add(byte(1), uint16(1), uint16(3), uint16(10), []byte{0x7F, 0x80, 0x00, 0xFF})
	f.Add(byte(0), uint16(7), uint16(1000), uint16(300), []byte{0x00, 0x80, 0xFF, 0x7F})
	f.Add(byte(2), uint16(80), uint16(100), uint16(500), []byte{0x2A, 0xAA, 0xD5})
	f.Add(byte(48), uint16(333), uint16(60), uint16(250), []byte{0x00, 0x40, 0x00, 0xC0, 0x01})
	f.Fuzz(func(t *testing.T, mode byte, chunk, reps, tailMs uint16, data []byte) {
		format := Format(mode % 3)
		cfg := VADConfig{
			Format:            format,
			Threshold:         new(float64(mode/3%5) / 4),
			PrefixPaddingMs:   new(int(mode/15%3) * 150),
			SilenceDurationMs: new(int(mode/45%3) * 105),
		}
		v := mustVAD(t, cfg)
		data = bytes.Repeat(data, int(reps%4096)+1)
		data = append(data, NewSilence(format).AppendBytes(nil, len(data), int(tailMs%2000)*format.BytesPerMs())...)
		size := int(chunk)%9000 + 1
		fed := 0
		speaking := false
		lastEnd := 0
		for len(data) > 0 {
			n := min(size, len(data))
			before := v.Position()
			evs := v.Feed(data[:n])
			data = data[n:]
			fed += n
			pos := v.Position()
			if pos < before {
				t.Fatalf("position went back from %d to %d", before, pos)
			}
			if want := format.Samples(fed) * 1000 / format.SampleRate(); pos != want {
				t.Fatalf("position %d after %d bytes, want %d", pos, fed, want)
			}
			for _, e := range evs {
				switch e.Type {
				case SpeechStarted:
					if speaking || e.AudioStartMs < lastEnd || e.AudioStartMs > pos || e.AudioEndMs != 0 {
						t.Fatalf("bad %v (speaking %v, last end %d, position %d)", e, speaking, lastEnd, pos)
					}
					speaking = true
				case SpeechStopped:
					if !speaking || e.AudioEndMs <= e.AudioStartMs || e.AudioEndMs > pos {
						t.Fatalf("bad %v (speaking %v, position %d)", e, speaking, pos)
					}
					speaking = false
					lastEnd = e.AudioEndMs
				default:
					t.Fatalf("unknown event %v", e)
				}
			}
			if v.Speaking() != speaking {
				t.Fatalf("Speaking() = %v after events said %v", v.Speaking(), speaking)
			}
		}
	})
}

// BenchmarkVADFeed measures server VAD on one 100 ms append, the typical
// client chunk, of speech-level audio.
func BenchmarkVADFeed(b *testing.B) {
	for _, f := range []Format{PCM16, G711ULaw} {
		b.Run(f.String()+"/100ms", func(b *testing.B) {
			chunk := signal(b, f, tone(100, 440, -12))
			v := mustVAD(b, VADConfig{Format: f})
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				v.Feed(chunk)
			}
		})
	}
}
