package audio

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// G.711 (ITU-T Recommendation G.711, 1988) companding. Decoding is a lookup
// in a 256-entry table; encoding is a few integer operations (the segment is
// the position of the highest set bit), without tables.
//
// Linear samples are 16-bit. G.711 itself works on 14-bit (µ-law) and
// 13-bit (A-law) linear values; the extra low bits are ignored on encode and
// zero on decode, so decoded values are the standard reconstruction levels
// scaled to 16 bits (µ-law ±32124 at most, A-law ±32256).

const (
	ulawBias = 0x84  // 132: added before segmenting so segment boundaries are powers of two
	ulawClip = 32635 // 0x7FFF - ulawBias
)

// ulawDecodeTable and alawDecodeTable are filled once when the package is
// initialised and never written again.
var (
	ulawDecodeTable = makeDecodeTable(ulawDecodeSlow)
	alawDecodeTable = makeDecodeTable(alawDecodeSlow)
)

func makeDecodeTable(decode func(byte) int16) *[256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = decode(byte(i))
	}
	return &t
}

// ulawDecodeSlow expands one µ-law code word: the code is stored inverted;
// bit 7 is the sign (1 = positive), bits 6..4 the segment, bits 3..0 the
// step within the segment.
func ulawDecodeSlow(u byte) int16 {
	u = ^u
	t := (int32(u&0x0F)<<3 + ulawBias) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

// alawDecodeSlow expands one A-law code word: the even bits are inverted
// (XOR 0x55); bit 7 is the sign (1 = positive), bits 6..4 the segment, bits
// 3..0 the step within the segment.
func alawDecodeSlow(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	switch seg := (a & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t = (t + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// DecodeULaw returns the 16-bit linear value of a µ-law code word.
func DecodeULaw(u byte) int16 { return ulawDecodeTable[u] }

// DecodeALaw returns the 16-bit linear value of an A-law code word.
func DecodeALaw(a byte) int16 { return alawDecodeTable[a] }

// EncodeULaw returns the µ-law code word for a 16-bit linear sample. Values
// beyond the µ-law range (±32635) are clipped to the largest code.
func EncodeULaw(s int16) byte {
	v := int32(s)
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > ulawClip {
		v = ulawClip
	}
	v += ulawBias // now 132..32767
	seg := bits.Len32(uint32(v>>7)) - 1
	code := byte(seg<<4) | byte(v>>(seg+3))&0x0F
	return code ^ mask
}

// EncodeALaw returns the A-law code word for a 16-bit linear sample.
func EncodeALaw(s int16) byte {
	v := int32(s) >> 3 // 13-bit
	mask := byte(0xD5)
	if v < 0 {
		v = -v - 1
		mask = 0x55
	}
	// v is 0..4095: segment 0 covers 0..31, segment n (1..7) covers
	// [16<<n, 32<<n).
	seg := bits.Len32(uint32(v >> 5))
	var code byte
	if seg == 0 {
		code = byte(v>>1) & 0x0F
	} else {
		code = byte(seg<<4) | byte(v>>seg)&0x0F
	}
	return code ^ mask
}

// AppendSamples decodes audio in format f to 16-bit linear samples at the
// format's own sample rate and appends them to dst. A trailing partial
// sample (an odd byte of PCM16) is ignored. An invalid format appends
// nothing.
func AppendSamples(dst []int16, f Format, data []byte) []int16 {
	switch f {
	case PCM16:
		n := len(data) / 2
		dst = slices.Grow(dst, n)
		for i := 0; i < n; i++ {
			dst = append(dst, int16(binary.LittleEndian.Uint16(data[2*i:])))
		}
	case G711ULaw:
		dst = slices.Grow(dst, len(data))
		for _, b := range data {
			dst = append(dst, ulawDecodeTable[b])
		}
	case G711ALaw:
		dst = slices.Grow(dst, len(data))
		for _, b := range data {
			dst = append(dst, alawDecodeTable[b])
		}
	}
	return dst
}

// AppendEncoded encodes 16-bit linear samples in format f and appends the
// bytes to dst. The samples are taken to be at the format's sample rate
// already (see [Resample]). An invalid format appends nothing.
func AppendEncoded(dst []byte, f Format, samples []int16) []byte {
	switch f {
	case PCM16:
		dst = slices.Grow(dst, 2*len(samples))
		for _, s := range samples {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(s))
		}
	case G711ULaw:
		dst = slices.Grow(dst, len(samples))
		for _, s := range samples {
			dst = append(dst, EncodeULaw(s))
		}
	case G711ALaw:
		dst = slices.Grow(dst, len(samples))
		for _, s := range samples {
			dst = append(dst, EncodeALaw(s))
		}
	}
	return dst
}
