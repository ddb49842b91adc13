package conformance

import (
	"fmt"
	"github.com/rtmock/rtmock/cassette"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Error codes the rules branch on.
const (
	codeActiveResponse  = "conversation_already_has_active_response"
	codeCancelNotActive = "response_cancel_not_active"
	codeCommitEmpty     = "input_audio_buffer_commit_empty"
	codeSessionExpired  = "session_expired"
)

// errCode is the code of an error event.
func errCode(e *event) string { return str(e.obj, "error.code") }

func isError(v *view, e *event) bool { return v.kind(e) == realtime.KindError }

func checkActiveResponse(s *Session) Result {
	v := s.v()
	var fs []Finding
	creates := 0
	for _, e := range v.evs {
		if e.dir != cassette.Client || e.typ != realtime.ClientResponseCreate {
			continue
		}
		creates++
		if str(e.obj, "response.conversation") == "none" {
			continue // out-of-band responses may run alongside
		}
		r := v.activeResp(e.i)
		errEv, _ := v.errorFor(e.i)
		refused := errEv != nil && errCode(errEv) == codeActiveResponse
		if r == nil && !refused {
			continue
		}
		f := Finding{At: e.at, Want: "track response.created and response.done (matching errors by event_id) and send response.create only when no response is in progress, or ask for an out-of-band one with conversation \"none\""}
		fr := []*event{e}
		if r != nil {
			done := "no response.done before the session ended"
			if r.done >= 0 {
				done = "its response.done came at " + fmtT(v.evs[r.done].at)
			}
			f.Problem = fmt.Sprintf("response.create at %s while %s was in progress (response.created at %s; %s)", fmtT(e.at), r.id, fmtT(v.evs[r.created].at), done)
			fr = append(fr, v.evs[r.created])
		} else {
			f.Problem = fmt.Sprintf("response.create at %s while the server was already starting a response: it answered %s", fmtT(e.at), codeActiveResponse)
		}
		if refused {
			fr = append(fr, errEv)
		}
		f.Frames = quotes(fr...)
		fs = append(fs, f)
	}
	if creates == 0 {
		return notApplicable("the client sent no response.create")
	}
	return result(fs, "")
}

// quitAfter reports whether the client closed the session within the grace
// period after frame i, on its own (not when the runner hung up) and before
// any response completed after i: what a client does that takes an error
// or a cancelled response for the end of the session.
func quitAfter(s *Session, v *view, i int) (time.Duration, bool) {
	lim := s.limits()
	at := v.evs[i].at
	c := s.Close
	if c.By != cassette.Client || c.At < at || c.At-at > lim.Grace {
		return 0, false
	}
	if s.Run != nil && s.Run.HungUp && c.At >= s.Run.HungUpAt {
		return 0, false
	}
	for _, r := range v.resps {
		if r.done > i && r.status == "completed" {
			return 0, false
		}
	}
	return c.At - at, true
}

func closeText(c Close) string {
	if c.Reason != "" {
		return fmt.Sprintf("%d %q", c.Code, c.Reason)
	}
	return fmt.Sprint(c.Code)
}

func checkCancelHandling(s *Session) Result {
	v := s.v()
	var fs []Finding
	triggers := 0
	for _, e := range v.evs {
		var what string
		switch {
		case isError(v, e) && errCode(e) == codeCancelNotActive:
			what = "the " + codeCancelNotActive + " error"
		case v.kind(e) == realtime.KindResponseDone:
			st := str(e.obj, "response.status")
			if st == "completed" || st == "" {
				continue
			}
			what = fmt.Sprintf("response.done with status %s", st)
			if r := str(e.obj, "response.status_details.reason"); r != "" {
				what += " (" + r + ")"
			}
		default:
			continue
		}
		triggers++
		if v.kind(e) == realtime.KindResponseDone && oneShot(v) {
			return notApplicable("a one-shot client: it asked for one response and ended the call after it, whatever its status")
		}
		if d, ok := quitAfter(s, v, e.i); ok {
			fs = append(fs, Finding{
				At:      s.Close.At,
				Problem: fmt.Sprintf("the client closed the session (%s) %s after %s at %s", closeText(s.Close), fmtMs(ms(d)), what, fmtT(e.at)),
				Want:    "carry on: a cancel that finds nothing to cancel leaves the session usable, and a cancelled or incomplete response ends only that response (branch on response.status and status_details)",
				Frames:  quotes(e),
			})
		}
	}
	if triggers == 0 {
		return notApplicable("no cancelled or incomplete response and no %s error", codeCancelNotActive)
	}
	return result(fs, "")
}

// oneShot reports whether the client asked for exactly one response and
// never spoke: a program that asks once and ends on response.done ends
// there whatever the status, which is no mishandling of the status.
func oneShot(v *view) bool {
	creates := 0
	for _, e := range v.evs {
		if e.dir != cassette.Client {
			continue
		}
		switch e.typ {
		case realtime.ClientResponseCreate:
			creates++
		case realtime.ClientInputAppend:
			return false
		}
	}
	return creates == 1
}

// fatalError reports whether the server closed the session right after
// error e: then the error was the end (session_expired, auth), not
// something to recover from.
func fatalError(s *Session, e *event) bool {
	return s.Close.By == cassette.Server && s.Close.At-e.at <= 100*time.Millisecond && s.Close.At >= e.at
}

func checkErrorRecovery(s *Session) Result {
	v, lim := s.v(), s.limits()
	var fs []Finding
	judged := 0
	for _, e := range v.evs {
		if !isError(v, e) {
			continue
		}
		code := errCode(e)
		if code == codeCancelNotActive || code == codeSessionExpired || fatalError(s, e) {
			continue // RT-CANCEL-HANDLING and RT-SESSION-END judge these
		}
		judged++
		what := fmt.Sprintf("the error at %s (%s)", fmtT(e.at), orNone(code, str(e.obj, "error.type")))
		if d, ok := quitAfter(s, v, e.i); ok {
			fs = append(fs, Finding{
				At:      s.Close.At,
				Problem: fmt.Sprintf("the client closed the session (%s) %s after %s", closeText(s.Close), fmtMs(ms(d)), what),
				Want:    "keep the session: an error event without a close frame is not fatal, the next valid event works normally",
				Frames:  quotes(e),
			})
			continue
		}
		ci, ok := v.errOf[e.i]
		if !ok || v.evs[ci].typ != realtime.ClientResponseCreate || code == codeActiveResponse {
			continue
		}
		again := false
		for _, x := range v.evs[e.i+1:] {
			if x.dir == cassette.Client && x.typ == realtime.ClientResponseCreate {
				again = true
				break
			}
		}
		if again || s.End()-e.at < lim.Reaction {
			continue
		}
		fs = append(fs, Finding{
			At:      e.at,
			Problem: fmt.Sprintf("%s refused the response.create at %s, and the client never asked again (the session went on for %s)", what, fmtT(v.evs[ci].at), fmtMs(ms(s.End()-e.at))),
			Want:    "match the error to the request by event_id and retry (or report the failure to the user) instead of waiting for a response that will not come",
			Frames:  quotes(v.evs[ci], e),
		})
	}
	if judged == 0 {
		return notApplicable("no error event the client had to recover from")
	}
	return result(fs, "")
}

func orNone(code, typ string) string {
	if code != "" {
		return code
	}
	if typ != "" {
		return typ
	}
	return "no code"
}

// isCallOutput reports whether e is the client's function_call_output for callID.
func isCallOutput(e *event, callID string) bool {
	return e.dir == cassette.Client && e.typ == realtime.ClientItemCreate &&
		str(e.obj, "item.type") == "function_call_output" && str(e.obj, "item.call_id") == callID
}

func checkFunctionCall(s *Session) Result {
	v, lim := s.v(), s.limits()
	var fs []Finding
	calls := 0
	for _, r := range v.resps {
		for _, c := range r.calls {
			calls++
			var output, early, next *event
			for _, e := range v.evs[c.argsAt+1:] {
				if output == nil && isCallOutput(e, c.id) {
					output = e
				}
				if e.dir != cassette.Client || e.typ != realtime.ClientResponseCreate || str(e.obj, "response.conversation") == "none" {
					continue
				}
				if r.done >= 0 && e.i < r.done {
					if early == nil {
						early = e
					}
					continue
				}
				if next == nil {
					next = e
				}
			}
			if early != nil {
				fs = append(fs, Finding{
					At:      early.at,
					Problem: fmt.Sprintf("response.create at %s came before the response.done (at %s) of %s, the response that called %s (%s)", fmtT(early.at), fmtT(v.evs[r.done].at), r.id, c.name, c.id),
					Want:    "send response.create only after the response.done of the turn with the call",
					Frames:  quotes(early, v.evs[r.done]),
				})
			}
			switch {
			case next != nil && (output == nil || output.i > next.i):
				fr := []*event{next}
				if output != nil {
					fr = append(fr, output)
				}
				fs = append(fs, Finding{
					At:      next.at,
					Problem: fmt.Sprintf("response.create at %s came before the function_call_output for %s (%s)", fmtT(next.at), c.id, c.name),
					Want:    fmt.Sprintf(`conversation.item.create {"item":{"type":"function_call_output","call_id":%q,"output":"…"}} first, then response.create`, c.id),
					Frames:  quotes(fr...),
				})
			case output == nil:
				end := v.evs[c.argsAt].at
				if r.done >= 0 {
					end = v.evs[r.done].at
				}
				if s.End()-end < lim.Grace {
					continue
				}
				fs = append(fs, Finding{
					At:      end,
					Problem: fmt.Sprintf("the call %s (%s) was never answered: no function_call_output in the %s after its response ended", c.id, c.name, fmtMs(ms(s.End()-end))),
					Want:    fmt.Sprintf("a function_call_output item with call_id %q, then response.create", c.id),
					Frames:  quotes(v.evs[c.argsAt]),
				})
			}
		}
	}
	if calls == 0 {
		return notApplicable("the model called no function")
	}
	return result(fs, "")
}
