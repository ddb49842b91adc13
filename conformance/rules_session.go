package conformance

import (
	"fmt"
	"github.com/rtmock/rtmock/cassette"
	"slices"
	"strings"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// updateReplies pairs every client session.update with what answered it:
// the error that refused it, or the session.updated that applied it (the
// service answers updates in order). Unanswered updates map to nil.
func (v *view) updateReplies() map[int]*event {
	replies := map[int]*event{}
	var queue []int
	for _, e := range v.evs {
		switch {
		case e.dir == cassette.Client && e.typ == realtime.ClientSessionUpdate:
			if errEv, ok := v.errorFor(e.i); ok {
				replies[e.i] = errEv
				continue
			}
			replies[e.i] = nil
			queue = append(queue, e.i)
		case v.kind(e) == realtime.KindSessionUpdated && len(queue) > 0:
			replies[queue[0]] = e
			queue = queue[1:]
		}
	}
	return replies
}

// touchesInput reports whether a session.update's session object changes
// how input audio is read: format, turn detection, transcription or noise
// reduction, in either dialect's shape.
func touchesInput(sess map[string]any) bool {
	for _, k := range []string{"input_audio_format", "turn_detection", "input_audio_transcription", "input_audio_noise_reduction"} {
		if _, ok := sess[k]; ok {
			return true
		}
	}
	_, ok := get(sess, "audio.input")
	return ok
}

// configuring returns the client session.updates that configure the
// session: the first one, and any that touches input audio.
func (v *view) configuring() []*event {
	var out []*event
	for _, e := range v.evs {
		if e.dir != cassette.Client || e.typ != realtime.ClientSessionUpdate {
			continue
		}
		sess, _ := getMap(e.obj, "session")
		if len(out) == 0 || touchesInput(sess) {
			out = append(out, e)
		}
	}
	return out
}

// usesConfig reports whether a client event depends on the session's
// configuration being applied: audio, commits and response requests.
func usesConfig(e *event) bool {
	if e.dir != cassette.Client {
		return false
	}
	switch e.typ {
	case realtime.ClientInputAppend, realtime.ClientInputCommit, realtime.ClientResponseCreate:
		return true
	}
	return false
}

func between(v *view, from, to int, pred func(*event) bool) []*event {
	var out []*event
	for _, e := range v.evs[from+1 : to] {
		if pred(e) {
			out = append(out, e)
		}
	}
	return out
}

func andMore(es []*event) string {
	if len(es) > 1 {
		return fmt.Sprintf(" (and %d more)", len(es)-1)
	}
	return ""
}

func checkConfigFirst(s *Session) Result {
	v := s.v()
	var fs []Finding
	if v.created > 0 {
		if early := between(v, -1, v.created, func(e *event) bool { return e.dir == cassette.Client }); len(early) > 0 {
			fs = append(fs, Finding{
				At:      early[0].at,
				Problem: fmt.Sprintf("%s at %s came before session.created at %s%s", early[0].typ, fmtT(early[0].at), fmtT(v.evs[v.created].at), andMore(early)),
				Want:    "wait for session.created, the first event of every session",
				Frames:  quotes(early[0], v.evs[v.created]),
			})
		}
	}
	updates := v.configuring()
	if len(updates) == 0 && len(fs) == 0 {
		return notApplicable("the client sent no session.update")
	}
	replies := v.updateReplies()
	for _, u := range updates {
		reply := replies[u.i]
		end := len(v.evs)
		if reply != nil {
			end = reply.i
		}
		bad := between(v, u.i, end, usesConfig)
		if len(bad) == 0 {
			continue
		}
		answered := "no answer came before the session ended"
		if reply != nil {
			answered = fmt.Sprintf("%s came at %s", reply.typ, fmtT(reply.at))
		}
		fs = append(fs, Finding{
			At:      bad[0].at,
			Problem: fmt.Sprintf("%s at %s, before the session.update sent at %s was applied (%s)%s", bad[0].typ, fmtT(bad[0].at), fmtT(u.at), answered, andMore(bad)),
			Want:    "wait for session.updated before streaming or asking for a response: until then the service uses the old configuration (format, turn detection, voice)",
			Frames:  quotes(u, bad[0], reply),
		})
	}
	return result(fs, "")
}

func checkConfigRejected(s *Session) Result {
	v := s.v()
	replies := v.updateReplies()
	var fs []Finding
	rejected := 0
	for _, u := range v.configuring() {
		reply := replies[u.i]
		if reply == nil || !isError(v, reply) {
			continue
		}
		rejected++
		end := len(v.evs)
		for _, e := range v.evs[reply.i+1:] {
			if e.dir == cassette.Client && e.typ == realtime.ClientSessionUpdate {
				end = e.i
				break
			}
		}
		bad := between(v, reply.i, end, usesConfig)
		if len(bad) == 0 {
			continue
		}
		fs = append(fs, Finding{
			At:      bad[0].at,
			Problem: fmt.Sprintf("the session.update at %s was rejected (%s: %s), and the client went on without fixing it: %s at %s%s runs under the old configuration", fmtT(u.at), orNone(errCode(reply), ""), str(reply.obj, "error.message"), bad[0].typ, fmtT(bad[0].at), andMore(bad)),
			Want:    "treat a refused session.update as not applied (it is dropped whole): fix it and send it again, and wait for session.updated before streaming",
			Frames:  quotes(u, reply, bad[0]),
		})
	}
	if rejected == 0 {
		return notApplicable("no session.update configuring the session was rejected")
	}
	return result(fs, "")
}

func checkVoiceChange(s *Session) Result {
	v := s.v()
	if len(v.items) == 0 {
		return notApplicable("the assistant produced no audio")
	}
	first := v.items[0].first
	var fs []Finding
	updates := 0
	for _, e := range v.evs[first+1:] {
		if e.dir != cassette.Client || e.typ != realtime.ClientSessionUpdate {
			continue
		}
		updates++
		voice := str(e.obj, "session.voice")
		if voice == "" {
			voice = str(e.obj, "session.audio.output.voice")
		}
		cur := v.cfgAt(e.i).voice
		if voice == "" || voice == cur {
			continue
		}
		fr := []*event{e}
		if errEv, ok := v.errorFor(e.i); ok {
			fr = append(fr, errEv)
		}
		fs = append(fs, Finding{
			At:      e.at,
			Problem: fmt.Sprintf("session.update at %s changes the voice from %s to %s after the assistant spoke (first audio at %s); the service answers cannot_update_voice", fmtT(e.at), cur, voice, fmtT(v.evs[first].at)),
			Want:    "choose the voice in the first session.update, before any assistant audio",
			Frames:  quotes(fr...),
		})
	}
	if updates == 0 {
		return notApplicable("no session.update after the assistant's first audio")
	}
	return result(fs, "")
}

// Fields that exist in only one dialect.
var (
	previewSessionKeys  = []string{"modalities", "voice", "input_audio_format", "output_audio_format", "input_audio_transcription", "input_audio_noise_reduction", "turn_detection", "temperature", "max_response_output_tokens", "speed"}
	gaSessionKeys       = []string{"type", "output_modalities", "audio", "max_output_tokens", "truncation", "prompt", "include", "reasoning"}
	previewResponseKeys = []string{"modalities", "voice", "output_audio_format", "temperature", "max_response_output_tokens", "commit", "cancel_previous", "append_input_items", "input_items"}
	gaResponseKeys      = []string{"output_modalities", "audio", "max_output_tokens", "reasoning"}
	previewContent      = map[string][]string{"assistant": {"text", "audio"}, "user": {"item_reference"}}
	gaContent           = map[string][]string{"assistant": {"output_text", "output_audio"}, "user": {"input_image"}}
)

// presentKeys returns the members of obj named in keys.
func presentKeys(obj map[string]any, keys []string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := obj[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

func checkDialect(s *Session) Result {
	v := s.v()
	d := s.Dialect
	if !d.Valid() {
		return notApplicable("the session's dialect is not known")
	}
	var fs []Finding
	add := func(e *event, problem, want string) {
		f := Finding{Problem: problem, Want: want}
		if e != nil {
			f.At = e.at
			fr := []*event{e}
			if errEv, ok := v.errorFor(e.i); ok {
				fr = append(fr, errEv)
			}
			f.Frames = quotes(fr...)
		}
		fs = append(fs, f)
	}
	endpoint := fmt.Sprintf("%s (%s dialect)", s.Path, d)
	if s.Run != nil && s.Run.Want.Valid() && s.Run.Want != d {
		add(nil, fmt.Sprintf("the client was asked to speak %s (RTMOCK_DIALECT=%s) but connected to %s", s.Run.Want, s.Run.Want, endpoint),
			"connect to the endpoint of the dialect asked for: /openai/realtime?api-version=…&deployment=… for preview, /openai/v1/realtime?model=… for GA")
	}
	if d == realtime.GA {
		beta := strings.Contains(strings.ToLower(s.Header["OpenAI-Beta"]), "realtime=v1") || slices.Contains(s.Subprotocols, "openai-beta.realtime-v1")
		if beta {
			add(nil, fmt.Sprintf("the handshake to the GA endpoint %s carries the beta marker (OpenAI-Beta: realtime=v1 or the openai-beta.realtime-v1 subprotocol); OpenAI's GA service answers beta_api_shape_disabled and closes with 4000", s.Path),
				"no OpenAI-Beta header or beta subprotocol on a GA endpoint")
		}
	}
	for _, e := range v.evs {
		if e.dir == cassette.Client && e.typ != "" {
			checkShape(e, d, add)
		}
	}
	return result(fs, "")
}

// checkShape reports a client event of dialect d's session that has the
// other dialect's shape: an event only the other has, or its fields.
func checkShape(e *event, d realtime.Dialect, add func(e *event, problem, want string)) {
	other := d.Other()
	sessKeys, respKeys, content := previewSessionKeys, previewResponseKeys, previewContent
	if d == realtime.Preview {
		sessKeys, respKeys, content = gaSessionKeys, gaResponseKeys, gaContent
	}
	want := fmt.Sprintf("%s fields and events only, in the shape of the %s protocol (§3: the beta → GA renames)", d, d)
	if realtime.IsClientType(other, e.typ) && !realtime.IsClientType(d, e.typ) {
		add(e, fmt.Sprintf("%s at %s is a %s-only event, sent in a %s session", e.typ, fmtT(e.at), other, d), want)
		return
	}
	switch e.typ {
	case realtime.ClientSessionUpdate:
		sess, _ := getMap(e.obj, "session")
		if keys := presentKeys(sess, sessKeys); len(keys) > 0 {
			add(e, fmt.Sprintf("session.update at %s uses %s field%s %s in a %s session", fmtT(e.at), other, plural(keys), joinKeys("session.", keys), d), want)
		}
		if _, ok := sess["type"]; d == realtime.GA && sess != nil && !ok {
			add(e, fmt.Sprintf("session.update at %s has no session.type, which GA requires (missing_required_parameter)", fmtT(e.at)), `session.type "realtime" (or "transcription") in every GA session.update`)
		}
	case realtime.ClientResponseCreate:
		r, _ := getMap(e.obj, "response")
		if keys := presentKeys(r, respKeys); len(keys) > 0 {
			add(e, fmt.Sprintf("response.create at %s uses %s field%s %s in a %s session", fmtT(e.at), other, plural(keys), joinKeys("response.", keys), d), want)
		}
	case realtime.ClientItemCreate:
		role := str(e.obj, "item.role")
		parts, _ := getList(e.obj, "item.content")
		for _, p := range parts {
			if pt := str(asMap(p), "type"); slices.Contains(content[role], pt) {
				add(e, fmt.Sprintf("conversation.item.create at %s has %s content of type %s, the %s spelling, in a %s session", fmtT(e.at), role, pt, other, d), want)
				return
			}
		}
	}
}

func asMap(x any) map[string]any {
	m, _ := x.(map[string]any)
	return m
}

func plural[T any](s []T) string {
	if len(s) == 1 {
		return ""
	}
	return "s"
}

func joinKeys(prefix string, keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = prefix + k
	}
	return strings.Join(q, ", ")
}

// clientMembers returns the top-level members client event type typ may
// carry besides type and event_id (realtime's table of client events), and
// whether it is a client event at all.
func clientMembers(typ string) ([]string, bool) {
	k := realtime.ClientKindOf(typ)
	if k == realtime.ClientUnknown {
		return nil, false
	}
	var names []string
	for _, m := range k.Spec().Members {
		names = append(names, m.Name)
	}
	return names, true
}

// maxFindings bounds the findings a rule reports for one session.
const maxFindings = 8

func checkEventTypes(s *Session) Result {
	v := s.v()
	var fs []Finding
	n, extra := 0, 0
	add := func(e *event, problem, want string) {
		if len(fs) == maxFindings {
			extra++
			return
		}
		fr := []*event{e}
		if errEv, ok := v.errorFor(e.i); ok {
			fr = append(fr, errEv)
		}
		fs = append(fs, Finding{At: e.at, Problem: problem, Want: want, Frames: quotes(fr...)})
	}
	wantTypes := "only the client events of §2: " + strings.Join(realtime.ClientTypes(v.dialect()), ", ")
	for _, e := range v.evs {
		if e.dir != cassette.Client {
			continue
		}
		n++
		switch {
		case (e.f.Kind == cassette.KindBinary):
			add(e, fmt.Sprintf("binary frame at %s; the service answers invalid_event", fmtT(e.at)), "JSON events in text frames only")
			continue
		case e.typ == "":
			add(e, fmt.Sprintf("text frame at %s is not a JSON event with a type", fmtT(e.at)), "one JSON object with a \"type\" per text frame")
			continue
		case !v.webrtc() && len(realtime.ClientKindOf(e.typ).Spec().Transports) > 0:
			add(e, fmt.Sprintf("%s at %s exists only over WebRTC and SIP, not on a WebSocket", e.typ, fmtT(e.at)), "conversation.item.truncate to cut playback on a WebSocket")
			continue
		}
		allowed, ok := clientMembers(e.typ)
		if !ok {
			add(e, fmt.Sprintf("%q at %s is no client event of the Realtime API; the service answers invalid_value", e.typ, fmtT(e.at)), wantTypes+"; keep-alives are the server's WebSocket pings")
			continue
		}
		keys, err := realtime.Keys(e.f.Data)
		if err != nil {
			continue
		}
		var unknown []string
		for _, k := range keys {
			if k != "type" && k != "event_id" && !slices.Contains(allowed, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			add(e, fmt.Sprintf("%s at %s carries unknown member%s %s; the service answers unknown_parameter", e.typ, fmtT(e.at), plural(unknown), strings.Join(unknown, ", ")), fmt.Sprintf("%s with %s only", e.typ, strings.Join(append([]string{"type", "event_id"}, allowed...), ", ")))
		}
	}
	if n == 0 {
		return notApplicable("the client sent no event")
	}
	if extra > 0 {
		fs[len(fs)-1].Problem += fmt.Sprintf(" (and %d more like these)", extra)
	}
	return result(fs, "")
}

func checkSessionEnd(s *Session) Result {
	c, lim := s.Close, s.limits()
	switch {
	case c.By == "":
		return notApplicable("the record ends before the session closed")
	case c.By == cassette.Client:
		return notApplicable("the client ended the session")
	case s.Run == nil:
		return notApplicable("a recorded session: what the client did after the server's close is not in it")
	case s.Run.TornDown:
		return notApplicable("the session lasted until the runner shut the server down")
	case s.Run.CallEnded:
		return notApplicable("the runner ended the call")
	}
	if r, ok := timingUnreliable(s, lim.Grace); ok {
		return r
	}
	r := s.Run
	deadline := c.At + lim.Grace
	if r.Next && r.NextAt <= deadline || r.Ended && r.EndedAt <= deadline {
		return Result{Status: Pass}
	}
	if r.HungUp && r.HungUpAt < deadline && !(r.Next && r.NextAt < r.HungUpAt) {
		return notApplicable("the runner hung up %s after the server's close", fmtMs(ms(r.HungUpAt-c.At)))
	}
	why := fmt.Sprintf("close %s", closeText(c))
	v := s.v()
	var last *event
	for _, e := range v.evs {
		if isError(v, e) && e.at <= c.At {
			last = e
		}
	}
	if last != nil && c.At-last.at < 100*time.Millisecond {
		why = errCode(last) + ", then " + why
	}
	then := "it was still running"
	switch {
	case r.Next:
		then = fmt.Sprintf("it reconnected only at %s", fmtT(r.NextAt))
	case r.HungUp && (!r.Ended || r.EndedAt >= r.HungUpAt):
		then = fmt.Sprintf("it was still running when the runner hung up at %s", fmtT(r.HungUpAt))
	case r.Ended:
		then = fmt.Sprintf("it ended only at %s", fmtT(r.EndedAt))
	}
	return Result{Status: Fail, Findings: []Finding{{
		At:      c.At,
		Problem: fmt.Sprintf("the server ended the session at %s (%s) and the client neither reconnected nor ended within %s: %s", fmtT(c.At), why, fmtMs(ms(lim.Grace)), then),
		Want:    "notice session_expired and the close: reconnect with a new session (configured again, context restored) or end the call",
		Frames:  quotes(last),
	}}}
}

func checkCloseNormal(s *Session) Result {
	c := s.Close
	switch {
	case c.By == cassette.Client && c.Code == 1000:
		return Result{Status: Pass}
	case c.By == cassette.Client:
		how := "with close code " + closeText(c)
		if c.Code == 1006 {
			how = "by dropping the connection without a close frame"
		}
		return Result{Status: Fail, Findings: []Finding{{
			At:      c.At,
			Problem: fmt.Sprintf("the client ended the session at %s %s", fmtT(c.At), how),
			Want:    "a close frame with code 1000 (normal closure) when the conversation is over",
		}}}
	case c.By == cassette.Server && s.Run != nil && s.Run.TornDown:
		problem := fmt.Sprintf("the client left the session open until the runner shut the server down at %s", fmtT(c.At))
		if s.Run.HungUp {
			problem = fmt.Sprintf("the client did not close the session when the runner hung up at %s; it was still open when the runner shut the server down at %s", fmtT(s.Run.HungUpAt), fmtT(c.At))
		}
		return Result{Status: Fail, Findings: []Finding{{At: c.At, Problem: problem, Want: "close the socket with code 1000 when the call ends"}}}
	case c.By == cassette.Server:
		return notApplicable("the server ended the session")
	}
	return notApplicable("the record ends before the session closed")
}
