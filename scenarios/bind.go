package scenarios

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// The bindings tie the table of the language to the Go types: for each
// object, how to make its Go value, a setter per key that stores the
// decoded value, and the checks and defaults that span several keys.
// Adding a key is one Field in scenarios/internal/spec and one setter here
// (a test fails when either is missing).

// slot is where a decoded value came from, for a setter that reports a
// problem with it.
type slot struct {
	d    *decoder
	n    *yaml.Node
	path string
}

func (s slot) errorf(hint, format string, args ...any) {
	s.d.errorf(s.n, s.path, hint, format, args...)
}

// setter stores v, the decoded value of one key (or of one item of a list
// key), in dst, the Go value of the key's object. v has the Go type
// decoder.value gives the key's kind.
type setter func(s slot, dst, v any)

// set binds a key to a field of T: f stores the decoded value.
func set[T, V any](f func(*T, V)) setter {
	return func(_ slot, dst, v any) {
		x, _ := v.(V)
		f(dst.(*T), x)
	}
}

// setChecked is set for a key whose value is checked further: f may report
// a problem at s.
func setChecked[T, V any](f func(slot, *T, V)) setter {
	return func(s slot, dst, v any) {
		x, _ := v.(V)
		f(s, dst.(*T), x)
	}
}

// binding is how one object of the table becomes Go.
type binding struct {
	make   func() any
	keys   map[string]setter
	finish func(d *decoder, dst any, o *objectNode) // checks and defaults across keys; may be nil
}

// newOf returns a maker of *T.
func newOf[T any]() func() any { return func() any { return new(T) } }

// finishOf adapts a typed finish function.
func finishOf[T any](f func(*decoder, *T, *objectNode)) func(*decoder, any, *objectNode) {
	return func(d *decoder, dst any, o *objectNode) { f(d, dst.(*T), o) }
}

var bindings map[*spec.Object]*binding

func init() {
	// Assigned in init: the setters decode nested objects, which reads
	// this map.
	bindings = map[*spec.Object]*binding{
		spec.Scenario:      scenarioBinding,
		spec.Session:       sessionBinding,
		spec.TurnDetection: turnDetectionBinding,
		spec.Transcription: {make: newOf[Transcription](), keys: map[string]setter{
			"model":    set(func(t *Transcription, s string) { t.Model = s }),
			"language": set(func(t *Transcription, s string) { t.Language = s }),
			"prompt":   set(func(t *Transcription, s string) { t.Prompt = s }),
		}},
		spec.Tool: {make: newOf[Tool](), keys: map[string]setter{
			"type":        set(func(*Tool, string) {}), // always function
			"name":        set(func(t *Tool, s string) { t.Name = s }),
			"description": set(func(t *Tool, s string) { t.Description = s }),
			"parameters":  set(func(t *Tool, m map[string]any) { t.Parameters = m }),
		}},
		spec.Turn: {make: newOf[Turn](), keys: map[string]setter{
			"when":      set(func(t *Turn, s string) { t.When = Trigger(s) }),
			"repeat":    set(func(t *Turn, b bool) { t.Repeat = b }),
			"user":      set(func(t *Turn, u *UserSpeech) { t.User = u }),
			"reply":     set(func(t *Turn, r *Reply) { t.Reply = r }),
			"interrupt": set(func(t *Turn, in *Interrupt) { t.Interrupt = in }),
			"error":     set(func(t *Turn, e *ErrorSpec) { t.Error = e }),
			"fault":     set(func(t *Turn, f *Fault) { t.Fault = f }),
		}},
		spec.User: {make: newOf[UserSpeech](), keys: map[string]setter{
			"transcript":    set(func(u *UserSpeech, s string) { u.Transcript = s }),
			"transcription": set(func(u *UserSpeech, s string) { u.TranscriptionFails = s == "failed" }),
		}},
		spec.Reply: replyBinding,
		spec.Audio: {make: newOf[AudioSpec](), keys: map[string]setter{
			"tone":      set(func(a *AudioSpec, hz float64) { a.ToneHz = hz }),
			"duration":  set(func(a *AudioSpec, d time.Duration) { a.Duration = d }),
			"chunk":     set(func(a *AudioSpec, c []time.Duration) { a.Chunks = c }),
			"amplitude": set(func(a *AudioSpec, x float64) { a.Amplitude = x }),
		}},
		spec.FunctionCall: {make: newOf[FunctionCall](), keys: map[string]setter{
			"name":      set(func(fc *FunctionCall, s string) { fc.Name = s }),
			"arguments": set(func(fc *FunctionCall, s string) { fc.Arguments = s }),
			"call_id":   set(func(fc *FunctionCall, s string) { fc.CallID = s }),
		}, finish: finishOf(func(d *decoder, fc *FunctionCall, o *objectNode) {
			if fc.Arguments == "" && !d.failed(child(o.path, "arguments")) {
				fc.Arguments = "{}"
			}
		})},
		spec.Interrupt: {make: newOf[Interrupt](), keys: map[string]setter{
			"after_played": set(func(in *Interrupt, d time.Duration) { in.AfterPlayed = d }),
			"speech":       set(func(in *Interrupt, d time.Duration) { in.Speech = d }),
			"transcript":   set(func(in *Interrupt, s string) { in.Transcript = s }),
		}, finish: finishOf(func(_ *decoder, in *Interrupt, _ *objectNode) {
			if in.Speech == 0 {
				in.Speech = DefaultInterruptSpeech
			}
		})},
		spec.Error: errorBinding,
		spec.Fault: faultBinding,
		spec.Expectation: {make: newOf[Expectation](), keys: map[string]setter{
			"client":      set(func(e *Expectation, s string) { e.Client = s }),
			"after":       set(func(e *Expectation, s string) { e.After = s }),
			"until":       set(func(e *Expectation, s string) { e.Until = s }),
			"before":      set(func(e *Expectation, s string) { e.Before = s }),
			"within":      set(func(e *Expectation, d time.Duration) { e.Within = d }),
			"never":       set(func(e *Expectation, b bool) { e.Never = b }),
			"match":       set(func(e *Expectation, m map[string]Matcher) { e.Match = m }),
			"description": set(func(e *Expectation, s string) { e.Description = s }),
		}},
	}
}

var scenarioBinding = &binding{make: newOf[Scenario](), keys: map[string]setter{
	"name":        set(func(sc *Scenario, s string) { sc.Name = s }),
	"description": set(func(sc *Scenario, s string) { sc.Description = s }),
	"dialects": setChecked(func(s slot, sc *Scenario, dl string) {
		if slices.Contains(sc.Dialects, dl) {
			s.errorf("", "dialect %q listed twice", dl)
			return
		}
		sc.Dialects = append(sc.Dialects, dl)
	}),
	"premise": setChecked(func(s slot, sc *Scenario, tr string) {
		if slices.Contains(sc.Premise, tr) {
			s.errorf("", "premise %q listed twice", tr)
			return
		}
		sc.Premise = append(sc.Premise, tr)
	}),
	"session":       set(func(sc *Scenario, s *Session) { sc.Session = s }),
	"expires_after": set(func(sc *Scenario, d time.Duration) { sc.ExpiresAfter = d }),
	"seed":          set(func(sc *Scenario, i int64) { sc.Seed = i }),
	"pace":          set(func(sc *Scenario, p Pace) { sc.Pace = p }),
	"default_reply": set(func(sc *Scenario, r *Reply) { sc.DefaultReply = r }),
	"turns":         set(func(sc *Scenario, t *Turn) { sc.Turns = append(sc.Turns, *t) }),
	"expect":        set(func(sc *Scenario, e *Expectation) { sc.Expect = append(sc.Expect, *e) }),
	"faults": setChecked(func(s slot, sc *Scenario, text string) {
		ft, err := faults.Parse(text)
		if err != nil {
			s.errorf("see docs/faults.md for the syntax", "%v", err)
			return
		}
		sc.Faults = append(sc.Faults, ft)
	}),
}}

// formatAliases normalizes the GA spellings of audio formats to the preview
// ones the Session type uses.
var formatAliases = map[string]string{"audio/pcm": "pcm16", "audio/pcmu": "g711_ulaw", "audio/pcma": "g711_alaw"}

func normalizeFormat(s string) string {
	if p, ok := formatAliases[s]; ok {
		return p
	}
	return s
}

var sessionBinding = &binding{make: newOf[Session](), keys: map[string]setter{
	"voice":        set(func(s *Session, v string) { s.Voice = v }),
	"instructions": set(func(s *Session, v string) { s.Instructions = &v }),
	"modalities": setChecked(func(sl slot, s *Session, m string) {
		if slices.Contains(s.Modalities, m) {
			sl.errorf("", "modality %q listed twice", m)
			return
		}
		s.Modalities = append(s.Modalities, m)
	}),
	"input_audio_format":  set(func(s *Session, f string) { s.InputAudioFormat = normalizeFormat(f) }),
	"output_audio_format": set(func(s *Session, f string) { s.OutputAudioFormat = normalizeFormat(f) }),
	"turn_detection": set(func(s *Session, td *TurnDetection) {
		if td == nil { // null: manual mode
			td = &TurnDetection{Type: "none"}
		}
		s.TurnDetection = td
	}),
	"input_audio_transcription": set(func(s *Session, t *Transcription) { s.InputTranscription = t }),
	"tools": setChecked(func(sl slot, s *Session, t *Tool) {
		if t.Name != "" {
			for i := len(s.Tools) - 1; i >= 0; i-- {
				if s.Tools[i].Name == t.Name {
					np := child(sl.path, "name")
					sl.d.add(sl.d.at(np), np, "tool names must be unique", fmt.Sprintf("tool %q is already defined at %s", t.Name, index(lastKeyPath(sl.path), i)))
					break
				}
			}
		}
		s.Tools = append(s.Tools, *t)
	}),
	"temperature": set(func(s *Session, t float64) { s.Temperature = &t }),
}}

// lastKeyPath is path without its last index: "session.tools" for
// "session.tools[2]".
func lastKeyPath(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '[' {
			return path[:i]
		}
	}
	return path
}

var turnDetectionBinding = &binding{make: newOf[TurnDetection](), keys: map[string]setter{
	"type":                set(func(td *TurnDetection, s string) { td.Type = s }),
	"threshold":           set(func(td *TurnDetection, x float64) { td.Threshold = &x }),
	"prefix_padding_ms":   set(func(td *TurnDetection, x int64) { i := int(x); td.PrefixPaddingMs = &i }),
	"silence_duration_ms": set(func(td *TurnDetection, x int64) { i := int(x); td.SilenceDurationMs = &i }),
	"eagerness":           set(func(td *TurnDetection, s string) { td.Eagerness = s }),
	"idle_timeout_ms":     set(func(td *TurnDetection, x int64) { i := int(x); td.IdleTimeoutMs = &i }),
	"create_response":     set(func(td *TurnDetection, b bool) { td.CreateResponse = &b }),
	"interrupt_response":  set(func(td *TurnDetection, b bool) { td.InterruptResponse = &b }),
}, finish: finishOf(finishTurnDetection)}

// finishTurnDetection defaults the type and checks that every key applies
// to it.
func finishTurnDetection(d *decoder, td *TurnDetection, o *objectNode) {
	if o.get("type") == nil {
		td.Type = "server_vad"
	}
	if td.Type == "" {
		return
	}
	for _, e := range o.entries {
		if e.f.Key == "type" || turnDetectionApplies(e.f.Key, td.Type) || d.failed(e.path) {
			continue
		}
		switch {
		case td.Type == "none":
			d.errorf(e.v, e.path, "remove it, or choose type server_vad", "type none takes no other keys: there is no voice activity detection")
		case e.f.Key == "eagerness":
			d.errorf(e.v, e.path, "use type: semantic_vad, or remove eagerness", "eagerness applies only to semantic_vad, not %s", td.Type)
		default:
			d.errorf(e.v, e.path, "use type: server_vad, or use eagerness with semantic_vad", "%s applies only to server_vad, not %s", e.f.Key, td.Type)
		}
	}
}

// turnDetectionApplies reports whether a key of turn_detection applies to
// the detector typ.
func turnDetectionApplies(key, typ string) bool {
	switch key {
	case "threshold", "prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms":
		return typ == "server_vad"
	case "eagerness":
		return typ == "semantic_vad"
	}
	return typ != "none"
}

var replyBinding = &binding{make: newOf[Reply](), keys: map[string]setter{
	"text":       set(func(r *Reply, s string) { r.Text = s }),
	"transcript": set(func(r *Reply, s string) { r.Transcript = s }),
	"audio":      set(func(r *Reply, a *AudioSpec) { r.Audio = a }),
	"pace":       set(func(r *Reply, p Pace) { r.Pace = p }),
	"function_call": set(func(r *Reply, fc *FunctionCall) {
		r.FunctionCalls = append([]FunctionCall{*fc}, r.FunctionCalls...)
	}),
	"function_calls": set(func(r *Reply, fc *FunctionCall) { r.FunctionCalls = append(r.FunctionCalls, *fc) }),
	"status":         set(func(r *Reply, s string) { r.Status = s }),
	"reason":         set(func(r *Reply, s string) { r.StatusReason = s }),
}, finish: finishOf(finishReply)}

// finishReply checks the keys that exclude each other and defaults the
// status and its reason.
func finishReply(d *decoder, r *Reply, o *objectNode) {
	if v := o.get("transcript"); v != nil && o.get("text") != nil {
		d.errorf(v, child(o.path, "transcript"), "use text for a text-only reply, or transcript for the words of its audio", "a reply has text or transcript, not both")
	}
	if v := o.get("function_calls"); v != nil && o.get("function_call") != nil {
		d.errorf(v, child(o.path, "function_calls"), "move the function_call into the function_calls list", "a reply has function_call or function_calls, not both")
	}
	if r.Status == "" && !d.failed(child(o.path, "status")) {
		r.Status = "completed"
	}
	reason := o.get("reason")
	if reason != nil && r.StatusReason != "" && !reasonFits(r.Status, r.StatusReason) {
		d.errorf(reason, child(o.path, "reason"), "use max_output_tokens or content_filter with status: incomplete, and rate_limit_exceeded, inference_rate_limit_exceeded or server_error with status: failed",
			"reason %s does not go with status %s", r.StatusReason, r.Status)
	}
	if r.StatusReason == "" && reason == nil {
		r.StatusReason = map[string]string{"incomplete": "max_output_tokens", "failed": "server_error"}[r.Status]
	}
}

var errorBinding = &binding{make: newOf[ErrorSpec](), keys: map[string]setter{
	"type":    set(func(e *ErrorSpec, s string) { e.Type = s }),
	"code":    set(func(e *ErrorSpec, s string) { e.Code = s }),
	"message": set(func(e *ErrorSpec, s string) { e.Message = s }),
	"param":   set(func(e *ErrorSpec, s string) { e.Param = s }),
}, finish: finishOf(func(d *decoder, e *ErrorSpec, o *objectNode) {
	if !o.ok || d.failed(child(o.path, "type")) {
		return
	}
	if e.Type == "" {
		e.Type = realtime.InvalidRequestError
	}
	if o.get("message") == nil {
		if e.Type == realtime.ServerError {
			e.Message = realtime.NewServerError("").Message
		} else {
			d.errorf(o.n, o.path, "only server_error has a default message", "missing required key %q", "message")
		}
	}
})}

// maxCloseReason is the longest close reason a WebSocket close frame holds.
const maxCloseReason = 123

var faultBinding = &binding{make: newOf[Fault](), keys: map[string]setter{
	"close": setChecked(func(s slot, f *Fault, code int64) {
		switch code {
		case 1004, 1005, 1006, 1015:
			s.errorf("use 1011 for a server failure, or 1001 for going away", "close code %d is reserved and never sent in a close frame", code)
			return
		}
		f.CloseCode = int(code)
	}),
	"reason": setChecked(func(s slot, f *Fault, reason string) {
		if len(reason) > maxCloseReason {
			s.errorf("", "a close reason holds at most %d bytes, got %d", maxCloseReason, len(reason))
		}
		f.CloseReason = reason
	}),
	"delay": set(func(f *Fault, d time.Duration) { f.Delay = d }),
}}

// reasonFits reports whether a reply's reason goes with its status.
func reasonFits(status, reason string) bool {
	switch reason {
	case "max_output_tokens", "content_filter":
		return status == "incomplete"
	}
	return status == "failed"
}
