package view

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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
	samples []int16 // at the format's own rate; silence of the right length when elided
	bytes   int     // its size as sent
	elided  bool
}

// ms is the chunk's duration.
func (c chunk) ms() float64 { return float64(c.bytes) / float64(c.format.BytesPerMs()) }

var errNoAudio = errors.New("no audio field")

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
		if ef, err := audio.ParseFormatLenient(el.Format); err == nil {
			f = ef
		}
		return chunk{format: f, samples: make([]int16, f.Samples(el.Bytes)), bytes: el.Bytes, elided: true}, nil
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

// track gathers the audio of one lane at one sample rate.
type track struct {
	format   audio.Format
	rate     int
	samples  []int16
	elidedMs float64
	segs     []Segment
}

func newTrack(f audio.Format) *track { return &track{format: f, rate: f.SampleRate()} }

// ms is the track's length.
func (t *track) ms() float64 { return float64(len(t.samples)) * 1000 / float64(t.rate) }

// add appends a chunk, resampled to the track's rate, and returns where it
// sits in the track in ms.
func (t *track) add(c chunk) (a0, a1 float64) {
	a0 = t.ms()
	s := c.samples
	if r := c.format.SampleRate(); r != t.rate {
		s = audio.Resample(s, r, t.rate)
	}
	t.samples = append(t.samples, s...)
	if c.elided {
		t.elidedMs += c.ms()
	}
	return a0, t.ms()
}

// model renders the track; withAudio keeps the samples for playback.
func (t *track) model(withAudio bool) *Track {
	m := &Track{Format: t.format.String(), Rate: t.rate, Ms: int(t.ms() + 0.5), PeakMs: peakMs,
		Peaks: peaks(t.samples, t.rate*peakMs/1000), Elided: int(t.elidedMs + 0.5), Segs: t.segs}
	if withAudio && len(t.samples) > 0 {
		u := make([]byte, len(t.samples))
		for i, s := range t.samples {
			u[i] = audio.EncodeULaw(s)
		}
		m.Audio = base64.StdEncoding.EncodeToString(u)
	}
	return m
}

// peaks returns the lowest and highest sample of every n samples, scaled
// to -128..127.
func peaks(s []int16, n int) []int8 {
	if n <= 0 {
		n = 1
	}
	out := make([]int8, 0, 2*((len(s)+n-1)/n))
	for i := 0; i < len(s); i += n {
		lo, hi := s[i], s[i]
		for _, v := range s[i:min(i+n, len(s))] {
			lo, hi = min(lo, v), max(hi, v)
		}
		out = append(out, int8(lo>>8), int8(hi>>8))
	}
	return out
}

// formats tracks the session's audio formats as the server announced them
// in session.created and session.updated, in either dialect.
type formats struct{ in, out audio.Format }

func (f *formats) observe(event []byte) {
	var ev struct {
		Session struct {
			In    json.RawMessage `json:"input_audio_format"`
			Out   json.RawMessage `json:"output_audio_format"`
			Audio struct {
				Input struct {
					Format json.RawMessage `json:"format"`
				} `json:"input"`
				Output struct {
					Format json.RawMessage `json:"format"`
				} `json:"output"`
			} `json:"audio"`
		} `json:"session"`
	}
	_ = json.Unmarshal(event, &ev) // best effort: what does not parse leaves the format as it was
	for _, p := range []struct {
		dst  *audio.Format
		raws []json.RawMessage
	}{{&f.in, []json.RawMessage{ev.Session.In, ev.Session.Audio.Input.Format}}, {&f.out, []json.RawMessage{ev.Session.Out, ev.Session.Audio.Output.Format}}} {
		for _, raw := range p.raws {
			if af, ok := formatOf(raw); ok {
				*p.dst = af
			}
		}
	}
}

// formatOf reads a preview format string ("pcm16") or a GA format object
// ({"type":"audio/pcm","rate":24000}).
func formatOf(raw json.RawMessage) (audio.Format, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var obj struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return 0, false
		}
		s = obj.Type
	}
	f, err := audio.ParseFormatLenient(s)
	return f, err == nil
}
