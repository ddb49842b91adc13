package audio

import (
	"math"
	"slices"
	"testing"
)

func TestG711KnownValues(t *testing.T) {
	t.Parallel()
	// Reconstruction levels of ITU-T G.711 scaled to 16 bits: µ-law levels
	// are the 14-bit values times 4, A-law levels the 13-bit values times 8.
	tests := []struct {
		name   string
		decode func(byte) int16
		code   byte
		linear int16
	}{
		{"mu-law 0xFF is zero", DecodeULaw, 0xFF, 0},
		{"mu-law 0x7F is negative zero", DecodeULaw, 0x7F, 0},
		{"mu-law 0xFE is the first positive step", DecodeULaw, 0xFE, 8},
		{"mu-law 0xF0 ends segment 0", DecodeULaw, 0xF0, 120},
		{"mu-law 0xEF starts segment 1", DecodeULaw, 0xEF, 132},
		{"mu-law 0x80 is the positive maximum", DecodeULaw, 0x80, 32124},
		{"mu-law 0x00 is the negative maximum", DecodeULaw, 0x00, -32124},
		{"a-law 0xD5 is the smallest positive level", DecodeALaw, 0xD5, 8},
		{"a-law 0x55 is the smallest negative level", DecodeALaw, 0x55, -8},
		{"a-law 0xD4 is the second positive level", DecodeALaw, 0xD4, 24},
		{"a-law 0xAA is the positive maximum", DecodeALaw, 0xAA, 32256},
		{"a-law 0x2A is the negative maximum", DecodeALaw, 0x2A, -32256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.decode(tt.code); got != tt.linear {
				t.Errorf("decode(%#02x) = %d, want %d", tt.code, got, tt.linear)
			}
		})
	}
}

func TestG711EncodeKnownValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		encode func(int16) byte
		linear int16
		code   byte
	}{
		{"mu-law zero", EncodeULaw, 0, 0xFF},
		{"mu-law minus one rounds to negative zero", EncodeULaw, -1, 0x7F},
		{"mu-law full scale clips", EncodeULaw, 32767, 0x80},
		{"mu-law negative full scale clips", EncodeULaw, -32768, 0x00},
		{"mu-law 1000", EncodeULaw, 1000, 0xCE},
		{"mu-law -1000", EncodeULaw, -1000, 0x4E},
		{"a-law zero", EncodeALaw, 0, 0xD5},
		{"a-law minus one", EncodeALaw, -1, 0x55},
		{"a-law full scale", EncodeALaw, 32767, 0xAA},
		{"a-law negative full scale", EncodeALaw, -32768, 0x2A},
		{"a-law 1000", EncodeALaw, 1000, 0xFA},
		{"a-law -1000", EncodeALaw, -1000, 0x7A},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.encode(tt.linear); got != tt.code {
				t.Errorf("encode(%d) = %#02x, want %#02x", tt.linear, got, tt.code)
			}
		})
	}
}

func TestG711CodesRoundTrip(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		b := byte(c)
		want := b
		if b == 0x7F { // µ-law negative zero encodes as positive zero
			want = 0xFF
		}
		if got := EncodeULaw(DecodeULaw(b)); got != want {
			t.Errorf("mu-law %#02x: decode %d, encode %#02x", b, DecodeULaw(b), got)
		}
		if got := EncodeALaw(DecodeALaw(b)); got != b {
			t.Errorf("a-law %#02x: decode %d, encode %#02x", b, DecodeALaw(b), got)
		}
	}
}

func TestG711QuantizationErrorIsHalfAStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		encode func(int16) byte
		decode func(byte) int16
		bound  func(x int) int
	}{
		// Each code covers an interval 1/16 as wide as its lower end and
		// decodes to the middle, so the error is at most 1/32 of the value
		// (plus the µ-law bias, A-law's dropped low bits) until clipping.
		{"mu-law", EncodeULaw, DecodeULaw, func(x int) int {
			if x > 32635 || x < -32635 {
				return 32767 - 32124 + 1
			}
			return (abs(x)+132)/32 + 1
		}},
		{"a-law", EncodeALaw, DecodeALaw, func(x int) int { return abs(x)/32 + 9 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prev := math.MinInt
			for x := math.MinInt16; x <= math.MaxInt16; x++ {
				y := int(tt.decode(tt.encode(int16(x))))
				if d := abs(x - y); d > tt.bound(x) {
					t.Fatalf("%d decodes back to %d, error %d > %d", x, y, d, tt.bound(x))
				}
				if y < prev {
					t.Fatalf("not monotonic: %d decodes back to %d, below %d", x, y, prev)
				}
				prev = y
			}
		})
	}
}

func TestAppendSamplesAndEncoded(t *testing.T) {
	t.Parallel()
	samples := []int16{0, 1, -1, 1000, -1000, 32767, -32768}
	tests := []struct {
		name string
		f    Format
		enc  []byte
	}{
		{"pcm16 is little-endian", PCM16, []byte{0, 0, 1, 0, 0xFF, 0xFF, 0xE8, 0x03, 0x18, 0xFC, 0xFF, 0x7F, 0x00, 0x80}},
		{"mu-law", G711ULaw, []byte{0xFF, 0xFF, 0x7F, 0xCE, 0x4E, 0x80, 0x00}},
		{"a-law", G711ALaw, []byte{0xD5, 0xD5, 0x55, 0xFA, 0x7A, 0xAA, 0x2A}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := AppendEncoded([]byte{9}, tt.f, samples)
			if want := append([]byte{9}, tt.enc...); !slices.Equal(got, want) {
				t.Errorf("AppendEncoded = % x, want % x", got, want)
			}
			dec := AppendSamples(nil, tt.f, tt.enc)
			if len(dec) != len(samples) {
				t.Fatalf("AppendSamples gave %d samples, want %d", len(dec), len(samples))
			}
			if tt.f == PCM16 && !slices.Equal(dec, samples) {
				t.Errorf("pcm16 AppendSamples = %v, want %v", dec, samples)
			}
		})
	}
	if got := AppendSamples(nil, PCM16, []byte{1, 2, 3}); len(got) != 1 {
		t.Errorf("odd pcm16 byte gave %d samples, want 1", len(got))
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func BenchmarkEncodeULaw(b *testing.B) {
	var sink byte
	for i := 0; b.Loop(); i++ {
		sink ^= EncodeULaw(int16(i))
	}
	_ = sink
}

func BenchmarkEncodeALaw(b *testing.B) {
	var sink byte
	for i := 0; b.Loop(); i++ {
		sink ^= EncodeALaw(int16(i))
	}
	_ = sink
}
