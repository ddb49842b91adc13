// Package invariant checks a stream of server events against the orderings
// the live service keeps (docs/protocol.md §4): every response.created has
// exactly one response.done with the same id; output items, content parts
// and deltas nest and close in order; transcripts equal their deltas; the
// session never sends an event of the other dialect; VAD events share their
// item ids; audio deltas are whole samples. rtmock runs it over everything
// its simulated sessions send, in both dialects.
//
// The checks are server rules: a table of small functions, one per server
// event kind (checks.go), over events decoded once by realtime.DecodeServer.
package invariant

import (
	"fmt"

	"github.com/rtmock/rtmock/realtime"
)

// Violation is one broken invariant, at the index of the offending event.
type Violation struct {
	Index int
	Type  string
	Msg   string
}

func (v Violation) String() string { return fmt.Sprintf("event %d (%s): %s", v.Index, v.Type, v.Msg) }

// ItemAudio is the audio an assistant item received, in bytes.
type ItemAudio struct {
	ItemID     string
	ResponseID string
	Bytes      int
	Status     string // the response's final status
}

// Report is the result of a check.
type Report struct {
	Violations []Violation
	Responses  int
	Audio      []ItemAudio // per assistant audio item, in order
}

// Checker consumes server events one at a time.
type Checker struct {
	d            realtime.Dialect
	bytesPerSamp int
	n            int
	parser       realtime.Parser
	rep          Report
	seenIDs      map[string]bool
	responses    map[string]*respState
	items        map[string]*itemState
	conv         map[string]bool // conversation item ids
	speech       map[string]string
	lastCommit   string
}

type respState struct {
	done    bool
	outputs map[int]string // output_index → item id
}

type itemState struct {
	resp     string
	added    bool
	done     bool
	parts    map[int]*partState
	audioIdx int
	args     []byte
}

type partState struct {
	open       bool
	transcript []byte
	text       []byte
}

// New returns a Checker for a session of dialect d whose output audio has
// bytesPerSample bytes per sample (2 for PCM16, 1 for G.711).
func New(d realtime.Dialect, bytesPerSample int) *Checker {
	return &Checker{d: d, bytesPerSamp: bytesPerSample, seenIDs: map[string]bool{},
		responses: map[string]*respState{}, items: map[string]*itemState{}, conv: map[string]bool{}, speech: map[string]string{}}
}

func (c *Checker) fail(typ, format string, args ...any) {
	c.rep.Violations = append(c.rep.Violations, Violation{Index: c.n, Type: typ, Msg: fmt.Sprintf(format, args...)})
}

// Add checks the next server event.
func (c *Checker) Add(data []byte) {
	defer func() { c.n++ }()
	ev, err := realtime.DecodeServer(&c.parser, c.d, data)
	if err != nil {
		c.fail("", "not JSON: %v", err)
		return
	}
	if !c.header(&ev) || !c.inResponse(&ev) {
		return
	}
	if check := checks[ev.Kind]; check != nil {
		check(c, &ev)
	}
}

// header checks what every event has: a unique event_id and a type of the
// session's dialect.
func (c *Checker) header(ev *realtime.ServerEvent) bool {
	switch {
	case ev.EventID == "":
		c.fail(ev.Type, "no event_id")
	case c.seenIDs[ev.EventID]:
		c.fail(ev.Type, "event_id %s used twice", ev.EventID)
	}
	c.seenIDs[ev.EventID] = true
	if ev.Kind != realtime.KindUnknown {
		return true
	}
	if realtime.IsServerType(c.d.Other(), ev.Type) {
		c.fail(ev.Type, "event of the %s dialect in a %s session", c.d.Other(), c.d)
	} else {
		c.fail(ev.Type, "unknown server event type")
	}
	return false
}

// inResponse checks that an event of a response belongs to one that was
// created and is not done yet.
func (c *Checker) inResponse(ev *realtime.ServerEvent) bool {
	if ev.Kind == realtime.KindResponseCreated || ev.Kind == realtime.KindResponseDone || ev.ResponseID == "" {
		return true
	}
	r := c.responses[ev.ResponseID]
	switch {
	case r == nil:
		c.fail(ev.Type, "response %s was never created", ev.ResponseID)
		return false
	case r.done:
		c.fail(ev.Type, "after response.done of %s", ev.ResponseID)
		return false
	}
	return true
}

// item returns the output item an event names, reporting one that was
// never added.
func (c *Checker) item(ev *realtime.ServerEvent) *itemState {
	it := c.items[ev.ItemID]
	if it == nil {
		c.fail(ev.Type, "item %q was never added to the response", ev.ItemID)
	}
	return it
}

// part returns the content part an event names; open requires it still
// open.
func (c *Checker) part(ev *realtime.ServerEvent, open bool) *partState {
	it := c.item(ev)
	if it == nil {
		return nil
	}
	p := it.parts[ev.ContentIndex]
	if p == nil {
		c.fail(ev.Type, "content part %d of item %s was never added", ev.ContentIndex, ev.ItemID)
		return nil
	}
	if open && !p.open {
		c.fail(ev.Type, "after content_part.done of item %s", ev.ItemID)
	}
	return p
}

// Finish reports responses that never finished and returns the report.
func (c *Checker) Finish(closedEarly bool) Report {
	if !closedEarly {
		for id, r := range c.responses {
			if !r.done {
				c.rep.Violations = append(c.rep.Violations, Violation{Index: c.n, Msg: "response " + id + " never got response.done"})
			}
		}
	}
	return c.rep
}
