package realtime

import (
	"errors"
	"testing"
	"time"
)

func TestFormatArithmetic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		f              Format
		rate, bps, bpm int
		preview, ga    string
	}{
		{"pcm16 is 24 kHz two bytes a sample", PCM16, 24000, 2, 48, "pcm16", "audio/pcm"},
		{"mu-law is 8 kHz one byte a sample", G711ULaw, 8000, 1, 8, "g711_ulaw", "audio/pcmu"},
		{"a-law is 8 kHz one byte a sample", G711ALaw, 8000, 1, 8, "g711_alaw", "audio/pcma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.f.SampleRate(); got != tt.rate {
				t.Errorf("SampleRate() = %d, want %d", got, tt.rate)
			}
			if got := tt.f.BytesPerSample(); got != tt.bps {
				t.Errorf("BytesPerSample() = %d, want %d", got, tt.bps)
			}
			if got := tt.f.BytesPerMs(); got != tt.bpm {
				t.Errorf("BytesPerMs() = %d, want %d", got, tt.bpm)
			}
			if got := tt.f.String(); got != tt.preview {
				t.Errorf("String() = %q, want %q", got, tt.preview)
			}
			if got := tt.f.GAType(); got != tt.ga {
				t.Errorf("GAType() = %q, want %q", got, tt.ga)
			}
		})
	}
}

func TestFormatBytesAndDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		f     Format
		d     time.Duration
		bytes int
	}{
		{"100 ms of pcm16 is 4800 bytes", PCM16, 100 * time.Millisecond, 4800},
		{"150 ms of pcm16 is 7200 bytes", PCM16, 150 * time.Millisecond, 7200},
		{"250 ms of pcm16 is 12000 bytes", PCM16, 250 * time.Millisecond, 12000},
		{"500 ms of pcm16 is 24000 bytes", PCM16, 500 * time.Millisecond, 24000},
		{"600 ms of pcm16 is 28800 bytes", PCM16, 600 * time.Millisecond, 28800},
		{"one hour of pcm16 does not overflow", PCM16, time.Hour, 172_800_000},
		{"100 ms of mu-law is 800 bytes", G711ULaw, 100 * time.Millisecond, 800},
		{"250 ms of a-law is 2000 bytes", G711ALaw, 250 * time.Millisecond, 2000},
		{"one pcm16 sample is 2 bytes", PCM16, time.Second / 24000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.f.Bytes(tt.d); got != tt.bytes {
				t.Errorf("Bytes(%v) = %d, want %d", tt.d, got, tt.bytes)
			}
			if got := tt.f.Duration(tt.bytes); got != tt.d {
				t.Errorf("Duration(%d) = %v, want %v", tt.bytes, got, tt.d)
			}
		})
	}
}

func TestFormatPartialSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  int64
		want int64
	}{
		{"a partial pcm16 sample has no duration", int64(PCM16.Duration(1)), 0},
		{"an odd pcm16 byte count drops the odd byte", int64(PCM16.Duration(4801)), int64(100 * time.Millisecond)},
		{"less than half a sample is no bytes", int64(PCM16.Bytes(20 * time.Microsecond)), 0},
		{"more than half a sample is one sample", int64(PCM16.Bytes(21 * time.Microsecond)), 2},
		{"negative durations are no bytes", int64(PCM16.Bytes(-time.Second)), 0},
		{"negative byte counts are no duration", int64(G711ULaw.Duration(-8)), 0},
		{"samples count whole samples", int64(PCM16.Samples(4801)), 2400},
		{"invalid formats have no rate", int64(Format(9).SampleRate()), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
}

func TestFormatBytesInvertsDuration(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{PCM16, G711ULaw, G711ALaw} {
		for n := 0; n <= 10*f.SampleRate()*f.BytesPerSample(); n += f.BytesPerSample() {
			if got := f.Bytes(f.Duration(n)); got != n {
				t.Fatalf("%v: Bytes(Duration(%d)) = %d", f, n, got)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		strict   Format
		strictOK bool
		lenient  Format
		lenOK    bool
	}{
		{"preview pcm16", "pcm16", PCM16, true, PCM16, true},
		{"preview mu-law", "g711_ulaw", G711ULaw, true, G711ULaw, true},
		{"preview a-law", "g711_alaw", G711ALaw, true, G711ALaw, true},
		{"GA pcm", "audio/pcm", PCM16, true, PCM16, true},
		{"GA pcmu", "audio/pcmu", G711ULaw, true, G711ULaw, true},
		{"GA pcma", "audio/pcma", G711ALaw, true, G711ALaw, true},
		{"hyphenated mu-law only when lenient", "g711-ulaw", 0, false, G711ULaw, true},
		{"hyphenated a-law only when lenient", "g711-alaw", 0, false, G711ALaw, true},
		{"upper case only when lenient", "PCM16", 0, false, PCM16, true},
		{"surrounding space only when lenient", " audio/pcmu\n", 0, false, G711ULaw, true},
		{"unknown name is rejected", "opus", 0, false, 0, false},
		{"empty name is rejected", "", 0, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseFormat(tt.in)
			if tt.strictOK != (err == nil) || (err == nil && f != tt.strict) {
				t.Errorf("ParseFormat(%q) = %v, %v; want %v, ok=%v", tt.in, f, err, tt.strict, tt.strictOK)
			}
			if err != nil && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("ParseFormat(%q) error %v does not wrap ErrUnknownFormat", tt.in, err)
			}
			f, err = ParseFormatLenient(tt.in)
			if tt.lenOK != (err == nil) || (err == nil && f != tt.lenient) {
				t.Errorf("ParseFormatLenient(%q) = %v, %v; want %v, ok=%v", tt.in, f, err, tt.lenient, tt.lenOK)
			}
			if err != nil && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("ParseFormatLenient(%q) error %v does not wrap ErrUnknownFormat", tt.in, err)
			}
		})
	}
}

func TestParseFormatErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := ParseFormat("g711-ulaw")
	want := `audio format "g711-ulaw": unknown audio format (want pcm16, g711_ulaw, g711_alaw, audio/pcm, audio/pcmu or audio/pcma)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestFormatNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{PCM16, G711ULaw, G711ALaw} {
		for _, name := range []string{f.String(), f.GAType()} {
			got, err := ParseFormat(name)
			if err != nil || got != f {
				t.Errorf("ParseFormat(%q) = %v, %v; want %v", name, got, err, f)
			}
		}
	}
	if got := Format(9).String(); got != "Format(9)" {
		t.Errorf("String of an invalid format = %q", got)
	}
}
