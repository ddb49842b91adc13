package mockserver

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// DefaultReply is what the assistant answers when no scenario turn applies:
// the Azure quickstart's greeting, 1750 ms of 440 Hz tone in the
// quickstart's delta sizes (4800, 7200, then 12000 bytes).
var DefaultReply = scenarios.Reply{
	Transcript: "Hello! How can I help you today?",
	Audio: &scenarios.AudioSpec{
		ToneHz: 440, Amplitude: 0.3, Duration: 1750 * time.Millisecond,
		Chunks: []time.Duration{100 * time.Millisecond, 150 * time.Millisecond, 250 * time.Millisecond},
	},
}

// response is one model response in progress or done.
type response struct {
	ID        string
	oob       bool // conversation "none": writes no items to the conversation
	status    string
	details   any
	audioOut  bool
	voice     string
	format    audio.Format
	maxTokens json.RawMessage
	metadata  json.RawMessage
	output    []*item
	finished  bool

	// Streaming state, advanced by the response's steps as they run.
	msgItem        *item
	partOpen       bool
	itemOpen       *item
	transcriptSent strings.Builder
	textSent       strings.Builder
	audioSent      int
	firstAudioAt   time.Time
	interrupt      *scenarios.Interrupt
	interruptAfter string // the item whose playback the interrupt follows
	inputTokens    int
}

// peekTurn returns the turn the trigger would take, without taking it.
func (s *session) peekTurn(trigger scenarios.Trigger) *scenarios.Turn {
	i := s.findTurn(trigger)
	if i < 0 {
		return nil
	}
	return &s.scn.Turns[i]
}

func (s *session) findTurn(trigger scenarios.Trigger) int {
	if s.scn == nil {
		return -1
	}
	for i := range s.scn.Turns {
		t := &s.scn.Turns[i]
		if s.used[i] && !t.Repeat {
			continue
		}
		switch {
		case t.When == trigger,
			trigger == scenarios.OnResponseCreate && t.When == scenarios.OnItemCreate && s.itemSinceResponse,
			trigger == scenarios.OnResponseCreate && t.When == scenarios.OnCommit && s.commitSinceResponse:
			return i
		}
	}
	return -1
}

// takeTurn returns the turn for the trigger and marks it used; nil when no
// turn matches.
func (s *session) takeTurn(trigger scenarios.Trigger) *scenarios.Turn {
	i := s.findTurn(trigger)
	if i < 0 {
		return nil
	}
	s.used[i] = true
	return &s.scn.Turns[i]
}

// runTurn answers a trigger: the turn's error and fault, then its reply (or
// the default reply) as a response. params are the client's response.create
// parameters, if any.
func (s *session) runTurn(t *scenarios.Turn, eventID string, trigger scenarios.Trigger, params *responseParams) {
	reply := s.defaultReply()
	var interrupt *scenarios.Interrupt
	if t != nil {
		if t.Error != nil {
			s.sendError(&realtime.Error{Type: orDefault(t.Error.Type, realtime.InvalidRequestError), Code: t.Error.Code,
				Message: t.Error.Message, Param: t.Error.Param}, eventID)
		}
		if f := t.Fault; f != nil {
			s.schedule(s.clock.Now().Add(f.Delay), nil, func() {
				s.closeWith(closeCode(f.CloseCode), f.CloseReason)
			})
		}
		if t.Reply == nil && (t.Error != nil || t.Fault != nil) {
			return
		}
		if t.Reply != nil {
			reply = t.Reply
		}
		interrupt = t.Interrupt
	}
	if params == nil {
		params = &responseParams{}
	}
	s.createResponse(reply, params, interrupt)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (s *session) defaultReply() *scenarios.Reply {
	if s.scn != nil && s.scn.DefaultReply != nil {
		return s.scn.DefaultReply
	}
	return &DefaultReply
}

// responseParams are the client's response.create overrides.
type responseParams struct {
	audioOut     *bool
	voice        string
	format       *audio.Format
	instructions *string
	conversation string // "auto" | "none"
	metadata     json.RawMessage
	maxTokens    json.RawMessage
	hasInput     bool
}

func (s *session) onResponseCancel(data []byte) *realtime.Error {
	var ev struct {
		ResponseID string `json:"response_id"`
	}
	json.Unmarshal(data, &ev)
	r := s.active
	if ev.ResponseID != "" {
		r = nil
		if s.active != nil && s.active.ID == ev.ResponseID {
			r = s.active
		}
		for o := range s.oob {
			if o.ID == ev.ResponseID {
				r = o
			}
		}
	}
	if r == nil {
		return realtime.ErrCancelNotActive()
	}
	s.finishResponse(r, "cancelled", "client_cancelled")
	return nil
}

func (s *session) onResponseCreate(eventID string, data []byte) *realtime.Error {
	var ev struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return realtime.ErrInvalidJSON(err.Error())
	}
	p, e := s.parseResponseParams(ev.Response)
	if e != nil {
		return e
	}
	if p.conversation != "none" && s.active != nil {
		return realtime.ErrActiveResponse(s.active.ID)
	}
	if s.conf.Type == "transcription" {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: "type",
			Message: "Transcription sessions do not create responses."}
	}
	t := s.takeTurn(scenarios.OnResponseCreate)
	s.runTurn(t, eventID, scenarios.OnResponseCreate, p)
	return nil
}

func (s *session) parseResponseParams(raw json.RawMessage) (*responseParams, *realtime.Error) {
	p := &responseParams{conversation: "auto"}
	f, e := decodeObject("response", raw)
	if e != nil || f == nil {
		return p, e
	}
	var instr string
	if _, ok := f.m["instructions"]; ok {
		if e := f.str("instructions", &instr); e != nil {
			return nil, e
		}
		p.instructions = &instr
	}
	if e := f.enum("conversation", &p.conversation, []string{"auto", "none"}); e != nil {
		return nil, e
	}
	f.rawAny("metadata", &p.metadata)
	var ignored json.RawMessage
	for _, k := range []string{"tools", "tool_choice", "prompt", "tracing", "parallel_tool_calls"} {
		f.rawAny(k, &ignored)
	}
	if raw, ok := f.take("input"); ok {
		p.hasInput = !isNull(raw)
	}
	mods := func(path string, raw json.RawMessage, ga bool) *realtime.Error {
		var m []string
		if json.Unmarshal(raw, &m) != nil {
			return realtime.ErrInvalidType(path, "an array", jsonKind(raw))
		}
		a := slices.Contains(m, "audio")
		if ga && len(m) != 1 {
			return realtime.ErrInvalidValue(path, strings.Join(m, ","), []string{"audio", "text"})
		}
		if !ga && !slices.Contains(m, "text") {
			return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: path,
				Message: fmt.Sprintf("Invalid modalities: %s. Supported combinations are: ['text'] and ['audio', 'text'].", pyList(m))}
		}
		p.audioOut = &a
		return nil
	}
	var voice string
	if s.dialect == realtime.GA {
		if raw, ok := f.take("output_modalities"); ok {
			if e := mods("response.output_modalities", raw, true); e != nil {
				return nil, e
			}
		}
		f.rawAny("max_output_tokens", &p.maxTokens)
		if raw, ok := f.take("audio"); ok {
			af, e := decodeObject("response.audio", raw)
			if e != nil {
				return nil, e
			}
			if af != nil {
				if raw, ok := af.take("output"); ok {
					of, e := decodeObject("response.audio.output", raw)
					if e != nil {
						return nil, e
					}
					if of != nil {
						if raw, ok := of.take("format"); ok {
							fm, e := parseGAFormat("response.audio.output.format", raw)
							if e != nil {
								return nil, e
							}
							p.format = &fm
						}
						if e := of.str("voice", &voice); e != nil {
							return nil, e
						}
						if e := of.unknown(); e != nil {
							return nil, e
						}
					}
				}
				if e := af.unknown(); e != nil {
					return nil, e
				}
			}
		}
	} else {
		if raw, ok := f.take("modalities"); ok {
			if e := mods("response.modalities", raw, false); e != nil {
				return nil, e
			}
		}
		if e := f.str("voice", &voice); e != nil {
			return nil, e
		}
		var fs string
		if e := f.str("output_audio_format", &fs); e != nil {
			return nil, e
		}
		if fs != "" {
			fm, err := parsePreviewFormat(fs, s.hs.provider)
			if err != nil {
				return nil, realtime.ErrInvalidValue("response.output_audio_format", fs, []string{"pcm16", "g711_ulaw", "g711_alaw"})
			}
			p.format = &fm
		}
		var temp float64
		if e := f.number("temperature", &temp, 0.6, 1.2); e != nil {
			return nil, e
		}
		f.rawAny("max_response_output_tokens", &p.maxTokens)
		// Fields of the early Azure preview draft, still sent by rtclient.
		for _, k := range []string{"commit", "cancel_previous", "append_input_items", "input_items"} {
			f.rawAny(k, &ignored)
		}
	}
	if e := f.unknown(); e != nil {
		return nil, e
	}
	if voice != "" {
		if !slices.Contains(voices, voice) {
			return nil, realtime.ErrInvalidValue("response.voice", voice, voices)
		}
		p.voice = voice
	}
	return p, nil
}

// createResponse starts a response and schedules every event it will send.
func (s *session) createResponse(reply *scenarios.Reply, p *responseParams, interrupt *scenarios.Interrupt) {
	r := &response{
		ID: s.ids.make("resp_"), oob: p.conversation == "none", status: "in_progress",
		audioOut: s.conf.AudioOut, voice: s.conf.Voice, format: s.conf.OutputFormat,
		maxTokens: s.conf.MaxOutputTokens, metadata: p.metadata, interrupt: interrupt,
	}
	if p.audioOut != nil {
		r.audioOut = *p.audioOut
	}
	if p.voice != "" {
		r.voice = p.voice
	}
	if p.format != nil {
		r.format = *p.format
	}
	if len(p.maxTokens) > 0 {
		r.maxTokens = p.maxTokens
	}
	r.inputTokens = s.estimateInputTokens()
	if r.oob {
		s.oob[r] = true
	} else {
		s.active = r
	}
	s.itemSinceResponse, s.commitSinceResponse = false, false

	pace := s.pace()
	if reply.Pace.Mode != scenarios.PaceDefault {
		pace = reply.Pace
		if pace.Factor <= 0 {
			pace.Factor = 1
		}
	}
	lat := s.cfg.lat
	t0 := s.clock.Now()
	at := func(d time.Duration) time.Time { return t0.Add(s.latency(d, pace)) }
	created := at(lat.ResponseCreated)
	s.schedule(created, r, func() {
		s.emitKind(realtime.KindResponseCreated, kv{"response", s.renderResponse(r)})
		if s.cfg.RateLimitsAtStart {
			s.sendRateLimits(r)
		}
	})
	next := at(lat.FirstDelta)
	outputIndex := 0
	if text := replyText(reply); text != "" || reply.Audio != nil || len(reply.FunctionCalls) == 0 {
		next = s.scheduleMessage(r, reply, pace, created, next, outputIndex)
		outputIndex++
	}
	for _, fc := range reply.FunctionCalls {
		next = s.scheduleFunctionCall(r, fc, pace, next, outputIndex)
		outputIndex++
	}
	status, reason := "completed", ""
	if reply.Status != "" && reply.Status != "completed" {
		status, reason = reply.Status, reply.StatusReason
	}
	s.schedule(next, r, func() { s.finishResponse(r, status, reason) })
}

// replyText is the words of a reply: its transcript for audio, its text for
// text-only replies.
func replyText(r *scenarios.Reply) string {
	if r.Transcript != "" {
		return r.Transcript
	}
	return r.Text
}

// scheduleMessage schedules the assistant message item of r and returns the
// time after its last event.
func (s *session) scheduleMessage(r *response, reply *scenarios.Reply, pace scenarios.Pace, start, firstDelta time.Time, outputIndex int) time.Time {
	text := replyText(reply)
	tokens := splitTokens(text)
	it := &item{ID: s.ids.make("item_"), Type: "message", Role: "assistant", Status: "in_progress"}
	kind := partText
	if r.audioOut {
		kind = partAudio
	}
	s.schedule(start, r, func() {
		r.msgItem, r.itemOpen = it, it
		s.addOutputItem(r, it, outputIndex)
		empty := ""
		part := contentPart{Kind: kind, Transcript: &empty, format: r.format}
		it.Content = append(it.Content, part)
		r.partOpen = true
		s.emitKind(realtime.KindContentPartAdded, kv{"response_id", r.ID}, kv{"item_id", it.ID}, kv{"output_index", outputIndex},
			kv{"content_index", 0}, kv{"part", s.renderPart(&it.Content[0], true)})
	})
	ids := []kv{{"response_id", r.ID}, {"item_id", it.ID}, {"output_index", outputIndex}, {"content_index", 0}}
	if !r.audioOut {
		// Text deltas, a token every 10 ms of live time.
		t := firstDelta
		for _, tok := range tokens {
			s.schedule(t, r, func() {
				r.textSent.WriteString(tok)
				s.emitKind(realtime.KindTextDelta, append(ids, kv{"delta", tok})...)
			})
			t = t.Add(s.latency(10*time.Millisecond, pace))
		}
		return t
	}
	spec := reply.Audio
	if spec == nil {
		spec = &scenarios.AudioSpec{Duration: scenarios.SpeechDuration(text)}
	}
	tone := s.toneFor(spec, r.format)
	chunks := chunkPlan(spec, r.format)
	// Transcript tokens are spread over the chunks and run slightly ahead of
	// the audio, as the service's do.
	per := make([][]string, len(chunks))
	for i, tok := range tokens {
		k := i * len(chunks) / max(len(tokens), 1)
		k = max(k-1, 0)
		per[k] = append(per[k], tok)
	}
	t := firstDelta
	offset := 0
	for k, n := range chunks {
		toks, off, n := per[k], offset, n
		s.schedule(t, r, func() {
			for _, tok := range toks {
				r.transcriptSent.WriteString(tok)
				s.emitKind(realtime.KindAudioTranscriptDelta, append(ids, kv{"delta", tok})...)
			}
			s.sendAudioDelta(r, it, ids, tone, off, n)
		})
		offset += n
		playMs := time.Duration(n) * time.Millisecond / time.Duration(r.format.BytesPerMs())
		switch pace.Mode {
		case scenarios.PaceInstant:
		case scenarios.PaceRealtime:
			t = t.Add(time.Duration(float64(playMs) / pace.Factor))
		default:
			t = t.Add(time.Duration(float64(playMs) / s.cfg.lat.AudioSpeed / pace.Factor))
		}
	}
	return t
}

// sendAudioDelta writes one audio delta straight into the frame buffer:
// this is the hot path of every session.
func (s *session) sendAudioDelta(r *response, it *item, ids []kv, tone *audio.Tone, off, n int) {
	b := s.buf[:0]
	b = append(b, `{"type":"`...)
	b = append(b, s.dialect.Name(realtime.KindAudioDelta)...)
	b = append(b, `","event_id":"`...)
	b = s.ids.appendEventID(b)
	b = append(b, `","response_id":"`...)
	b = append(b, r.ID...)
	b = append(b, `","item_id":"`...)
	b = append(b, it.ID...)
	b = append(b, `","output_index":`...)
	b = appendInt(b, ids[2].v.(int))
	b = append(b, `,"content_index":0,"delta":"`...)
	b = tone.AppendBase64(b, off, n)
	b = append(b, `"}`...)
	s.buf = b
	if r.firstAudioAt.IsZero() {
		r.firstAudioAt = s.clock.Now()
		s.audioOutPresent = true
		if in := r.interrupt; in != nil {
			s.scheduleInterrupt(r, in)
		}
	}
	r.audioSent += n
	it.Content[0].AudioBytes = r.audioSent
	s.write(s.dialect.Name(realtime.KindAudioDelta), b)
}

func appendInt(b []byte, v int) []byte {
	return strconv.AppendInt(b, int64(v), 10)
}

// toneFor returns the (shared, cached) tone of a reply's audio.
func (s *session) toneFor(spec *scenarios.AudioSpec, f audio.Format) *audio.Tone {
	hz, amp := spec.ToneHz, spec.Amplitude
	if hz <= 0 {
		hz = 440
	}
	if amp <= 0 {
		amp = 0.3
	}
	return cachedTone(f, hz, amp)
}

// chunkPlan splits a reply's audio into delta sizes in bytes: the spec's
// chunk durations in order, the last repeating, the final delta taking the
// remainder; whole samples always.
func chunkPlan(spec *scenarios.AudioSpec, f audio.Format) []int {
	total := f.Bytes(spec.Duration)
	plan := spec.Chunks
	if len(plan) == 0 {
		plan = DefaultReply.Audio.Chunks
	}
	var out []int
	for i := 0; total > 0; i++ {
		n := f.Bytes(plan[min(i, len(plan)-1)])
		if n <= 0 {
			n = f.Bytes(100 * time.Millisecond)
		}
		n = min(n, total)
		out = append(out, n)
		total -= n
	}
	return out
}

// splitTokens cuts text into the service's kind of deltas: words with their
// leading space, punctuation on its own ("Hello", "!", " How", …).
func splitTokens(text string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	for _, c := range text {
		switch {
		case unicode.IsSpace(c):
			flush()
			cur = append(cur, c)
		case unicode.IsPunct(c) && c != '\'':
			flush()
			out = append(out, string(c))
		default:
			cur = append(cur, c)
		}
	}
	flush()
	return out
}

func (s *session) scheduleFunctionCall(r *response, fc scenarios.FunctionCall, pace scenarios.Pace, t time.Time, outputIndex int) time.Time {
	callID := fc.CallID
	if callID == "" {
		callID = s.ids.make("call_")
	}
	it := &item{ID: s.ids.make("item_"), Type: "function_call", Status: "in_progress", CallID: callID, Name: fc.Name}
	s.schedule(t, r, func() {
		r.itemOpen = it
		s.addOutputItem(r, it, outputIndex)
	})
	ids := []kv{{"response_id", r.ID}, {"item_id", it.ID}, {"output_index", outputIndex}, {"call_id", callID}}
	for _, piece := range splitArgs(fc.Arguments) {
		t = t.Add(s.latency(20*time.Millisecond, pace))
		s.schedule(t, r, func() {
			it.Args += piece
			s.emitKind(realtime.KindFunctionCallArgumentsDelta, append(ids, kv{"delta", piece})...)
		})
	}
	t = t.Add(s.latency(20*time.Millisecond, pace))
	s.schedule(t, r, func() {
		it.Args = fc.Arguments
		s.emitKind(realtime.KindFunctionCallArgumentsDone, append(ids, kv{"name", fc.Name}, kv{"arguments", fc.Arguments})...)
		s.closeItem(r, it, outputIndex, "completed")
	})
	return t
}

// addOutputItem starts an output item of r: response.output_item.added,
// then the item joins the conversation (unless the response is out of
// band) with conversation.item.created (preview) or .added (GA).
func (s *session) addOutputItem(r *response, it *item, outputIndex int) {
	r.output = append(r.output, it)
	s.emitKind(realtime.KindOutputItemAdded, kv{"response_id", r.ID}, kv{"output_index", outputIndex}, kv{"item", s.renderItem(it)})
	prev := ""
	if !r.oob {
		prev = s.lastItemID()
		s.insertItem(it, "")
	}
	kind := realtime.KindItemCreated
	if s.dialect == realtime.GA {
		kind = realtime.KindItemAdded
	}
	s.emitKind(kind, kv{"previous_item_id", nullable(prev)}, kv{"item", s.renderItem(it)})
}

// splitArgs streams function arguments in pieces of about 8 bytes.
func splitArgs(a string) []string {
	var out []string
	r := []rune(a)
	for len(r) > 0 {
		n := min(8, len(r))
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return out
}

// closeItem sends the closing events of an output item.
func (s *session) closeItem(r *response, it *item, outputIndex int, status string) {
	it.Status = status
	if s.dialect == realtime.GA {
		prev := ""
		for i, x := range s.items {
			if x == it && i > 0 {
				prev = s.items[i-1].ID
			}
		}
		s.emitKind(realtime.KindItemDone, kv{"previous_item_id", nullable(prev)}, kv{"item", s.renderItem(it)})
	}
	s.emitKind(realtime.KindOutputItemDone, kv{"response_id", r.ID}, kv{"output_index", outputIndex}, kv{"item", s.renderItem(it)})
	r.itemOpen = nil
}

// finishResponse ends r: closes its open part and item (status incomplete
// when the response did not complete), sends response.done and the rate
// limits, and drops its pending steps.
func (s *session) finishResponse(r *response, status, reason string) {
	if r.finished {
		return
	}
	r.finished = true
	if s.active == r {
		s.active = nil
	}
	delete(s.oob, r)
	itemStatus := "completed"
	if status != "completed" {
		itemStatus = "incomplete"
	}
	if it := r.msgItem; it != nil && r.itemOpen == it {
		idx := slices.Index(r.output, it)
		ids := []kv{{"response_id", r.ID}, {"item_id", it.ID}, {"output_index", idx}, {"content_index", 0}}
		if r.partOpen {
			p := &it.Content[0]
			if p.Kind == partAudio {
				t := r.transcriptSent.String()
				p.Transcript = &t
				s.emitKind(realtime.KindAudioDone, ids...)
				s.emitKind(realtime.KindAudioTranscriptDone, append(ids, kv{"transcript", t})...)
			} else {
				p.Text, p.Transcript = r.textSent.String(), nil
				s.emitKind(realtime.KindTextDone, append(ids, kv{"text", p.Text})...)
			}
			s.emitKind(realtime.KindContentPartDone, append(ids, kv{"part", s.renderPart(p, true)})...)
			r.partOpen = false
		}
		s.closeItem(r, it, idx, itemStatus)
	} else if it := r.itemOpen; it != nil {
		s.closeItem(r, it, slices.Index(r.output, it), itemStatus)
	}
	r.status = status
	switch {
	case status == "cancelled":
		r.details = map[string]any{"type": "cancelled", "reason": reason}
	case status == "incomplete":
		r.details = map[string]any{"type": "incomplete", "reason": orDefault(reason, "max_output_tokens")}
	case status == "failed":
		r.details = map[string]any{"type": "failed", "error": map[string]any{"type": "server_error", "code": nil, "message": orDefault(reason, "The server had an error.")}}
	}
	s.emitKind(realtime.KindResponseDone, kv{"response", s.renderResponse(r)})
	if !s.cfg.RateLimitsAtStart {
		s.schedule(s.clock.Now().Add(s.latency(s.cfg.lat.RateLimitsAfterDone, s.pace())), nil, func() { s.sendRateLimits(r) })
	}
}

func (s *session) sendRateLimits(r *response) {
	requests, tokens := 4999, 20000-r.inputTokens-r.outputTokens()
	if s.faults != nil && s.faults.exhausted {
		requests, tokens = 0, 0
	}
	// Written directly, like the other per-response events. GA sessions
	// report only tokens, as observed in 2026.
	b := make(json.RawMessage, 0, 160)
	b = append(b, '[')
	if s.dialect == realtime.Preview {
		b = fmt.Appendf(b, `{"name":"requests","limit":5000,"remaining":%d,"reset_seconds":0.012},`, requests)
	}
	b = fmt.Appendf(b, `{"name":"tokens","limit":20000,"remaining":%d,"reset_seconds":0.06}]`, tokens)
	s.emitKind(realtime.KindRateLimitsUpdated, kv{"rate_limits", b})
}

func (s *session) estimateInputTokens() int {
	n := len(s.conf.Instructions) / 4
	for _, it := range s.items {
		n += it.tokenCount()
	}
	return n + 10
}

// tokenCount estimates an item's tokens (~4 characters of text, 100 ms of
// audio each), cached once the item is final: long conversations would
// otherwise cost a walk over every part at every response.
func (it *item) tokenCount() int {
	if it.tokens > 0 {
		return it.tokens
	}
	n := (len(it.Args) + len(it.Output)) / 4
	for _, p := range it.Content {
		n += len(p.Text)/4 + p.audioMs()/100
		if p.Transcript != nil {
			n += len(*p.Transcript) / 4
		}
	}
	if it.Status != "in_progress" {
		it.tokens = max(n, 1)
	}
	return n
}

// outputTokens estimates the tokens of what r generated: ~4 characters per
// text token, one audio token per 50 ms.
func (r *response) outputTokens() int {
	return r.textTokens() + r.audioTokens()
}

func (r *response) textTokens() int {
	return int(math.Ceil(float64(r.transcriptSent.Len()+r.textSent.Len()) / 4))
}

func (r *response) audioTokens() int {
	return r.audioSent / r.format.BytesPerMs() / 50
}

// renderResponse returns the response object in the session's dialect,
// as JSON written directly.
func (s *session) renderResponse(r *response) json.RawMessage {
	b := make([]byte, 0, 512)
	b = append(b, `{"object":"realtime.response","id":`...)
	b = realtime.AppendJSONString(b, r.ID)
	b = append(b, `,"status":`...)
	b = realtime.AppendJSONString(b, r.status)
	b = append(b, `,"status_details":`...)
	if r.details == nil {
		b = append(b, "null"...)
	} else {
		d, _ := json.Marshal(r.details)
		b = append(b, d...)
	}
	b = append(b, `,"output":[`...)
	for i, it := range r.output {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendItem(b, it)
	}
	b = append(b, `],"conversation_id":`...)
	if r.oob {
		b = append(b, "null"...)
	} else {
		b = realtime.AppendJSONString(b, s.convID)
	}
	b = append(b, `,"usage":`...)
	if r.status == "in_progress" {
		b = append(b, "null"...)
	} else {
		text, aud := r.textTokens(), r.audioTokens()
		b = fmt.Appendf(b, `{"total_tokens":%d,"input_tokens":%d,"output_tokens":%d,`+
			`"input_token_details":{"text_tokens":%d,"audio_tokens":0,"cached_tokens":0,"cached_tokens_details":{"text_tokens":0,"audio_tokens":0}},`+
			`"output_token_details":{"text_tokens":%d,"audio_tokens":%d}}`,
			r.inputTokens+text+aud, r.inputTokens, text+aud, r.inputTokens, text, aud)
	}
	b = append(b, `,"metadata":`...)
	b = append(b, orNull(r.metadata)...)
	b = append(b, `,"max_output_tokens":`...)
	b = append(b, orNull(r.maxTokens)...)
	if s.dialect == realtime.GA {
		if r.audioOut {
			b = append(b, `,"output_modalities":["audio"]`...)
		} else {
			b = append(b, `,"output_modalities":["text"]`...)
		}
		f, _ := json.Marshal(renderGAFormat(r.format))
		b = append(b, `,"audio":{"output":{"format":`...)
		b = append(b, f...)
		b = append(b, `,"voice":`...)
		b = realtime.AppendJSONString(b, r.voice)
		b = append(b, `}}`...)
	} else {
		if r.audioOut {
			b = append(b, `,"modalities":["text","audio"]`...)
		} else {
			b = append(b, `,"modalities":["text"]`...)
		}
		b = append(b, `,"voice":`...)
		b = realtime.AppendJSONString(b, r.voice)
		b = append(b, `,"output_audio_format":`...)
		b = realtime.AppendJSONString(b, r.format.String())
		b = strconv.AppendFloat(append(b, `,"temperature":`...), s.conf.Temperature, 'f', -1, 64)
	}
	return append(b, '}')
}

// scheduleInterrupt makes the simulated user talk over r once the client
// has played in.AfterPlayed of its audio (playback assumed to start at the
// first delta and run in real time).
func (s *session) scheduleInterrupt(r *response, in *scenarios.Interrupt) {
	at := r.firstAudioAt.Add(in.AfterPlayed)
	s.schedule(at, nil, func() {
		if s.conf.TurnDetection == nil {
			return // no VAD, so nobody would notice the user
		}
		start := s.timelineMs()
		s.speechStarted(start)
		speech := in.Speech
		if speech <= 0 {
			speech = 600 * time.Millisecond
		}
		s.schedule(s.clock.Now().Add(speech), nil, func() {
			if s.closed {
				return
			}
			s.lastUserTranscript = in.Transcript
			end := start + int(speech/time.Millisecond) + s.conf.TurnDetection.SilenceDurationMs
			s.speechStopped(end, in.Transcript)
		})
	})
}
