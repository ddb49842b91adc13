package audio

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Tone is a periodic signal, a sine or silence, held as one exact period of
// encoded audio. Chunks are read by byte offset on the tone's own timeline
// (offset 0 is phase 0), so chunks read at consecutive offsets join without
// a phase jump however they are cut, and the same offset always gives the
// same bytes.
//
// Reading costs no trigonometry: [NewTone] computes the period once, and
// also the base64 text of the period at every byte alignment base64 needs
// (4 bytes of text per byte of audio in total), so [Tone.AppendBase64] is a
// copy for chunks of any length at any offset. That makes a cache of encoded
// chunks unnecessary: no chunk shape costs more than a memcpy.
//
// A Tone is immutable once made: its methods may be called from any number
// of goroutines at once, so one Tone can serve every session of a server.
// Making one costs up to about a millisecond and a few hundred kilobytes of
// garbage (for a one-second period), so make each distinct tone once. Make
// Tones with [NewTone] or [NewSilence]; the zero Tone is not usable.
type Tone struct {
	format Format
	hz     float64
	amp    float64
	period []byte // one period, a whole number of cycles and samples
	// b64 holds the base64 text of the periodic signal. If len(period) is
	// not a multiple of 3, b64[0] encodes three periods from offset 0 and
	// every group of 3 bytes starts at some multiple of 3 within them. If it
	// is, b64[a] encodes one period starting at offset a, for a = 0, 1, 2.
	b64 [3][]byte
}

// maxPeriodSeconds bounds the period of a tone whose frequency is not a
// whole number of hertz.
const maxPeriodSeconds = 1

// NewTone returns a sine of the given frequency and peak amplitude (0..1 of
// full scale; 1 is a peak of 32767) in format f.
//
// The period holds a whole number of cycles, so the signal repeats without
// a seam. A whole-hertz frequency is exact, with a period of at most one
// second (440 Hz at 24 kHz repeats every 600 samples, 25 ms). Any other
// frequency is replaced by the nearest frequency k·rate/n with k whole
// cycles in n ≤ rate samples (the best rational approximation), so the
// period is still at most one second. The error is always below 0.5 Hz (n =
// rate holds round(hz) cycles) and for values like 440.5 or 261.63 Hz below
// a millihertz; [Tone.Frequency] reports the frequency actually produced.
// Frequencies must be from 1 Hz to half the sample rate minus 1 Hz (11999
// Hz for PCM16, 3999 Hz for G.711).
func NewTone(f Format, hz, amplitude float64) (*Tone, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("tone: invalid format %v", f)
	}
	rate := f.SampleRate()
	if !(hz >= 1 && hz <= float64(rate/2-1)) {
		return nil, fmt.Errorf("tone %g Hz: frequency out of range 1..%d Hz (up to half the %v sample rate minus 1 Hz)", hz, rate/2-1, f)
	}
	if !(amplitude >= 0 && amplitude <= 1) {
		return nil, fmt.Errorf("tone %g Hz: amplitude %g out of range 0..1", hz, amplitude)
	}
	cycles, n := tonePeriod(hz, rate)
	samples := make([]int16, n)
	peak := amplitude * 32767
	for i := range samples {
		// The argument is reduced modulo the period in integers so the
		// table is exact for every i.
		phase := 2 * math.Pi * float64(cycles*i%n) / float64(n)
		samples[i] = int16(math.Round(peak * math.Sin(phase)))
	}
	t := newLoop(f, AppendEncoded(make([]byte, 0, n*f.BytesPerSample()), f, samples))
	t.hz = float64(cycles) * float64(rate) / float64(n)
	t.amp = amplitude
	return t, nil
}

// NewSilence returns digital silence in format f as a Tone with a
// one-sample period: zero samples for PCM16, the code words for zero in the
// G.711 formats (0xFF for µ-law, 0xD5 for A-law). It panics if f is not a
// valid Format.
func NewSilence(f Format) *Tone {
	if !f.Valid() {
		panic(fmt.Sprintf("audio: NewSilence with invalid format %v", f))
	}
	return newLoop(f, AppendEncoded(nil, f, []int16{0}))
}

// newLoop builds the Tone serving period, precomputing its base64 text.
func newLoop(f Format, period []byte) *Tone {
	t := &Tone{format: f, period: period}
	p := len(period)
	if p%3 != 0 {
		t.b64[0] = encodeLoop(period, 0, 3*p)
	} else {
		for a := range 3 {
			t.b64[a] = encodeLoop(period, a, p)
		}
	}
	return t
}

// encodeLoop returns the base64 text of n bytes of the periodic signal
// starting at offset off.
func encodeLoop(period []byte, off, n int) []byte {
	raw := appendLoop(make([]byte, 0, n), period, off, n)
	return base64.StdEncoding.AppendEncode(make([]byte, 0, base64.StdEncoding.EncodedLen(n)), raw)
}

// appendLoop appends n bytes of the periodic signal from offset off.
func appendLoop(dst, period []byte, off, n int) []byte {
	if n <= 0 {
		return dst
	}
	dst = slices.Grow(dst, n)
	pos := mod(off, len(period))
	for n > 0 {
		k := min(n, len(period)-pos)
		dst = append(dst, period[pos:pos+k]...)
		n -= k
		pos = 0
	}
	return dst
}

// Format returns the tone's audio format.
func (t *Tone) Format() Format { return t.format }

// Frequency returns the frequency the tone actually produces in hertz (0
// for silence). It differs from the one asked for only for frequencies that
// are not whole hertz.
func (t *Tone) Frequency() float64 { return t.hz }

// Amplitude returns the peak amplitude, 0..1 of full scale.
func (t *Tone) Amplitude() float64 { return t.amp }

// Period returns the length of one period in bytes: the tone repeats
// exactly every Period bytes.
func (t *Tone) Period() int { return len(t.period) }

// AppendBytes appends nBytes of audio starting at byte offset off of the
// tone's timeline to dst and returns the extended slice. Offsets wrap
// around the period, so any offset (even a negative one) is valid. Keep off
// and nBytes multiples of the sample size (see [Format.Bytes]) to cut
// chunks on sample boundaries.
func (t *Tone) AppendBytes(dst []byte, off, nBytes int) []byte {
	return appendLoop(dst, t.period, off, nBytes)
}

// AppendBase64 appends the standard base64 encoding (with padding, as in
// the "audio" and "delta" fields of realtime events) of the nBytes of audio
// at byte offset off to dst and returns the extended slice. The result
// equals encoding the output of [Tone.AppendBytes]; it is built by copying
// precomputed text, so it allocates only if dst must grow.
func (t *Tone) AppendBase64(dst []byte, off, nBytes int) []byte {
	if nBytes <= 0 {
		return dst
	}
	p := len(t.period)
	pos := mod(off, p)
	groups := nBytes / 3
	tail := nBytes % 3
	extra := 0
	if tail > 0 {
		extra = 4
	}
	dst = slices.Grow(dst, 4*groups+extra)

	// Find the text whose 4-character groups start at pos and where in it.
	var text []byte
	var at int
	if p%3 == 0 {
		a := pos % 3
		text = t.b64[a]
		at = (pos - a) / 3 * 4
	} else {
		b := pos
		for b%3 != 0 {
			b += p
		}
		text = t.b64[0]
		at = b / 3 * 4
	}
	for need := 4 * groups; need > 0; {
		k := min(need, len(text)-at)
		dst = append(dst, text[at:at+k]...)
		need -= k
		at = 0
	}
	if tail > 0 {
		var last [2]byte
		start := pos + 3*groups
		for i := range tail {
			last[i] = t.period[(start+i)%p]
		}
		dst = base64.StdEncoding.AppendEncode(dst, last[:tail])
	}
	return dst
}

// AppendNoise appends nBytes of white noise in format f to dst: samples
// drawn uniformly from ±amplitude of full scale (0..1), so the RMS level is
// amplitude/√3 of full scale, 4.8 dB below a sine of the same peak. All
// randomness comes from rng; the same seed gives the same bytes. A trailing
// odd byte of PCM16 is not written: the result always holds whole samples
// and is at most nBytes long.
func AppendNoise(dst []byte, f Format, nBytes int, amplitude float64, rng *rand.Rand) []byte {
	n := f.Samples(nBytes)
	if n == 0 {
		return dst
	}
	amplitude = max(0, min(1, amplitude))
	peak := amplitude * 32767
	var buf [256]int16
	for n > 0 {
		k := min(n, len(buf))
		for i := range k {
			buf[i] = int16(math.Round(peak * (2*rng.Float64() - 1)))
		}
		dst = AppendEncoded(dst, f, buf[:k])
		n -= k
	}
	return dst
}

// tonePeriod returns the smallest period of n samples holding a whole
// number of cycles of hz at rate, approximating hz if it is not whole
// (n ≤ maxPeriodSeconds·rate).
func tonePeriod(hz float64, rate int) (cycles, n int) {
	if hz == math.Trunc(hz) {
		h := int(hz)
		g := gcd(h, rate)
		return h / g, rate / g
	}
	return bestRational(hz/float64(rate), maxPeriodSeconds*rate)
}

// bestRational returns the fraction p/q closest to x (0 < x < 1) with
// 1 ≤ q ≤ maxQ, from the continued fraction of x: the last convergent
// within the bound or the semiconvergent after it, whichever is closer.
func bestRational(x float64, maxQ int) (p, q int) {
	p0, q0 := 0, 1 // convergent n-2
	p1, q1 := 1, 0 // convergent n-1
	v := x
	for {
		a := math.Floor(v)
		ai := maxQ + 1
		if a < float64(maxQ) {
			ai = int(a)
		}
		p2, q2 := ai*p1+p0, ai*q1+q0
		if q2 > maxQ {
			m := (maxQ - q0) / q1
			ps, qs := m*p1+p0, m*q1+q0
			if math.Abs(x-float64(ps)/float64(qs)) < math.Abs(x-float64(p1)/float64(q1)) {
				return ps, qs
			}
			return p1, q1
		}
		p0, q0, p1, q1 = p1, q1, p2, q2
		frac := v - a
		if frac == 0 || float64(p1)/float64(q1) == x {
			return p1, q1
		}
		v = 1 / frac
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// mod returns a mod m in [0, m) for m > 0.
func mod(a, m int) int {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}
