package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"

	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// Expectations judges sessions (the sessions of one run) against the
// expect entries of the scenario they played. The n-th entry's verdict is
// named EXPECT-n; its severity is error.
//
// An entry opens a window at every server event of its After type (one
// window at connect when After is empty). The window closes at the first
// of: Within after it opened, the next server event of type Until, the
// next client event of type Before, the end of the session. A plain entry
// needs a matching client event in every window, a Never entry none in any.
func Expectations(sc *scenarios.Scenario, sessions ...*Session) []Verdict {
	if sc == nil {
		return nil
	}
	out := make([]Verdict, 0, len(sc.Expect))
	for i := range sc.Expect {
		e := &sc.Expect[i]
		reason := e.Description
		if reason == "" {
			reason = describeExpectation(e)
		}
		v := Verdict{Rule: fmt.Sprintf("EXPECT-%d", i+1), Reason: reason, Severity: SeverityError}
		out = append(out, combine(v, func(s *Session) Result { return checkExpectation(e, s) }, sessions))
	}
	return out
}

// describeExpectation says what an expectation asks for, for entries
// without a description.
func describeExpectation(e *scenarios.Expectation) string {
	var b strings.Builder
	if e.Never {
		b.WriteString("never ")
	}
	b.WriteString(e.Client)
	if e.After != "" {
		b.WriteString(" after " + e.After)
	}
	if e.Within > 0 {
		b.WriteString(" within " + e.Within.String())
	}
	if e.Until != "" {
		b.WriteString(" until " + e.Until)
	}
	if e.Before != "" {
		b.WriteString(" before " + e.Before)
	}
	return b.String()
}

type window struct {
	opener      *event // nil for the window opened at connect
	open, close int    // frame indexes, exclusive
	closeAt     time.Duration
}

func checkExpectation(x *scenarios.Expectation, s *Session) Result {
	if s.Transport == "webrtc" && !x.Never && x.Client == realtime.ClientItemTruncate {
		// docs/webrtc.md: the service cuts the playing item itself when it
		// clears the audio, and says so with conversation.item.truncated.
		return notApplicable("on WebRTC the service truncates the playing item itself when it clears the audio (conversation.item.truncated); the client sends no truncate")
	}
	v := s.v()
	ws := openWindows(x, v)
	if len(ws) == 0 {
		if x.After == scenarios.AfterInterrupt {
			return notApplicable("the simulated user never interrupted a reply")
		}
		return notApplicable("no %s opened a window", x.After)
	}
	if x.Within > 0 {
		if r, ok := timingUnreliable(s, x.Within); ok {
			return r
		}
	}
	for k := range ws {
		closeWindow(x, v, s.End(), &ws[k])
	}
	var fs []Finding
	for _, w := range ws {
		if f, bad := judgeWindow(x, v, w); bad {
			fs = append(fs, f)
		}
	}
	return result(fs, "")
}

// openWindows returns the windows x opens in the session: one at connect
// when After is empty, one at every server event of type After, or, for
// After: interrupt, one at the speech_started of every simulated
// interruption (the mock marks it with a note just before).
func openWindows(x *scenarios.Expectation, v *view) []window {
	if x.After == "" {
		return []window{{open: -1}}
	}
	after := x.AfterKind()
	var ws []window
	interrupted := false
	for _, e := range v.evs {
		switch {
		case e.f.Kind == cassette.KindFault && e.f.Reason == mockserver.InterruptNote:
			interrupted = true
		case e.dir != cassette.Server:
		case x.After == scenarios.AfterInterrupt:
			if interrupted && v.kind(e) == realtime.KindSpeechStarted {
				ws = append(ws, window{opener: e, open: e.i})
				interrupted = false
			}
		case after != realtime.KindUnknown && v.kind(e) == after, after == realtime.KindUnknown && e.typ == x.After:
			ws = append(ws, window{opener: e, open: e.i})
		}
	}
	return ws
}

// closeWindow finds where w closes: Within after it opened, at the next
// server event of type Until, at the next client event of type Before, or
// at the end of the session.
func closeWindow(x *scenarios.Expectation, v *view, end time.Duration, w *window) {
	until := x.UntilKind()
	var openAt time.Duration
	if w.opener != nil {
		openAt = w.opener.at
	}
	w.close, w.closeAt = len(v.evs), end
	if x.Within > 0 && openAt+x.Within < w.closeAt {
		w.closeAt = openAt + x.Within
	}
	for _, e := range v.evs[w.open+1:] {
		if e.at > w.closeAt ||
			x.Until != "" && e.dir == cassette.Server && (until != realtime.KindUnknown && v.kind(e) == until || e.typ == x.Until) ||
			x.Before != "" && e.dir == cassette.Client && e.typ == x.Before {
			w.close = e.i
			return
		}
	}
}

// judgeWindow judges one window: a Never expectation fails on a match in
// it, a plain one on no match.
func judgeWindow(x *scenarios.Expectation, v *view, w window) (Finding, bool) {
	var match *event
	for _, e := range v.evs[w.open+1 : w.close] {
		if v.clientSent(e, x.Client) && matches(x.Match, e) {
			match = e
			break
		}
	}
	where := "the session"
	at := time.Duration(0)
	if w.opener != nil {
		where = fmt.Sprintf("the window opened by %s at %s", w.opener.typ, fmtT(w.opener.at))
		at = w.opener.at
	}
	switch {
	case x.Never && match != nil:
		return Finding{
			At:      match.at,
			Problem: fmt.Sprintf("%s at %s, inside %s", match.typ, fmtT(match.at), where),
			Want:    "no " + describeExpectation(x)[len("never "):],
			Frames:  quotes(w.opener, match),
		}, true
	case !x.Never && match == nil:
		problem := fmt.Sprintf("no %s%s in %s (it closed at %s)", x.Client, matchText(x.Match), where, fmtT(w.closeAt))
		if w.close < len(v.evs) && v.evs[w.close].at <= w.closeAt {
			problem = fmt.Sprintf("no %s%s in %s before %s at %s", x.Client, matchText(x.Match), where, v.evs[w.close].typ, fmtT(v.evs[w.close].at))
		}
		var near *event
		for _, e := range v.evs[w.open+1:] {
			if v.clientSent(e, x.Client) {
				near = e // the nearest event of the type, for the report
				break
			}
		}
		return Finding{At: at, Problem: problem, Want: describeExpectation(x) + matchText(x.Match), Frames: quotes(w.opener, near)}, true
	}
	return Finding{}, false
}

// clientSent reports whether e is the client's event of type typ. On a
// WebRTC call the microphone's RTP packets (the client's audio frames) are
// its input_audio_buffer.append: the audio reaches the input buffer without
// the event.
func (v *view) clientSent(e *event, typ string) bool {
	if e.dir == cassette.Client {
		return e.typ == typ
	}
	return v.webrtc() && typ == realtime.ClientInputAppend && e.f.Kind == cassette.KindAudio && e.f.Dir == cassette.Client
}

// matches reports whether the event has every member the matchers want.
func matches(ms map[string]scenarios.Matcher, e *event) bool {
	if len(ms) == 0 {
		return true
	}
	obj := e.obj
	if obj == nil && !(e.f.Kind == cassette.KindBinary) {
		dec := json.NewDecoder(bytes.NewReader(e.f.Data))
		dec.UseNumber()
		if dec.Decode(&obj) != nil {
			return false
		}
	}
	for path, m := range ms {
		val, ok := get(obj, path)
		if !ok {
			return false
		}
		if m.Between != nil {
			n, ok := plain(val).(float64)
			if !ok || n < m.Between[0] || n > m.Between[1] {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(plain(m.Equals), plain(val)) {
			return false
		}
	}
	return true
}

// plain turns json.Number values into float64 and ints into float64, so
// that values decoded in different ways compare equal.
func plain(x any) any {
	switch t := x.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return t.String()
		}
		return f
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[k] = plain(v)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, v := range t {
			l[i] = plain(v)
		}
		return l
	}
	return x
}

func matchText(ms map[string]scenarios.Matcher) string {
	if len(ms) == 0 {
		return ""
	}
	keys := make([]string, 0, len(ms))
	for k := range ms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		m := ms[k]
		if m.Between != nil {
			parts[i] = fmt.Sprintf("%s in [%g, %g]", k, m.Between[0], m.Between[1])
		} else {
			b, _ := json.Marshal(m.Equals)
			parts[i] = fmt.Sprintf("%s = %s", k, b)
		}
	}
	return " with " + strings.Join(parts, ", ")
}
