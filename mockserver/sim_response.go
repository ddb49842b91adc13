package mockserver

import (
	"encoding/json"
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
	life      lifetime // over once the response finished: its pending steps are dropped
	ID        string
	oob       bool // conversation "none": writes no items to the conversation
	status    string
	details   json.RawMessage
	audioOut  bool
	textFirst bool // preview modalities listed as ["text","audio"]
	voice     string
	format    audio.Format
	maxTokens json.RawMessage
	metadata  json.RawMessage
	output    []*item

	// Streaming state, advanced by the response's steps as they run.
	msgItem        *item
	partOpen       bool
	itemOpen       *item
	transcriptSent strings.Builder
	textSent       strings.Builder
	argsSent       int
	audioSent      int
	firstAudioAt   time.Time
	interrupt      *scenarios.Interrupt
	inputTokens    int
	inputAudio     int
}

// responseParams are the client's response.create overrides.
type responseParams struct {
	audioOut     *bool
	textFirst    bool
	voice        string
	format       *audio.Format
	instructions *string
	conversation string // "auto" | "none"
	metadata     json.RawMessage
	maxTokens    json.RawMessage
	hasInput     bool
}

func (m *sim) onResponseCancel(ev *realtime.ClientEvent) *realtime.Error {
	id := ev.Str("response_id")
	r := m.active
	if id != "" {
		r = nil
		if m.active != nil && m.active.ID == id {
			r = m.active
		}
		for o := range m.oob {
			if o.ID == id {
				r = o
			}
		}
	}
	if r == nil {
		return realtime.NewCancelNotActiveError()
	}
	m.finishResponse(r, "cancelled", "client_cancelled")
	return nil
}

func (m *sim) onResponseCreate(ev *realtime.ClientEvent) *realtime.Error {
	p, e := m.parseResponseParams(ev.Member("response"))
	if e != nil {
		return e
	}
	if p.conversation != "none" && m.active != nil {
		return realtime.NewActiveResponseError(m.active.ID)
	}
	if m.conf.Type == "transcription" {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: "type",
			Message: "Transcription sessions do not create responses."}
	}
	t := m.takeTurn(scenarios.OnResponseCreate)
	m.runTurn(t, ev.EventID, scenarios.OnResponseCreate, p)
	return nil
}

// createResponse starts a response and schedules every event it will send.
// The client's response.create has already waited its latency in the
// pipeline, so its response.created goes out at once; a response the
// server starts itself (after a voice turn) waits createdAfter.
func (m *sim) createResponse(reply *scenarios.Reply, p *responseParams, interrupt *scenarios.Interrupt, createdAfter time.Duration) {
	r := &response{
		ID: m.ids.make("resp_"), oob: p.conversation == "none", status: "in_progress",
		audioOut: m.conf.AudioOut, textFirst: m.conf.TextFirst, voice: m.conf.Voice, format: m.conf.OutputFormat,
		maxTokens: m.conf.MaxOutputTokens, metadata: p.metadata, interrupt: interrupt,
	}
	p.apply(r)
	if m.sink != nil {
		r.format = audio.PCM16 // a call's track takes PCM16 24 kHz, whatever the session says
	}
	r.inputTokens, r.inputAudio = m.inputTokens()
	if r.oob {
		if m.oob == nil {
			m.oob = map[*response]bool{}
		}
		m.oob[r] = true
	} else {
		m.active = r
		m.disarmIdle()
	}
	m.itemSinceResponse, m.commitSinceResponse = false, false

	pace := m.pace()
	if reply.Pace.Mode != scenarios.PaceDefault {
		pace = reply.Pace
		if pace.Factor <= 0 {
			pace.Factor = 1
		}
	}
	lat := m.cfg.lat
	now := m.clock.Now()
	created := now.Add(m.scale(createdAfter, pace))
	announce := func() {
		m.emitKind(realtime.KindResponseCreated, kv{"response", rawJSON(m.appendResponse(nil, r))})
		if m.cfg.RateLimitsAtStart {
			m.sendRateLimits(r)
		}
	}
	if created.After(now) {
		m.at(created, &r.life, announce)
	} else {
		// The answer to the client's request: before anything the
		// pipeline holds for later events.
		announce()
	}
	next := created.Add(m.scale(lat.FirstDelta-lat.ResponseCreated, pace))
	if reply.Status == "failed" {
		// No output, and usage all zero as recorded [L1]: the response
		// fails where its first delta would be.
		m.at(next, &r.life, func() {
			r.inputTokens, r.inputAudio = 0, 0
			m.finishResponse(r, "failed", reply.StatusReason)
		})
		return
	}
	outputIndex := 0
	if text := replyText(reply); text != "" || reply.Audio != nil || len(reply.FunctionCalls) == 0 {
		next = m.scheduleMessage(r, reply, pace, created, next, outputIndex)
		outputIndex++
	}
	for _, fc := range reply.FunctionCalls {
		next = m.scheduleFunctionCall(r, fc, pace, next, outputIndex)
		outputIndex++
	}
	status, reason := "completed", ""
	if reply.Status != "" && reply.Status != "completed" {
		status, reason = reply.Status, reply.StatusReason
	}
	m.at(next, &r.life, func() { m.finishResponse(r, status, reason) })
}

func (p *responseParams) apply(r *response) {
	if p.audioOut != nil {
		r.audioOut, r.textFirst = *p.audioOut, p.textFirst
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
func (m *sim) scheduleMessage(r *response, reply *scenarios.Reply, pace scenarios.Pace, start, firstDelta time.Time, outputIndex int) time.Time {
	text := replyText(reply)
	tokens := splitTokens(text)
	it := &item{ID: m.ids.make("item_"), Type: "message", Role: "assistant", Status: "in_progress"}
	kind := partText
	if r.audioOut {
		kind = partAudio
	}
	m.at(start, &r.life, func() {
		r.msgItem, r.itemOpen = it, it
		m.addOutputItem(r, it, outputIndex)
		empty := ""
		it.Content = append(it.Content, contentPart{Kind: kind, Transcript: &empty, format: r.format})
		r.partOpen = true
		m.emitKind(realtime.KindContentPartAdded, kv{"response_id", r.ID}, kv{"item_id", it.ID}, kv{"output_index", outputIndex},
			kv{"content_index", 0}, kv{"part", rawJSON(m.appendPart(nil, &it.Content[0], true))})
	})
	ids := []kv{{"response_id", r.ID}, {"item_id", it.ID}, {"output_index", outputIndex}, {"content_index", 0}}
	if !r.audioOut {
		// Text deltas, a token every 10 ms of live time.
		t := firstDelta
		for _, tok := range tokens {
			m.at(t, &r.life, func() {
				r.textSent.WriteString(tok)
				m.emitKind(realtime.KindTextDelta, m.deltaMembers(ids, tok)...)
			})
			t = t.Add(m.scale(10*time.Millisecond, pace))
		}
		return t
	}
	return m.scheduleAudio(r, it, reply, pace, firstDelta, tokens, ids)
}

// scheduleAudio schedules the audio and transcript deltas of a message.
// Transcript tokens are spread over the chunks and run slightly ahead of
// the audio, as the service's do.
func (m *sim) scheduleAudio(r *response, it *item, reply *scenarios.Reply, pace scenarios.Pace, t time.Time, tokens []string, ids []kv) time.Time {
	spec := reply.Audio
	if spec == nil {
		spec = &scenarios.AudioSpec{Duration: scenarios.SpeechDuration(replyText(reply))}
	}
	tone := m.toneFor(spec, r.format)
	chunks := chunkPlan(spec, r.format)
	per := make([][]string, len(chunks))
	for i, tok := range tokens {
		k := max(i*len(chunks)/max(len(tokens), 1)-1, 0)
		per[k] = append(per[k], tok)
	}
	offset := 0
	for k, n := range chunks {
		toks, off := per[k], offset
		m.at(t, &r.life, func() {
			for _, tok := range toks {
				r.transcriptSent.WriteString(tok)
				m.emitKind(realtime.KindAudioTranscriptDelta, m.deltaMembers(ids, tok)...)
			}
			m.sendAudioDelta(r, it, ids[2].v.(int), tone, off, n)
		})
		offset += n
		t = t.Add(m.audioGap(n, r.format, pace))
	}
	return t
}

// audioGap is the time between two audio deltas, the first of n bytes: the
// audio's playing time at realtime pace, faster than that (AudioSpeed) at
// the live pace, nothing at instant pace.
func (m *sim) audioGap(n int, f audio.Format, pace scenarios.Pace) time.Duration {
	playMs := time.Duration(n) * time.Millisecond / time.Duration(f.BytesPerMs())
	switch pace.Mode {
	case scenarios.PaceInstant:
		return 0
	case scenarios.PaceRealtime:
		return time.Duration(float64(playMs) / pace.Factor)
	}
	return time.Duration(float64(playMs) / m.cfg.lat.AudioSpeed / pace.Factor)
}

// sendAudioDelta writes one audio delta straight into the frame buffer:
// this is the hot path of every session.
func (m *sim) sendAudioDelta(r *response, it *item, outputIndex int, tone *audio.Tone, off, n int) {
	if r.firstAudioAt.IsZero() {
		r.firstAudioAt = m.clock.Now()
		m.audioOutPresent = true
		if in := r.interrupt; in != nil {
			m.scheduleInterrupt(r, in)
		}
	}
	r.audioSent += n
	it.Content[0].AudioBytes = r.audioSent
	it.Content[0].tone = tone
	if m.sink != nil {
		// WebRTC: the audio goes on the track, paced by the call; no
		// audio delta events.
		m.sink.PlayAudio(r.ID, it.ID, tone.AppendBytes(nil, off, n))
		return
	}
	typ := m.dialect.Name(realtime.KindAudioDelta)
	b := m.h.frames.get()
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","event_id":"`...)
	b = m.ids.appendEventID(b)
	b = append(b, `","response_id":"`...)
	b = append(b, r.ID...)
	b = append(b, `","item_id":"`...)
	b = append(b, it.ID...)
	b = append(b, `","output_index":`...)
	b = appendInt(b, outputIndex)
	b = append(b, `,"content_index":0,"delta":"`...)
	b = tone.AppendBase64(b, off, n)
	b = append(b, `"}`...)
	m.send(typ, b)
}

// toneFor returns the (shared, cached) tone of a reply's audio.
func (m *sim) toneFor(spec *scenarios.AudioSpec, f audio.Format) *audio.Tone {
	hz, amp := spec.ToneHz, spec.Amplitude
	if hz <= 0 {
		hz = 440
	}
	if amp <= 0 {
		amp = 0.3
	}
	return m.h.tones.get(f, hz, amp)
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

func (m *sim) scheduleFunctionCall(r *response, fc scenarios.FunctionCall, pace scenarios.Pace, t time.Time, outputIndex int) time.Time {
	callID := fc.CallID
	if callID == "" {
		callID = m.ids.make("call_")
	}
	it := &item{ID: m.ids.make("item_"), Type: "function_call", Status: "in_progress", CallID: callID, Name: fc.Name}
	m.at(t, &r.life, func() {
		r.itemOpen = it
		m.addOutputItem(r, it, outputIndex)
	})
	ids := []kv{{"response_id", r.ID}, {"item_id", it.ID}, {"output_index", outputIndex}, {"call_id", callID}}
	for _, piece := range splitArgs(fc.Arguments) {
		t = t.Add(m.scale(20*time.Millisecond, pace))
		m.at(t, &r.life, func() {
			it.Args += piece
			r.argsSent += len(piece)
			m.emitKind(realtime.KindFunctionCallArgumentsDelta, append(ids, kv{"delta", piece})...)
		})
	}
	t = t.Add(m.scale(20*time.Millisecond, pace))
	m.at(t, &r.life, func() {
		it.Args = fc.Arguments
		m.emitKind(realtime.KindFunctionCallArgumentsDone, append(ids, kv{"name", fc.Name}, kv{"arguments", fc.Arguments})...)
		m.closeItem(r, it, outputIndex, "completed")
	})
	return t
}

// addOutputItem starts an output item of r: response.output_item.added,
// then the item joins the conversation (unless the response is out of
// band) with conversation.item.created (preview) or .added (GA).
func (m *sim) addOutputItem(r *response, it *item, outputIndex int) {
	r.output = append(r.output, it)
	m.emitKind(realtime.KindOutputItemAdded, kv{"response_id", r.ID}, kv{"output_index", outputIndex}, kv{"item", rawJSON(m.appendItem(nil, it))})
	prev := ""
	if !r.oob {
		prev = m.conv.lastID()
		m.conv.insert(it, "")
	}
	kind := realtime.KindItemCreated
	if m.dialect == realtime.GA {
		kind = realtime.KindItemAdded
	}
	m.emitKind(kind, kv{"previous_item_id", nullable(prev)}, kv{"item", rawJSON(m.appendItem(nil, it))})
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
func (m *sim) closeItem(r *response, it *item, outputIndex int, status string) {
	it.Status = status
	m.conv.retoken(it)
	if m.dialect == realtime.GA {
		m.emitKind(realtime.KindItemDone, kv{"previous_item_id", nullable(m.conv.prevID(it))}, kv{"item", rawJSON(m.appendItem(nil, it))})
	}
	m.emitKind(realtime.KindOutputItemDone, kv{"response_id", r.ID}, kv{"output_index", outputIndex}, kv{"item", rawJSON(m.appendItem(nil, it))})
	r.itemOpen = nil
}

// finishResponse ends r: closes its open part and item (status incomplete
// when the response did not complete), sends response.done and the rate
// limits, and drops its pending steps.
func (m *sim) finishResponse(r *response, status, reason string) {
	if r.life.over {
		return
	}
	r.life.over = true
	if m.active == r {
		m.active = nil
	}
	delete(m.oob, r)
	itemStatus := "completed"
	if status != "completed" {
		itemStatus = "incomplete"
	}
	if it := r.msgItem; it != nil && r.itemOpen == it {
		m.closeMessage(r, it, itemStatus)
	} else if it := r.itemOpen; it != nil {
		m.closeItem(r, it, indexOf(r.output, it), itemStatus)
	}
	r.status = status
	r.details = statusDetails(status, reason)
	m.emitKind(realtime.KindResponseDone, kv{"response", rawJSON(m.appendResponse(nil, r))})
	m.armIdle(r)
	if !m.cfg.RateLimitsAtStart {
		m.at(m.clock.Now().Add(m.scale(m.cfg.lat.RateLimitsAfterDone, m.pace())), nil, func() { m.sendRateLimits(r) })
	}
}

// closeMessage sends the closing events of the message item it: its part's
// done events, then the item's.
func (m *sim) closeMessage(r *response, it *item, itemStatus string) {
	idx := indexOf(r.output, it)
	ids := []kv{{"response_id", r.ID}, {"item_id", it.ID}, {"output_index", idx}, {"content_index", 0}}
	if r.partOpen {
		p := &it.Content[0]
		if p.Kind == partAudio {
			t := r.transcriptSent.String()
			p.Transcript = &t
			if m.sink != nil {
				m.sink.EndAudio(r.ID)
			}
			m.emitKind(realtime.KindAudioDone, ids...)
			m.emitKind(realtime.KindAudioTranscriptDone, append(ids, kv{"transcript", t})...)
		} else {
			p.Text, p.Transcript = r.textSent.String(), nil
			m.emitKind(realtime.KindTextDone, append(ids, kv{"text", p.Text})...)
		}
		m.emitKind(realtime.KindContentPartDone, append(ids, kv{"part", rawJSON(m.appendPart(nil, p, true))})...)
		r.partOpen = false
	}
	m.closeItem(r, it, idx, itemStatus)
}

func indexOf(items []*item, it *item) int {
	for i, x := range items {
		if x == it {
			return i
		}
	}
	return -1
}

// statusDetails is response.status_details for a final status.
func statusDetails(status, reason string) json.RawMessage {
	switch status {
	case "cancelled":
		return json.RawMessage(`{"type":"cancelled","reason":` + quote(reason) + `}`)
	case "incomplete":
		return json.RawMessage(`{"type":"incomplete","reason":` + quote(orDefault(reason, "max_output_tokens")) + `}`)
	case "failed":
		return failedDetails(reason)
	}
	return nil
}

// failedDetails are a failed response's status_details. The OpenAI rate
// limit is as recorded (January 2025 [L1]); Azure's
// inference_rate_limit_exceeded was met by clients but no frame of it was
// found, so its type and message are the mock's.
func failedDetails(reason string) json.RawMessage {
	switch reason {
	case "rate_limit_exceeded":
		return json.RawMessage(`{"type":"failed","error":{"type":"tokens","code":"rate_limit_exceeded","message":"Rate limit reached for tokens per min. Please try again in 20s."}}`)
	case "inference_rate_limit_exceeded":
		return json.RawMessage(`{"type":"failed","error":{"type":"server_error","code":"inference_rate_limit_exceeded","message":"Inference rate limit exceeded for this deployment. Please retry after 1 second."}}`)
	case "", "server_error":
		return json.RawMessage(`{"type":"failed","error":{"type":"server_error","code":null,"message":"The server had an error while processing your request. Sorry about that!"}}`)
	}
	return json.RawMessage(`{"type":"failed","error":{"type":"server_error","code":null,"message":` + quote(reason) + `}}`)
}

func quote(s string) string { return string(realtime.AppendJSONString(nil, s)) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (m *sim) sendRateLimits(r *response) {
	requests, tokens := 4999, max(20000-r.inputTokens-r.outputTokens(), 0)
	// Written directly, like the other per-response events. GA sessions
	// report only tokens, as observed in 2026.
	b := make(rawJSON, 0, 160)
	b = append(b, '[')
	if m.dialect == realtime.Preview {
		b = append(b, `{"name":"requests","limit":5000,"remaining":`...)
		b = appendInt(b, requests)
		b = append(b, `,"reset_seconds":0.012},`...)
	}
	b = append(b, `{"name":"tokens","limit":20000,"remaining":`...)
	b = appendInt(b, tokens)
	b = append(b, `,"reset_seconds":0.06}]`...)
	m.emitKind(realtime.KindRateLimitsUpdated, kv{"rate_limits", b})
}

// contextWindow is the model's context in tokens: 32k for gpt-realtime,
// 128k for the gpt-4o realtime previews.
func (m *sim) contextWindow() int {
	if strings.HasPrefix(m.conf.Model, "gpt-4o") {
		return 128_000
	}
	return 32_768
}

// inputTokens estimates what a response reads: the instructions and the
// conversation, as far as the context window holds (the service truncates
// the oldest items beyond it), and how much of that is audio.
func (m *sim) inputTokens() (total, audioTok int) {
	total = len(m.conf.Instructions)/4 + m.conv.tokens + 10
	audioTok = min(m.conv.audioTokens(), total)
	if w := m.contextWindow(); total > w {
		audioTok = audioTok * w / total
		total = w
	}
	return total, audioTok
}

// outputTokens estimates the tokens of what r generated: ~4 characters per
// text token (function arguments included), one audio token per 50 ms.
func (r *response) outputTokens() int {
	return r.textTokens() + r.audioTokens()
}

func (r *response) textTokens() int {
	n := r.transcriptSent.Len() + r.textSent.Len() + r.argsSent
	return (n + 3) / 4
}

func (r *response) audioTokens() int {
	return r.audioSent / r.format.BytesPerMs() / 50
}

// deltaMembers are a text or transcript delta's members: the ids, the
// delta, and in GA the obfuscation padding.
func (m *sim) deltaMembers(ids []kv, delta string) []kv {
	out := append(ids[:len(ids):len(ids)], kv{"delta", delta})
	if m.dialect == realtime.GA {
		out = append(out, kv{"obfuscation", m.ids.obfuscation()})
	}
	return out
}
