package view

import (
	"bytes"
	"encoding/base64"
	"errors"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// peakMs is the waveform's resolution: one min/max pair per 10 ms.
const peakMs = 10

// chunk is the audio one event carried, decoded.
type chunk struct {
	format  audio.Format
	samples []int16 // at the format's own rate; nil when elided
	bytes   int     // its size as sent
	elided  bool
}

// ms is the chunk's duration.
func (c chunk) ms() float64 { return float64(c.bytes) / float64(c.format.BytesPerMs()) }

var (
	errNoAudio       = errors.New("no audio field")
	errElisionTooBig = errors.New("elided audio larger than any frame")
)

// decodeAudio reads the base64 audio (or elision marker) of field in an
// event sent in format f.
func decodeAudio(data []byte, field string, f audio.Format) (chunk, error) {
	raw, ok, err := realtime.StringField(data, field)
	if err != nil {
		return chunk{}, err
	}
	if !ok {
		return chunk{}, errNoAudio
	}
	if el, ok := cassette.ParseElision(string(raw)); ok {
		if el.Bytes > cassette.MaxFrameSize {
			return chunk{}, errElisionTooBig // no event carries that much: a damaged file
		}
		if ef, err := audio.ParseFormatLenient(el.Format); err == nil {
			f = ef
		}
		return chunk{format: f, bytes: el.Bytes, elided: true}, nil
	}
	if bytes.IndexByte(raw, '\\') >= 0 {
		if raw, err = realtime.Unquote(raw); err != nil {
			return chunk{}, err
		}
	}
	pcm, err := base64.StdEncoding.AppendDecode(nil, raw)
	if err != nil {
		return chunk{}, err
	}
	return chunk{format: f, samples: audio.AppendSamples(nil, f, pcm), bytes: len(pcm)}, nil
}

// track gathers the audio of one lane at one sample rate. Elided audio
// is kept as a count of silent samples, never allocated: an elided
// cassette stays cheap however long it is.
type track struct {
	format   audio.Format
	rate     int
	n        int // samples
	parts    []part
	elidedMs float64
	segs     []Segment
}

// part is a run of samples, or of silence when samples is nil.
type part struct {
	samples []int16
	silent  int
}

func newTrack(f audio.Format) *track { return &track{format: f, rate: f.SampleRate()} }

// ms is the track's length.
func (t *track) ms() float64 { return float64(t.n) * 1000 / float64(t.rate) }

// add appends a chunk at the track's rate and returns where it sits in
// the track in ms.
func (t *track) add(c chunk) (a0, a1 float64) {
	a0 = t.ms()
	r := c.format.SampleRate()
	if c.elided {
		k := int(int64(c.format.Samples(c.bytes)) * int64(t.rate) / int64(r))
		if n := len(t.parts); n > 0 && t.parts[n-1].samples == nil {
			t.parts[n-1].silent += k
		} else {
			t.parts = append(t.parts, part{silent: k})
		}
		t.n += k
		t.elidedMs += c.ms()
		return a0, t.ms()
	}
	s := c.samples
	if r != t.rate {
		s = audio.Resample(s, r, t.rate)
	}
	t.parts = append(t.parts, part{samples: s})
	t.n += len(s)
	return a0, t.ms()
}

// model renders the track; withAudio keeps the samples for playback.
func (t *track) model(withAudio bool) *Track {
	m := &Track{Format: t.format.String(), Rate: t.rate, Ms: int(t.ms() + 0.5), PeakMs: peakMs,
		Peaks: t.peaks(t.rate * peakMs / 1000), Elided: int(t.elidedMs + 0.5), Segs: t.segs}
	if withAudio && t.n > 0 {
		u := make([]byte, 0, t.n)
		for _, p := range t.parts {
			if p.samples == nil {
				u = append(u, bytes.Repeat([]byte{0xFF}, p.silent)...) // µ-law silence
				continue
			}
			for _, s := range p.samples {
				u = append(u, audio.EncodeULaw(s))
			}
		}
		m.Audio = base64.StdEncoding.EncodeToString(u)
	}
	return m
}

// peaks returns the lowest and the highest sample of every n samples,
// scaled to -128..127.
func (t *track) peaks(n int) []int8 {
	n = max(n, 1)
	out := make([]int8, 0, 2*((t.n+n-1)/n))
	var lo, hi int16
	filled := 0
	take := func(a, b int16, k int) {
		if filled == 0 {
			lo, hi = a, b
		} else {
			lo, hi = min(lo, a), max(hi, b)
		}
		if filled += k; filled == n {
			out = append(out, int8(lo>>8), int8(hi>>8))
			filled = 0
		}
	}
	for _, p := range t.parts {
		for k := p.silent; k > 0; {
			step := min(k, n-filled)
			take(0, 0, step)
			k -= step
		}
		for _, v := range p.samples {
			take(v, v, 1)
		}
	}
	if filled > 0 {
		out = append(out, int8(lo>>8), int8(hi>>8))
	}
	return out
}

// formats tracks the session's audio formats as the server announced them
// in session.created and session.updated, in either dialect.
type formats struct {
	in, out audio.Format
	p       realtime.Parser // reused for every session event
}

func (f *formats) observe(event []byte) {
	in, out, inOK, outOK := realtime.AnnouncedFormats(&f.p, event)
	if inOK {
		f.in = in
	}
	if outOK {
		f.out = out
	}
}
