package audio

import (
	"bytes"
	"encoding/base64"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func mustTone(t testing.TB, f Format, hz, amp float64) *Tone {
	t.Helper()
	tone, err := NewTone(f, hz, amp)
	if err != nil {
		t.Fatal(err)
	}
	return tone
}

func TestTonePeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		f      Format
		hz     float64
		period int // bytes
	}{
		{"440 Hz pcm16 repeats every 25 ms", PCM16, 440, 1200},
		{"1000 Hz pcm16 repeats every millisecond", PCM16, 1000, 48},
		{"441 Hz pcm16 needs a third of a second", PCM16, 441, 16000},
		{"1 Hz pcm16 needs a full second", PCM16, 1, 48000},
		{"440 Hz mu-law repeats every 25 ms", G711ULaw, 440, 200},
		{"3999 Hz a-law needs a full second", G711ALaw, 3999, 8000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tone := mustTone(t, tt.f, tt.hz, 0.5)
			if got := tone.Period(); got != tt.period {
				t.Errorf("Period() = %d, want %d", got, tt.period)
			}
			if got := tone.Frequency(); got != tt.hz {
				t.Errorf("Frequency() = %g, want %g exactly", got, tt.hz)
			}
		})
	}
}

func TestToneNonIntegerFrequency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		hz, tol float64
	}{
		{440.5, 0.001},
		{261.63, 0.001},
		{1234.5678, 0.001},
		{1.5, 0.001},
		{1.0001, 0.5},
		{11998.9, 0.5},
		{3998.99, 0.5},
	}
	for _, tt := range tests {
		hz := tt.hz
		tone := mustTone(t, PCM16, hz, 0.5)
		if d := math.Abs(tone.Frequency() - hz); d > tt.tol {
			t.Errorf("%g Hz: produces %g Hz, off by %g", hz, tone.Frequency(), d)
		}
		if p := tone.Period(); p > PCM16.Bytes(time.Second) || p%2 != 0 {
			t.Errorf("%g Hz: period %d bytes, want whole samples within one second", hz, p)
		}
	}
}

func TestNewToneRejectsBadParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		f       Format
		hz, amp float64
		want    string
	}{
		{"zero frequency", PCM16, 0, 0.5, "tone 0 Hz: frequency out of range 1..11999 Hz (up to half the pcm16 sample rate minus 1 Hz)"},
		{"within 1 Hz of nyquist", PCM16, 11999.5, 0.5, "tone 11999.5 Hz: frequency out of range 1..11999 Hz (up to half the pcm16 sample rate minus 1 Hz)"},
		{"g711 nyquist", G711ULaw, 4000, 0.5, "tone 4000 Hz: frequency out of range 1..3999 Hz (up to half the g711_ulaw sample rate minus 1 Hz)"},
		{"NaN frequency", PCM16, math.NaN(), 0.5, "tone NaN Hz: frequency out of range 1..11999 Hz (up to half the pcm16 sample rate minus 1 Hz)"},
		{"negative amplitude", PCM16, 440, -0.1, "tone 440 Hz: amplitude -0.1 out of range 0..1"},
		{"amplitude above full scale", PCM16, 440, 1.5, "tone 440 Hz: amplitude 1.5 out of range 0..1"},
		{"invalid format", Format(7), 440, 0.5, "tone: invalid format Format(7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewTone(tt.f, tt.hz, tt.amp)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestToneIsPhaseContinuous reads a tone in chunks of several shapes and
// checks every sample against the ideal sine, across many period wraps.
func TestToneIsPhaseContinuous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		f      Format
		hz     float64
		chunks []int // byte lengths, cycled
	}{
		{"pcm16 440 Hz in 100 ms chunks", PCM16, 440, []int{4800}},
		{"pcm16 441 Hz in 250 ms chunks", PCM16, 441, []int{12000}},
		{"pcm16 1000 Hz in uneven chunks", PCM16, 1000, []int{2, 4798, 7200, 46}},
		{"mu-law 440 Hz in 20 ms chunks", G711ULaw, 440, []int{160}},
		{"a-law 300 Hz in odd chunks", G711ALaw, 300, []int{1, 799, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const amp = 0.5
			tone := mustTone(t, tt.f, tt.hz, amp)
			total := tt.f.Bytes(3 * time.Second)
			var got []byte
			for off, i := 0, 0; off < total; i++ {
				n := min(tt.chunks[i%len(tt.chunks)], total-off)
				got = tone.AppendBytes(got, off, n)
				off += n
			}
			if len(got) != total {
				t.Fatalf("got %d bytes, want %d", len(got), total)
			}
			samples := AppendSamples(nil, tt.f, got)
			rate := float64(tt.f.SampleRate())
			for i, s := range samples {
				want := amp * 32767 * math.Sin(2*math.Pi*tt.hz*float64(i)/rate)
				tol := 1.0 // rounding
				if tt.f != PCM16 {
					tol = math.Abs(want)/32 + 10 // G.711 quantization
				}
				if d := math.Abs(float64(s) - want); d > tol {
					t.Fatalf("sample %d (%.3f ms) = %d, ideal %.1f", i, float64(i)/rate*1000, s, want)
				}
			}
		})
	}
}

func TestToneNonIntegerFrequencyHasNoSeam(t *testing.T) {
	t.Parallel()
	const amp = 0.8
	tone := mustTone(t, PCM16, 440.5, amp)
	p := tone.Period()
	// Samples around the wrap point, read as one chunk.
	s := AppendSamples(nil, PCM16, tone.AppendBytes(nil, p-200, 400))
	// The largest step between neighbours of a sine of this frequency.
	maxStep := amp*32767*2*math.Pi*tone.Frequency()/24000 + 2
	for i := 1; i < len(s); i++ {
		if d := math.Abs(float64(s[i]) - float64(s[i-1])); d > maxStep {
			t.Fatalf("jump of %.0f between samples %d and %d near the wrap (max %.0f)", d, i-1, i, maxStep)
		}
	}
	if first := AppendSamples(nil, PCM16, tone.AppendBytes(nil, 0, 2)); first[0] != 0 {
		t.Errorf("tone does not start at phase 0: %d", first[0])
	}
}

func TestToneAppendBase64MatchesEncoding(t *testing.T) {
	t.Parallel()
	tones := map[string]*Tone{
		"pcm16 440 Hz (period a multiple of 3)":     mustTone(t, PCM16, 440, 0.3),
		"pcm16 441 Hz (period not a multiple of 3)": mustTone(t, PCM16, 441, 0.3),
		"pcm16 7 Hz (period not a multiple of 3)":   mustTone(t, PCM16, 7, 0.3),
		"mu-law 440 Hz":  mustTone(t, G711ULaw, 440, 0.3),
		"a-law 440.5 Hz": mustTone(t, G711ALaw, 440.5, 0.3),
		"pcm16 silence":  NewSilence(PCM16),
		"mu-law silence": NewSilence(G711ULaw),
		"a-law silence":  NewSilence(G711ALaw),
	}
	for name, tone := range tones {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := tone.Period()
			offsets := []int{0, 1, 2, 3, 4, 5, p - 1, p - 2, p - 3, p, p + 1, 7*p + 2, -1, -5, -p - 1, 4800, 1 << 40}
			lengths := []int{0, 1, 2, 3, 4, 5, 6, p - 1, p, p + 1, 2*p + 2, 4800, 4801, 12000, 3*p + 7}
			for _, off := range offsets {
				for _, n := range lengths {
					raw := tone.AppendBytes(nil, off, n)
					want := []byte("prefix:" + base64.StdEncoding.EncodeToString(raw))
					got := tone.AppendBase64([]byte("prefix:"), off, n)
					if !bytes.Equal(got, want) {
						t.Fatalf("offset %d length %d: AppendBase64 differs from encoding AppendBytes", off, n)
					}
				}
			}
		})
	}
}

func TestSilenceBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Format
		b    byte
		b64  string
	}{
		{"pcm16 silence is zeros", PCM16, 0x00, "AAAAAAAA"},
		{"mu-law silence is 0xFF", G711ULaw, 0xFF, "////////"},
		{"a-law silence is 0xD5", G711ALaw, 0xD5, "1dXV1dXV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewSilence(tt.f)
			if got := s.AppendBytes(nil, 5, 6); !bytes.Equal(got, bytes.Repeat([]byte{tt.b}, 6)) {
				t.Errorf("AppendBytes = % x", got)
			}
			if got := string(s.AppendBase64(nil, 3, 6)); got != tt.b64 {
				t.Errorf("AppendBase64 = %q, want %q", got, tt.b64)
			}
		})
	}
}

func TestToneChunkSizesMatchDurations(t *testing.T) {
	t.Parallel()
	tone := mustTone(t, PCM16, 440, 0.5)
	for _, d := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 5 * time.Second} {
		n := PCM16.Bytes(d)
		raw := tone.AppendBytes(nil, 0, n)
		b64 := tone.AppendBase64(nil, 0, n)
		if PCM16.Duration(len(raw)) != d {
			t.Errorf("%v: %d bytes play %v", d, len(raw), PCM16.Duration(len(raw)))
		}
		if len(b64) != base64.StdEncoding.EncodedLen(n) {
			t.Errorf("%v: %d base64 characters, want %d", d, len(b64), base64.StdEncoding.EncodedLen(n))
		}
	}
}

func TestToneIsSafeForConcurrentReaders(t *testing.T) {
	t.Parallel()
	tone := mustTone(t, PCM16, 440, 0.5)
	want := tone.AppendBase64(nil, 4800, 4800)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var buf []byte
			for i := range 200 {
				buf = tone.AppendBase64(buf[:0], 4800+i*tone.Period(), 4800)
				if !bytes.Equal(buf, want) {
					t.Error("concurrent read gave different bytes")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestAppendNoise(t *testing.T) {
	t.Parallel()
	a := AppendNoise(nil, PCM16, 48001, 0.1, rand.New(rand.NewPCG(1, 2)))
	b := AppendNoise(nil, PCM16, 48001, 0.1, rand.New(rand.NewPCG(1, 2)))
	c := AppendNoise(nil, PCM16, 48001, 0.1, rand.New(rand.NewPCG(1, 3)))
	if len(a) != 48000 {
		t.Errorf("len = %d, want 48000 (whole samples)", len(a))
	}
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different noise")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same noise")
	}
	// Uniform noise of peak 0.1 has an RMS of 0.1/√3; relative to a
	// full-scale sine that is 20·log10(0.1·√2/√3) = −21.76 dBFS.
	if got := LevelDBFS(PCM16, a); math.Abs(got-(-21.76)) > 0.2 {
		t.Errorf("level = %.2f dBFS, want −21.76", got)
	}
	if got := AppendNoise(nil, G711ALaw, 800, 0.1, rand.New(rand.NewPCG(1, 2))); len(got) != 800 {
		t.Errorf("a-law noise len = %d, want 800", len(got))
	}
}

func TestLevelDBFS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Format
		amp  float64
		want float64
	}{
		{"full-scale sine is 0 dBFS", PCM16, 1, 0},
		{"quarter-scale sine is -12 dBFS", PCM16, math.Pow(10, -12.0/20), -12},
		{"mu-law sine keeps its level", G711ULaw, 0.5, -6.02},
		{"a-law sine keeps its level", G711ALaw, 0.5, -6.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tone := mustTone(t, tt.f, 440, tt.amp)
			got := LevelDBFS(tt.f, tone.AppendBytes(nil, 0, tone.Period()))
			if math.Abs(got-tt.want) > 0.05 {
				t.Errorf("level = %.3f dBFS, want %.2f", got, tt.want)
			}
		})
	}
	if got := LevelDBFS(PCM16, make([]byte, 480)); !math.IsInf(got, -1) {
		t.Errorf("silence level = %g, want -Inf", got)
	}
}

func benchmarkToneBase64(b *testing.B, d time.Duration) {
	tone := mustTone(b, PCM16, 440, 0.5)
	n := PCM16.Bytes(d)
	dst := make([]byte, 0, base64.StdEncoding.EncodedLen(n))
	b.SetBytes(int64(n))
	off := 0
	for b.Loop() {
		dst = tone.AppendBase64(dst[:0], off, n)
		off += n
	}
}

// BenchmarkToneAppendBase64 measures one audio delta's payload: base64 of a
// 100 ms or 250 ms PCM16 chunk, appended to a reused buffer.
func BenchmarkToneAppendBase64(b *testing.B) {
	b.Run("100ms", func(b *testing.B) { benchmarkToneBase64(b, 100*time.Millisecond) })
	b.Run("250ms", func(b *testing.B) { benchmarkToneBase64(b, 250*time.Millisecond) })
}

// BenchmarkToneBase64Naive is the baseline AppendBase64 replaces: copy the
// chunk out of the table, then base64-encode it.
func BenchmarkToneBase64Naive(b *testing.B) {
	for _, d := range []time.Duration{100 * time.Millisecond, 250 * time.Millisecond} {
		b.Run(d.String(), func(b *testing.B) {
			tone := mustTone(b, PCM16, 440, 0.5)
			n := PCM16.Bytes(d)
			raw := make([]byte, 0, n)
			dst := make([]byte, 0, base64.StdEncoding.EncodedLen(n))
			b.SetBytes(int64(n))
			off := 0
			for b.Loop() {
				raw = tone.AppendBytes(raw[:0], off, n)
				dst = base64.StdEncoding.AppendEncode(dst[:0], raw)
				off += n
			}
		})
	}
}

func BenchmarkNewTone(b *testing.B) {
	for b.Loop() {
		if _, err := NewTone(PCM16, 440.5, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
