package view

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// Options configure [Build]. A nil *Options means the defaults.
type Options struct {
	// MaxAudio is how much audio of a session (client and assistant
	// together, in track order) keeps its samples for playback; the
	// waveform is always drawn. Default 10 minutes; negative: none.
	MaxAudio time.Duration
}

// DefaultMaxAudio is the default Options.MaxAudio.
const DefaultMaxAudio = 10 * time.Minute

// builder holds what Build learns while it walks the frames once.
type builder struct {
	s       *Session
	m       *Model
	dialect realtime.Dialect
	fmts    formats
	input   *track
	items   map[string]*itemState
	order   []*itemState
	resps   map[string]int // response id → index in m.Responses
	lastEnd float64        // where the last client append ended on the time axis
	lastT   float64        // the last frame's time

	transcripts map[string]*strings.Builder // item id → its words
}

// itemState is an assistant audio item being gathered.
type itemState struct {
	Item
	track *track
	recv  []recvPoint // cumulative ms received after each delta
}

type recvPoint struct{ t, ms float64 }

// recvAt is how much of the item had arrived by time t.
func (it *itemState) recvAt(t float64) float64 {
	ms := 0.0
	for _, p := range it.recv {
		if p.t > t {
			break
		}
		ms = p.ms
	}
	return ms
}

// Build decodes a session into the page's model.
func Build(s *Session, opts *Options) *Model {
	o := Options{MaxAudio: DefaultMaxAudio}
	if opts != nil && opts.MaxAudio != 0 {
		o.MaxAudio = opts.MaxAudio
	}
	h := s.Header
	b := &builder{s: s, dialect: h.Dialect, items: map[string]*itemState{}, resps: map[string]int{}}
	b.m = &Model{
		Name: s.Name, Source: s.Source, ID: h.ID, Dialect: string(h.Dialect), Provider: h.Provider,
		Endpoint: endpoint(h.Endpoint), Recorder: h.Recorder,
		Events: make([]Event, 0, len(s.Frames)), Items: []Item{}, VAD: []Window{}, Responses: []Response{},
		Truncates: []Truncate{}, Faults: []Fault{}, Findings: append([]Finding{}, s.Findings...),
		Notes: append([]string{}, s.Notes...),
	}
	if !h.Created.IsZero() {
		b.m.Created = h.Created.UTC().Format(time.RFC3339)
	}
	if !b.dialect.Valid() {
		b.dialect = guessDialect(s.Frames)
		b.m.Dialect = string(b.dialect)
	}
	for i, f := range s.Frames {
		b.frame(i, f)
	}
	b.finish(o)
	return b.m
}

// endpoint is the path and query the client asked for.
func endpoint(e cassette.Endpoint) string {
	if len(e.Query) == 0 {
		return e.Path
	}
	var q []string
	for k, v := range e.Query {
		q = append(q, k+"="+v)
	}
	slices.Sort(q)
	return e.Path + "?" + strings.Join(q, "&")
}

// guessDialect tells the dialect from the server's event names: GA when
// any is GA-only, preview otherwise.
func guessDialect(frames []cassette.Frame) realtime.Dialect {
	for _, f := range frames {
		if f.Dir == cassette.Server && f.Type != "" && realtime.KindOf(realtime.Preview, f.Type) == realtime.KindUnknown &&
			realtime.KindOf(realtime.GA, f.Type) != realtime.KindUnknown {
			return realtime.GA
		}
	}
	return realtime.Preview
}

// kind classifies a server event, in the session's dialect first.
func (b *builder) kind(typ string) realtime.Kind {
	if k := realtime.KindOf(b.dialect, typ); k != realtime.KindUnknown {
		return k
	}
	return realtime.KindOf(b.dialect.Other(), typ)
}

func (b *builder) frame(i int, f cassette.Frame) {
	ev := Event{T: f.T.Seconds(), Dir: string(f.Dir), Kind: f.Kind.String()}
	if i < len(b.s.Lines) {
		ev.Line = b.s.Lines[i]
	}
	b.lastT = max(b.lastT, ev.T)
	switch f.Kind {
	case cassette.KindText:
		b.text(i, f, &ev)
	case cassette.KindBinary:
		ev.JSON = fmt.Sprintf(`{"binary":"(%d bytes)"}`, len(f.Data))
	case cassette.KindClose:
		ev.JSON = member("close", map[string]any{"code": f.Code, "reason": f.Reason})
		if f.Code == 1006 || strings.HasPrefix(f.Reason, "fault:") {
			ev.Err = true
			b.fault(ev.T, i, "disconnect", fmt.Sprintf("close %d %s", f.Code, f.Reason))
		}
	case cassette.KindError:
		ev.JSON, ev.Err = member("error", f.Reason), true
		b.fault(ev.T, i, "connection", "connection failed: "+f.Reason)
	case cassette.KindHTTP:
		ev.JSON = member("http", map[string]any{"status": f.Code, "headers": f.Header, "body": string(f.Data)})
		ev.Err = true
		b.fault(ev.T, i, "refused", fmt.Sprintf("upgrade refused: HTTP %d", f.Code))
	case cassette.KindDropped:
		ev.JSON, ev.Err = member("dropped", f.Code), true
		b.fault(ev.T, i, "dropped", fmt.Sprintf("%d %s frames missing", f.Code, f.Dir))
	case cassette.KindAudio:
		// A WebRTC packet: its RTP timing and size, not its samples.
		ev.JSON = member("audio", map[string]any{"rtp_ts": f.RTP.Timestamp, "seq": f.RTP.Seq, "bytes": len(f.Data)})
	case cassette.KindFault:
		ev.JSON = member("fault", f.Reason)
		kind, _, _ := strings.Cut(f.Reason, " ")
		b.fault(ev.T, i, firstOf(kind, "fault"), "injected: "+f.Reason)
	}
	b.m.Events = append(b.m.Events, ev)
}

// member renders a cassette frame member as the page shows it.
func member(name string, v any) string {
	out, _ := json.Marshal(map[string]any{name: v})
	return string(out)
}

func (b *builder) fault(t float64, i int, kind, text string) {
	b.m.Faults = append(b.m.Faults, Fault{T: t, Ev: i, Kind: kind, Text: text})
}

// fields are the members of an event the model reads. Decoding is best
// effort: a member of the wrong type is left empty, the rest is read.
type fields struct {
	ItemID       string `json:"item_id"`
	ResponseID   string `json:"response_id"`
	ContentIndex any    `json:"content_index"`
	AudioStartMs any    `json:"audio_start_ms"`
	AudioEndMs   any    `json:"audio_end_ms"`
	Delta        string `json:"delta"`
	Transcript   string `json:"transcript"`
	Item         struct {
		ID string `json:"id"`
	} `json:"item"`
	Response struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		StatusDetails struct {
			Reason string `json:"reason"`
			Type   string `json:"type"`
		} `json:"status_details"`
		Output []struct {
			ID string `json:"id"`
		} `json:"output"`
	} `json:"response"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		EventID string `json:"event_id"`
	} `json:"error"`
}

func (b *builder) text(i int, f cassette.Frame, ev *Event) {
	if !json.Valid(f.Data) {
		ev.JSON = member("text", string(f.Data))
		return
	}
	h, err := realtime.Peek(f.Data)
	if err != nil {
		ev.JSON = string(f.Data) // JSON, but no event
		return
	}
	ev.Type, ev.ID = h.Type, h.EventID
	field, format := "", b.fmts.in
	switch {
	case f.Dir == cassette.Client && (h.Type == realtime.ClientInputAppend || h.Type == realtime.ClientSessionInputAppend):
		field = "audio"
	case f.Dir == cassette.Server && b.kind(h.Type) == realtime.KindAudioDelta:
		field, format = "delta", b.fmts.out
	}
	if field != "" {
		ev.JSON = b.audioEvent(i, f, ev, field, format)
		return
	}
	ev.JSON = string(f.Data)
	var fs fields
	_ = json.Unmarshal(f.Data, &fs) // best effort, see fields
	ev.Item = firstOf(fs.ItemID, fs.Item.ID)
	ev.Resp = firstOf(fs.ResponseID, fs.Response.ID)
	if f.Dir == cassette.Client {
		if h.Type == realtime.ClientItemTruncate {
			b.truncate(i, ev, &fs)
		}
		return
	}
	b.server(i, f, ev, &fs)
}

// audioEvent adds the audio of an append or a delta to its track and
// returns the event's JSON with the audio elided.
func (b *builder) audioEvent(i int, f cassette.Frame, ev *Event, field string, format audio.Format) string {
	c, err := decodeAudio(f.Data, field, format)
	if err != nil {
		ev.Err = f.Dir == cassette.Client // a client sending bad audio is a bug to see; the raw JSON shows it
		return string(f.Data)
	}
	ev.Ms = c.ms()
	if f.Dir == cassette.Client {
		b.addInput(i, ev.T, c)
	} else {
		ev.Item, _ = stringField(f.Data, "item_id")
		ev.Resp, _ = stringField(f.Data, "response_id")
		b.addOutput(ev, c)
	}
	out, _ := cassette.ElideAudio(f.Dir, f.Data, c.format.String())
	return string(out)
}

func stringField(data []byte, key string) (string, bool) {
	raw, ok, err := realtime.StringField(data, key)
	if err != nil || !ok {
		return "", false
	}
	s, err := realtime.Unquote(raw)
	return string(s), err == nil
}

// addInput places a client append on the time axis: ending where it
// arrived, at most its duration long, after the previous one.
func (b *builder) addInput(i int, t float64, c chunk) {
	if b.input == nil {
		b.input = newTrack(c.format)
	}
	a0, a1 := b.input.add(c)
	if a1 <= a0 {
		return
	}
	start := max(b.lastEnd, t-(a1-a0)/1000)
	b.input.segs = append(b.input.segs, Segment{T0: start, T1: t, A0: a0, A1: a1, Ev: i})
	b.lastEnd = t
}

// addOutput adds an audio delta to its item.
func (b *builder) addOutput(ev *Event, c chunk) {
	it := b.items[ev.Item]
	if it == nil {
		it = &itemState{Item: Item{ID: ev.Item, Resp: ev.Resp, T: ev.T, Cut: -1, Response: -1}, track: newTrack(c.format)}
		b.items[ev.Item] = it
		b.order = append(b.order, it)
	}
	_, a1 := it.track.add(c)
	it.Deltas++
	it.LastT = ev.T
	it.recv = append(it.recv, recvPoint{ev.T, a1})
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
