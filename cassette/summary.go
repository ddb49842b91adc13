package cassette

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Summary is what a cassette holds, at a glance.
type Summary struct {
	Header   Header
	Frames   int
	Duration time.Duration // time of the last frame

	ClientEvents map[string]int // client text events per "type"
	ServerEvents map[string]int // server text events per "type"
	NotJSON      int            // text frames that are not JSON events
	Binary       int            // binary frames

	Responses []Response // the turns, in order of response.created

	AudioIn  Audio // what the client appended
	AudioOut Audio // what the server sent in audio deltas

	Close     *Frame      // the first close frame, nil when the recording has none
	Problems  []Problem   // errors of every kind, in order
	Stopped   string      // why the recording stopped early (see Writer.Stop); "" when it did not
	Truncated *ParseError // a half-written last line, nil when there is none
}

// Audio is the audio of one direction.
type Audio struct {
	Events   int           // events that carried audio
	Bytes    int64         // decoded bytes
	Duration time.Duration // at the session's format: 48 bytes/ms PCM16, 8 bytes/ms G.711
	Elided   int           // events whose audio was elided
}

// Response is one turn of the assistant.
type Response struct {
	ID         string
	Status     string        // from response.done; "" when it never finished
	Start, End time.Duration // response.created and response.done
	Audio      time.Duration // audio in its deltas
	Transcript string        // from the transcript (or text) done events
}

// Problem is something that went wrong in the session.
type Problem struct {
	T       time.Duration
	Dir     Direction
	Message string
}

// Summarize summarizes a loaded cassette.
func Summarize(c *Cassette) *Summary {
	s := newSummarizer(c.header)
	for _, f := range c.All() {
		s.add(&f)
	}
	s.sum.Truncated = c.truncated
	return s.sum
}

// Inspect summarizes the rest of a cassette as it streams from r.
func Inspect(r *Reader) (*Summary, error) {
	s := newSummarizer(r.header)
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		s.add(&f)
	}
	s.sum.Truncated = r.Truncated()
	return s.sum, nil
}

type summarizer struct {
	sum       *Summary
	formats   audioFormats
	responses map[string]int // response id → index in sum.Responses
}

func newSummarizer(h Header) *summarizer {
	return &summarizer{
		sum: &Summary{
			Header:       h.clone(),
			ClientEvents: map[string]int{},
			ServerEvents: map[string]int{},
		},
		responses: map[string]int{},
	}
}

func (s *summarizer) problem(f *Frame, format string, args ...any) {
	s.sum.Problems = append(s.sum.Problems, Problem{T: f.T, Dir: f.Dir, Message: fmt.Sprintf(format, args...)})
}

func (s *summarizer) add(f *Frame) {
	sum := s.sum
	sum.Frames++
	sum.Duration = max(sum.Duration, f.T)
	switch f.Kind {
	case KindText:
		if f.Type == "" {
			sum.NotJSON++
			return
		}
		if f.Dir == Client {
			sum.ClientEvents[f.Type]++
		} else {
			sum.ServerEvents[f.Type]++
		}
		s.event(f)
	case KindBinary:
		sum.Binary++
	case KindClose:
		if sum.Close == nil {
			c := *f
			sum.Close = &c
		}
		switch f.Code {
		case 1000, 1001, 1005:
		default:
			s.problem(f, "closed with %d %q", f.Code, f.Reason)
		}
	case KindError:
		if why, ok := StoppedReason(*f); ok {
			sum.Stopped = why
			s.problem(f, "%s%s: the rest of the session is not in the cassette", StoppedPrefix, why)
			return
		}
		s.problem(f, "connection failed: %s", f.Reason)
	case KindHTTP:
		s.problem(f, "upgrade refused: HTTP %d: %s", f.Code, f.Data)
	case KindDropped:
		s.problem(f, "%d frames were not recorded", f.Code)
	case KindFault:
		s.problem(f, "fault injected: %s", f.Reason)
	}
}

func (s *summarizer) event(f *Frame) {
	if field, format := audioField(f.Dir, f.Type, &s.formats); field != "" {
		raw, ok, _ := realtime.StringField(f.Data, field)
		if !ok {
			return
		}
		n, elided, ok := audioSize(raw)
		if !ok {
			return
		}
		a := &s.sum.AudioIn
		if f.Dir == Server {
			a = &s.sum.AudioOut
		}
		if elided {
			el, _ := ParseElision(string(raw))
			format = el.Format
			a.Elided++
		}
		d := AudioDuration(format, n)
		a.Events++
		a.Bytes += int64(n)
		a.Duration += d
		if f.Dir == Server {
			if r := s.response(f, false); r != nil {
				r.Audio += d
			}
		}
		return
	}
	if f.Dir == Client {
		return
	}
	s.formats.observe(f.Dir, f.Type, f.Data)
	switch realtime.KindOf(dialectOf(f.Type), f.Type) {
	case realtime.KindResponseCreated:
		s.response(f, true)
	case realtime.KindResponseDone:
		var ev struct {
			Response struct {
				ID            string `json:"id"`
				Status        string `json:"status"`
				StatusDetails *struct {
					Reason string `json:"reason"`
					Error  *struct {
						Code    string `json:"code"`
						Message string `json:"message"`
					} `json:"error"`
				} `json:"status_details"`
			} `json:"response"`
		}
		if json.Unmarshal(f.Data, &ev) != nil {
			return
		}
		r := s.byID(ev.Response.ID, f)
		r.Status, r.End = ev.Response.Status, f.T
		if ev.Response.Status == "failed" {
			msg := "response " + ev.Response.ID + " failed"
			if d := ev.Response.StatusDetails; d != nil && d.Error != nil {
				msg += ": " + d.Error.Code + " " + d.Error.Message
			}
			s.problem(f, "%s", msg)
		}
	case realtime.KindAudioTranscriptDone, realtime.KindTextDone:
		if r := s.response(f, false); r != nil {
			for _, key := range []string{"transcript", "text"} {
				if raw, ok, _ := realtime.StringField(f.Data, key); ok {
					if t, err := realtime.Unquote(raw); err == nil {
						r.Transcript += string(t)
					}
				}
			}
		}
	case realtime.KindError:
		var ev struct {
			Error struct {
				Type    string  `json:"type"`
				Code    *string `json:"code"`
				Message string  `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(f.Data, &ev) != nil {
			s.problem(f, "error event")
			return
		}
		code := ev.Error.Type
		if ev.Error.Code != nil {
			code += "/" + *ev.Error.Code
		}
		s.problem(f, "error %s: %s", code, ev.Error.Message)
	}
}

// dialectOf picks the dialect in which a server event name is known, so
// that Kinds can be compared without knowing the session's dialect.
func dialectOf(typ string) realtime.Dialect {
	if realtime.KindOf(realtime.GA, typ) != realtime.KindUnknown {
		return realtime.GA
	}
	return realtime.Preview
}

// response returns the turn the event belongs to (by "response_id", or
// the response object's id for response.created), creating it when create
// is true or when an event names a response not seen before.
func (s *summarizer) response(f *Frame, created bool) *Response {
	if created {
		var ev struct {
			Response struct {
				ID string `json:"id"`
			} `json:"response"`
		}
		if json.Unmarshal(f.Data, &ev) != nil {
			return nil
		}
		return s.byID(ev.Response.ID, f)
	}
	raw, ok, _ := realtime.StringField(f.Data, "response_id")
	if !ok {
		return nil
	}
	return s.byID(string(raw), f)
}

func (s *summarizer) byID(id string, f *Frame) *Response {
	if i, ok := s.responses[id]; ok {
		return &s.sum.Responses[i]
	}
	s.responses[id] = len(s.sum.Responses)
	s.sum.Responses = append(s.sum.Responses, Response{ID: id, Start: f.T})
	return &s.sum.Responses[len(s.sum.Responses)-1]
}
