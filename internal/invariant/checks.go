package invariant

import (
	"encoding/base64"

	"github.com/rtmock/rtmock/realtime"
)

// checks is the table of server rules: what each kind of event must
// satisfy given what came before it, and what it changes.
var checks = map[realtime.Kind]func(*Checker, *realtime.ServerEvent){
	realtime.KindResponseCreated:            (*Checker).responseCreated,
	realtime.KindOutputItemAdded:            (*Checker).outputItemAdded,
	realtime.KindItemCreated:                (*Checker).itemAdded,
	realtime.KindItemAdded:                  (*Checker).itemAdded,
	realtime.KindItemDone:                   (*Checker).itemDone,
	realtime.KindContentPartAdded:           (*Checker).partAdded,
	realtime.KindAudioDelta:                 (*Checker).audioDelta,
	realtime.KindAudioTranscriptDelta:       func(c *Checker, ev *realtime.ServerEvent) { c.appendText(ev, true) },
	realtime.KindTextDelta:                  func(c *Checker, ev *realtime.ServerEvent) { c.appendText(ev, false) },
	realtime.KindAudioDone:                  func(c *Checker, ev *realtime.ServerEvent) { c.part(ev, true) },
	realtime.KindAudioTranscriptDone:        func(c *Checker, ev *realtime.ServerEvent) { c.textDone(ev, "transcript", true) },
	realtime.KindTextDone:                   func(c *Checker, ev *realtime.ServerEvent) { c.textDone(ev, "text", false) },
	realtime.KindContentPartDone:            (*Checker).partDone,
	realtime.KindFunctionCallArgumentsDelta: (*Checker).argsDelta,
	realtime.KindFunctionCallArgumentsDone:  (*Checker).argsDone,
	realtime.KindOutputItemDone:             (*Checker).outputItemDone,
	realtime.KindResponseDone:               (*Checker).responseDone,
	realtime.KindSpeechStarted:              (*Checker).speechStarted,
	realtime.KindSpeechStopped:              (*Checker).speechStopped,
	realtime.KindInputCommitted:             (*Checker).committed,
}

func (c *Checker) responseCreated(ev *realtime.ServerEvent) {
	r := ev.Root.Get("response")
	if c.responses[ev.ResponseID] != nil {
		c.fail(ev.Type, "response %s created twice", ev.ResponseID)
	}
	if st, _ := r.Get("status").Str(); st != "in_progress" {
		c.fail(ev.Type, "status %q, want in_progress", st)
	}
	for _, k := range []string{"status_details", "usage", "output"} {
		if !r.Get(k).Exists() {
			c.fail(ev.Type, "response has no %q key", k)
		}
	}
	c.responses[ev.ResponseID] = &respState{outputs: map[int]string{}}
	c.rep.Responses++
}

func (c *Checker) outputItemAdded(ev *realtime.ServerEvent) {
	c.items[ev.ItemID] = &itemState{resp: ev.ResponseID, parts: map[int]*partState{}, audioIdx: -1}
	if r := c.responses[ev.ResponseID]; r != nil {
		r.outputs[ev.OutputIndex] = ev.ItemID
	}
}

func (c *Checker) itemAdded(ev *realtime.ServerEvent) {
	if !ev.HasPrevious {
		c.fail(ev.Type, "no previous_item_id key")
	}
	if p := ev.PreviousItemID; p != "" && !c.conv[p] {
		c.fail(ev.Type, "previous_item_id %s is not in the conversation", p)
	}
	if c.lastCommit != "" && ev.ItemID != c.lastCommit {
		c.fail(ev.Type, "item %s follows input_audio_buffer.committed of %s", ev.ItemID, c.lastCommit)
	}
	c.lastCommit = ""
	c.conv[ev.ItemID] = true
	if st := c.items[ev.ItemID]; st != nil {
		st.added = true
	}
}

func (c *Checker) itemDone(ev *realtime.ServerEvent) {
	if !c.conv[ev.ItemID] {
		c.fail(ev.Type, "conversation.item.done for %s before conversation.item.added", ev.ItemID)
	}
	if st := c.items[ev.ItemID]; st != nil {
		c.noOpenParts(ev, st, "item "+ev.ItemID+" done")
	}
}

func (c *Checker) noOpenParts(ev *realtime.ServerEvent, it *itemState, what string) {
	for i, p := range it.parts {
		if p.open {
			c.fail(ev.Type, "%s with content part %d open", what, i)
		}
	}
}

func (c *Checker) partAdded(ev *realtime.ServerEvent) {
	it := c.item(ev)
	if it == nil {
		return
	}
	if c.d == realtime.GA && !it.added {
		c.fail(ev.Type, "content part before conversation.item.added of %s", ev.ItemID)
	}
	it.parts[ev.ContentIndex] = &partState{open: true}
}

func (c *Checker) audioDelta(ev *realtime.ServerEvent) {
	it := c.item(ev)
	if it == nil {
		return
	}
	c.part(ev, true)
	b64, _ := ev.Root.Get("delta").Bytes()
	b, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		c.fail(ev.Type, "delta is not base64: %v", err)
		return
	}
	if len(b)%c.bytesPerSamp != 0 {
		c.fail(ev.Type, "%d bytes is not a whole number of samples", len(b))
	}
	if it.audioIdx < 0 {
		it.audioIdx = len(c.rep.Audio)
		c.rep.Audio = append(c.rep.Audio, ItemAudio{ItemID: ev.ItemID, ResponseID: ev.ResponseID})
	}
	c.rep.Audio[it.audioIdx].Bytes += len(b)
}

// appendText adds a transcript or text delta to its open part.
func (c *Checker) appendText(ev *realtime.ServerEvent, transcript bool) {
	p := c.part(ev, true)
	if p == nil {
		return
	}
	d, _ := ev.Root.Get("delta").Bytes()
	if transcript {
		p.transcript = append(p.transcript, d...)
	} else {
		p.text = append(p.text, d...)
	}
}

// textDone checks that a transcript or text equals its deltas.
func (c *Checker) textDone(ev *realtime.ServerEvent, key string, transcript bool) {
	p := c.part(ev, true)
	if p == nil {
		return
	}
	got := p.text
	if transcript {
		got = p.transcript
	}
	if want := ev.Str(key); want != string(got) {
		c.fail(ev.Type, "%s %q is not its deltas %q", key, want, got)
	}
}

func (c *Checker) partDone(ev *realtime.ServerEvent) {
	if p := c.part(ev, true); p != nil {
		p.open = false
	}
}

func (c *Checker) argsDelta(ev *realtime.ServerEvent) {
	if it := c.item(ev); it != nil {
		d, _ := ev.Root.Get("delta").Bytes()
		it.args = append(it.args, d...)
	}
}

func (c *Checker) argsDone(ev *realtime.ServerEvent) {
	if it := c.item(ev); it != nil && string(it.args) != ev.Str("arguments") {
		c.fail(ev.Type, "arguments %q are not their deltas %q", ev.Str("arguments"), it.args)
	}
}

func (c *Checker) outputItemDone(ev *realtime.ServerEvent) {
	it := c.item(ev)
	if it == nil {
		return
	}
	c.noOpenParts(ev, it, "output item done")
	if it.done {
		c.fail(ev.Type, "output item done twice")
	}
	it.done = true
}

func (c *Checker) responseDone(ev *realtime.ServerEvent) {
	st := c.responses[ev.ResponseID]
	if st == nil {
		c.fail(ev.Type, "response %s was never created", ev.ResponseID)
		return
	}
	if st.done {
		c.fail(ev.Type, "response %s done twice", ev.ResponseID)
	}
	st.done = true
	r := ev.Root.Get("response")
	for idx, iid := range st.outputs {
		if it := c.items[iid]; it != nil && !it.done {
			c.fail(ev.Type, "response done before output_item.done of output %d (%s)", idx, iid)
		}
	}
	if r.Get("usage").Kind() != realtime.JSONObject {
		c.fail(ev.Type, "response.done without usage")
	}
	status, _ := r.Get("status").Str()
	c.statusDetails(ev, status, r.Get("status_details"))
	for i := range c.rep.Audio {
		if c.rep.Audio[i].ResponseID == ev.ResponseID {
			c.rep.Audio[i].Status = status
		}
	}
}

// statusDetails checks that a finished response explains itself exactly
// when it did not complete.
func (c *Checker) statusDetails(ev *realtime.ServerEvent, status string, details realtime.Value) {
	switch {
	case !details.Exists():
		c.fail(ev.Type, "no status_details key")
	case status == "completed" && !details.IsNull():
		c.fail(ev.Type, "completed response with status_details %s", details.Raw())
	case status != "completed" && details.IsNull():
		c.fail(ev.Type, "%s response without status_details", status)
	}
}

func (c *Checker) speechStarted(ev *realtime.ServerEvent) { c.speech[ev.ItemID] = "started" }

func (c *Checker) speechStopped(ev *realtime.ServerEvent) {
	if c.speech[ev.ItemID] != "started" {
		c.fail(ev.Type, "speech_stopped for %s without speech_started", ev.ItemID)
	}
	c.speech[ev.ItemID] = "stopped"
}

func (c *Checker) committed(ev *realtime.ServerEvent) {
	c.lastCommit = ev.ItemID
	if s, ok := c.speech[c.lastCommit]; ok && s != "stopped" {
		c.fail(ev.Type, "committed %s while its speech is still going", c.lastCommit)
	}
}
