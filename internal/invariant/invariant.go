// Package invariant checks a stream of server events against the orderings
// the live service keeps (protocol reference §4): every response.created has
// exactly one response.done with the same id; output items, content parts
// and deltas nest and close in order; transcripts equal their deltas; the
// session never sends an event of the other dialect; VAD events share their
// item ids; audio deltas are whole samples. rtmock runs it over everything
// its simulated sessions send, in both dialects.
package invariant

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

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
	rep          Report
	seenIDs      map[string]bool
	responses    map[string]*respState
	items        map[string]*itemState
	conv         []string // conversation item ids in order
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
	args     strings.Builder
}

type partState struct {
	open       bool
	transcript strings.Builder
	text       strings.Builder
}

// New returns a Checker for a session of dialect d whose output audio has
// bytesPerSample bytes per sample (2 for PCM16, 1 for G.711).
func New(d realtime.Dialect, bytesPerSample int) *Checker {
	return &Checker{d: d, bytesPerSamp: bytesPerSample, seenIDs: map[string]bool{},
		responses: map[string]*respState{}, items: map[string]*itemState{}, speech: map[string]string{}}
}

func (c *Checker) fail(typ, format string, args ...any) {
	c.rep.Violations = append(c.rep.Violations, Violation{Index: c.n, Type: typ, Msg: fmt.Sprintf(format, args...)})
}

// Add checks the next server event.
func (c *Checker) Add(data []byte) {
	defer func() { c.n++ }()
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		c.fail("", "not JSON: %v", err)
		return
	}
	typ, _ := ev["type"].(string)
	id, _ := ev["event_id"].(string)
	if id == "" {
		c.fail(typ, "no event_id")
	} else if c.seenIDs[id] {
		c.fail(typ, "event_id %s used twice", id)
	}
	c.seenIDs[id] = true
	kind := realtime.KindOf(c.d, typ)
	if kind == realtime.KindUnknown {
		if realtime.IsServerType(c.d.Other(), typ) {
			c.fail(typ, "event of the %s dialect in a %s session", c.d.Other(), c.d)
		} else {
			c.fail(typ, "unknown server event type")
		}
		return
	}
	str := func(k string) string { s, _ := ev[k].(string); return s }
	num := func(k string) int { f, _ := ev[k].(float64); return int(f) }
	respID := str("response_id")
	itemID := str("item_id")
	if it, ok := ev["item"].(map[string]any); ok && itemID == "" {
		itemID, _ = it["id"].(string)
	}
	item := func() *itemState {
		it := c.items[itemID]
		if it == nil {
			c.fail(typ, "item %q was never added to the response", itemID)
		}
		return it
	}
	part := func(it *itemState, open bool) *partState {
		p := it.parts[num("content_index")]
		if p == nil {
			c.fail(typ, "content part %d of item %s was never added", num("content_index"), str("item_id"))
			return nil
		}
		if open && !p.open {
			c.fail(typ, "after content_part.done of item %s", str("item_id"))
		}
		return p
	}
	if respID != "" {
		r := c.responses[respID]
		switch {
		case r == nil:
			c.fail(typ, "response %s was never created", respID)
			return
		case r.done:
			c.fail(typ, "after response.done of %s", respID)
			return
		}
	}
	switch kind {
	case realtime.KindResponseCreated:
		r, _ := ev["response"].(map[string]any)
		rid, _ := r["id"].(string)
		if c.responses[rid] != nil {
			c.fail(typ, "response %s created twice", rid)
		}
		if st, _ := r["status"].(string); st != "in_progress" {
			c.fail(typ, "status %q, want in_progress", st)
		}
		for _, k := range []string{"status_details", "usage", "output"} {
			if _, ok := r[k]; !ok {
				c.fail(typ, "response has no %q key", k)
			}
		}
		c.responses[rid] = &respState{outputs: map[int]string{}}
		c.rep.Responses++
	case realtime.KindOutputItemAdded:
		it, _ := ev["item"].(map[string]any)
		iid, _ := it["id"].(string)
		c.items[iid] = &itemState{resp: respID, parts: map[int]*partState{}, audioIdx: -1}
		c.responses[respID].outputs[num("output_index")] = iid
	case realtime.KindItemCreated, realtime.KindItemAdded:
		it, _ := ev["item"].(map[string]any)
		iid, _ := it["id"].(string)
		if _, ok := ev["previous_item_id"]; !ok {
			c.fail(typ, "no previous_item_id key")
		}
		prev, _ := ev["previous_item_id"].(string)
		if prev != "" && !contains(c.conv, prev) {
			c.fail(typ, "previous_item_id %s is not in the conversation", prev)
		}
		if c.lastCommit != "" && iid != c.lastCommit {
			c.fail(typ, "item %s follows input_audio_buffer.committed of %s", iid, c.lastCommit)
		}
		c.lastCommit = ""
		if !contains(c.conv, iid) {
			c.conv = append(c.conv, iid)
		}
		if st := c.items[iid]; st != nil {
			st.added = true
		}
	case realtime.KindItemDone:
		it, _ := ev["item"].(map[string]any)
		iid, _ := it["id"].(string)
		if !contains(c.conv, iid) {
			c.fail(typ, "conversation.item.done for %s before conversation.item.added", iid)
		}
		if st := c.items[iid]; st != nil {
			for i, p := range st.parts {
				if p.open {
					c.fail(typ, "item %s done with content part %d open", iid, i)
				}
			}
		}
	case realtime.KindContentPartAdded:
		if it := item(); it != nil {
			if c.d == realtime.GA && !it.added {
				c.fail(typ, "content part before conversation.item.added of %s", str("item_id"))
			}
			it.parts[num("content_index")] = &partState{open: true}
		}
	case realtime.KindAudioDelta:
		if it := item(); it != nil {
			part(it, true)
			b, err := base64.StdEncoding.DecodeString(str("delta"))
			if err != nil {
				c.fail(typ, "delta is not base64: %v", err)
				return
			}
			if len(b)%c.bytesPerSamp != 0 {
				c.fail(typ, "%d bytes is not a whole number of samples", len(b))
			}
			if it.audioIdx < 0 {
				it.audioIdx = len(c.rep.Audio)
				c.rep.Audio = append(c.rep.Audio, ItemAudio{ItemID: str("item_id"), ResponseID: respID})
			}
			c.rep.Audio[it.audioIdx].Bytes += len(b)
		}
	case realtime.KindAudioTranscriptDelta:
		if it := item(); it != nil {
			if p := part(it, true); p != nil {
				p.transcript.WriteString(str("delta"))
			}
		}
	case realtime.KindTextDelta:
		if it := item(); it != nil {
			if p := part(it, true); p != nil {
				p.text.WriteString(str("delta"))
			}
		}
	case realtime.KindAudioDone:
		if it := item(); it != nil {
			part(it, true)
		}
	case realtime.KindAudioTranscriptDone:
		if it := item(); it != nil {
			if p := part(it, true); p != nil && p.transcript.String() != str("transcript") {
				c.fail(typ, "transcript %q is not its deltas %q", str("transcript"), p.transcript.String())
			}
		}
	case realtime.KindTextDone:
		if it := item(); it != nil {
			if p := part(it, true); p != nil && p.text.String() != str("text") {
				c.fail(typ, "text %q is not its deltas %q", str("text"), p.text.String())
			}
		}
	case realtime.KindContentPartDone:
		if it := item(); it != nil {
			if p := part(it, true); p != nil {
				p.open = false
			}
		}
	case realtime.KindFunctionCallArgumentsDelta:
		if it := item(); it != nil {
			it.args.WriteString(str("delta"))
		}
	case realtime.KindFunctionCallArgumentsDone:
		if it := item(); it != nil && it.args.String() != str("arguments") {
			c.fail(typ, "arguments %q are not their deltas %q", str("arguments"), it.args.String())
		}
	case realtime.KindOutputItemDone:
		if it := item(); it != nil {
			for i, p := range it.parts {
				if p.open {
					c.fail(typ, "output item done with content part %d open", i)
				}
			}
			if it.done {
				c.fail(typ, "output item done twice")
			}
			it.done = true
		}
	case realtime.KindResponseDone:
		r, _ := ev["response"].(map[string]any)
		rid, _ := r["id"].(string)
		st := c.responses[rid]
		if st == nil {
			c.fail(typ, "response %s was never created", rid)
			return
		}
		if st.done {
			c.fail(typ, "response %s done twice", rid)
		}
		st.done = true
		status, _ := r["status"].(string)
		for idx, iid := range st.outputs {
			if it := c.items[iid]; it != nil && !it.done {
				c.fail(typ, "response done before output_item.done of output %d (%s)", idx, iid)
			}
		}
		if _, ok := r["usage"].(map[string]any); !ok {
			c.fail(typ, "response.done without usage")
		}
		details, hasDetails := r["status_details"]
		switch {
		case !hasDetails:
			c.fail(typ, "no status_details key")
		case status == "completed" && details != nil:
			c.fail(typ, "completed response with status_details %v", details)
		case status != "completed" && details == nil:
			c.fail(typ, "%s response without status_details", status)
		}
		for i := range c.rep.Audio {
			if c.rep.Audio[i].ResponseID == rid {
				c.rep.Audio[i].Status = status
			}
		}
	case realtime.KindSpeechStarted:
		c.speech[str("item_id")] = "started"
	case realtime.KindSpeechStopped:
		if c.speech[str("item_id")] != "started" {
			c.fail(typ, "speech_stopped for %s without speech_started", str("item_id"))
		}
		c.speech[str("item_id")] = "stopped"
	case realtime.KindInputCommitted:
		c.lastCommit = str("item_id")
		if s, ok := c.speech[c.lastCommit]; ok && s != "stopped" {
			c.fail(typ, "committed %s while its speech is still going", c.lastCommit)
		}
	}
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
