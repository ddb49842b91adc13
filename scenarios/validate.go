package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rtmock/rtmock/realtime"
)

// validator checks what a scenario says as a whole: things each key allows
// on its own but that contradict each other, or that would make a turn or
// an expectation impossible. Parts that already failed to decode are
// skipped. It checks each turn and expectation as soon as it is decoded,
// after the rest of the scenario (see decoder.scenario).
type validator struct {
	d            *decoder
	sc           *Scenario
	firstRepeat  map[Trigger]int // the first turn with repeat: true of each trigger
	firstConnect int             // the first connect turn, or -1
	calls        int             // whether a reply calls a function: 0 unknown, 1 no, 2 yes
}

func (v *validator) defaultReply() {
	if v.sc.DefaultReply != nil {
		v.d.validateReply(v.sc, v.sc.DefaultReply, "default_reply")
	}
}

// turn checks turns[i], at path p, once it is decoded.
func (v *validator) turn(i int, p string) {
	d, t := v.d, &v.sc.Turns[i]
	d.validateTurn(v.sc, t, p)
	switch {
	case t.When == "":
	case t.When == OnConnect && v.firstConnect >= 0:
		d.add(d.at(child(p, "when")), child(p, "when"), "merge it into "+index("turns", v.firstConnect),
			fmt.Sprintf("this turn can never fire: a session connects once, and turns[%d] already answers connect", v.firstConnect))
	case t.When == OnConnect:
		v.firstConnect = i
	default:
		if j, ok := v.firstRepeat[t.When]; ok {
			d.add(d.at(child(p, "when")), child(p, "when"), fmt.Sprintf("move it before turns[%d], or remove repeat there", j),
				fmt.Sprintf("this turn can never fire: turns[%d] has repeat: true and answers every %s", j, t.When))
		} else if t.Repeat {
			v.firstRepeat[t.When] = i
		}
	}
}

// expectation checks expect[i], at path p, once it is decoded; every turn
// has been by then.
func (v *validator) expectation(i int, p string) {
	if v.calls == 0 {
		v.calls = 1
		if callsFunctions(v.sc) {
			v.calls = 2
		}
	}
	v.d.validateExpectation(v.sc, &v.sc.Expect[i], p, v.calls == 2)
}

// manual reports whether the scenario's session turns voice activity
// detection off.
func manual(sc *Scenario) bool {
	return sc.Session != nil && sc.Session.TurnDetection != nil && sc.Session.TurnDetection.Type == "none"
}

func (d *decoder) validateTurn(sc *Scenario, t *Turn, p string) {
	if t.Reply == nil && t.Error == nil && t.Fault == nil && t.User == nil {
		if !d.failed(p) {
			d.add(d.at(p), p, "give it a reply, an error or a fault", "an empty turn")
		}
		return
	}
	if t.User != nil && t.When != "" && t.When != OnUserSpeech && t.When != OnCommit {
		d.add(d.at(child(p, "user")), child(p, "user"), "user applies to user_speech and commit turns, whose audio comes from the client",
			fmt.Sprintf("a %s turn has no user audio to describe", t.When))
	}
	if t.When == OnConnect && t.Repeat {
		d.add(d.at(child(p, "repeat")), child(p, "repeat"), "remove it", "repeat has no effect on a connect turn: a session connects once")
	}
	if t.When == OnUserSpeech && manual(sc) {
		d.add(d.at(child(p, "when")), child(p, "when"), "use when: commit for push-to-talk, or set session.turn_detection.type to server_vad",
			"a user_speech turn needs voice activity detection, but session.turn_detection is none")
	}
	if t.When == OnUserSpeech && t.Reply != nil && sc.Session != nil && sc.Session.TurnDetection != nil {
		if cr := sc.Session.TurnDetection.CreateResponse; cr != nil && !*cr {
			d.add(d.at(child(p, "reply")), child(p, "reply"), "set create_response: true, or answer with a when: response.create turn",
				"this reply is never sent: session.turn_detection.create_response is false, so the end of user speech starts no response")
		}
	}
	if t.Reply != nil {
		d.validateReply(sc, t.Reply, child(p, "reply"))
	}
	if t.Interrupt != nil {
		d.validateInterrupt(sc, t, child(p, "interrupt"))
	}
}

func (d *decoder) validateInterrupt(sc *Scenario, t *Turn, p string) {
	if manual(sc) {
		d.add(d.at(p), p, "remove the interrupt, or set session.turn_detection.type to server_vad",
			"an interrupt needs voice activity detection, but session.turn_detection is none: the server would send no speech_started")
	}
	r := t.Reply
	if r == nil {
		d.add(d.at(p), p, "add a reply with a transcript or audio", "an interrupt needs a reply to talk over")
		return
	}
	if !r.HasMessage() {
		if len(r.FunctionCalls) > 0 {
			d.add(d.at(p), p, "give the reply a transcript or audio", "the reply only calls functions: there is no audio to talk over")
		}
		return
	}
	ap := child(p, "after_played")
	if d.failed(ap) || d.failed(strings.TrimSuffix(p, ".interrupt")+".reply") {
		return
	}
	audioLen := r.AudioDuration()
	if t.Interrupt.AfterPlayed > 0 && t.Interrupt.AfterPlayed >= audioLen {
		what := fmt.Sprintf("the reply's %s of audio", formatDuration(audioLen))
		hint := "shorten after_played, or lengthen reply.audio.duration"
		if r.Audio == nil || r.Audio.Duration == 0 {
			what = fmt.Sprintf("the reply's %s of audio (derived from its %d characters at %s each)",
				formatDuration(audioLen), utf8.RuneCountInString(r.Words()), formatDuration(SpeechPerCharacter))
			hint = "shorten after_played, or set reply.audio.duration"
		}
		d.add(d.at(ap), ap, hint, fmt.Sprintf("after_played %s is not shorter than %s: the user would start talking after the audio ended",
			formatDuration(t.Interrupt.AfterPlayed), what))
	}
}

func (d *decoder) validateReply(sc *Scenario, r *Reply, p string) {
	if !r.HasMessage() && len(r.FunctionCalls) == 0 {
		if !d.failed(p) {
			d.add(d.at(p), p, "give it a transcript, text, audio or function_call", "an empty reply")
		}
		return
	}
	if r.HasMessage() && (r.Audio == nil || r.Audio.Duration == 0) {
		if dur := SpeechDuration(r.Words()); dur > MaxAudio {
			key := "transcript"
			if r.Transcript == "" {
				key = "text"
			}
			d.add(d.at(child(p, key)), child(p, key), "set reply.audio.duration, or shorten the words",
				fmt.Sprintf("the words are too long for derived audio: %s is more than %s", formatDuration(dur.Round(time.Second)), formatDuration(MaxAudio)))
		}
	}
	if a := r.Audio; a != nil && a.ToneHz >= 4000 && sc.Session != nil && (sc.Session.OutputAudioFormat == "g711_ulaw" || sc.Session.OutputAudioFormat == "g711_alaw") {
		tp := child(child(p, "audio"), "tone")
		d.add(d.at(tp), tp, "G.711 carries 8000 samples a second; use a tone below 4kHz, such as 440Hz",
			fmt.Sprintf("a %s tone cannot be sent as %s", formatFrequency(a.ToneHz), sc.Session.OutputAudioFormat))
	}
	var tools []string
	if sc.Session != nil {
		for _, t := range sc.Session.Tools {
			tools = append(tools, t.Name)
		}
	}
	callIDs := map[string]int{}
	for i, fc := range r.FunctionCalls {
		fp := child(p, "function_call")
		if !d.hasPos(fp) {
			fp = index(child(p, "function_calls"), i)
		}
		if len(tools) > 0 && fc.Name != "" && !slices.Contains(tools, fc.Name) {
			hint := didYouMean(fc.Name, tools)
			if hint == "" {
				hint = "the session's tools are " + quoteList(tools)
			}
			d.add(d.at(child(fp, "name")), child(fp, "name"), hint, fmt.Sprintf("function %q is not one of the session's tools", fc.Name))
		}
		if fc.CallID != "" {
			if j, dup := callIDs[fc.CallID]; dup {
				d.add(d.at(child(fp, "call_id")), child(fp, "call_id"), "leave call_id out to have one generated",
					fmt.Sprintf("call_id %q is already used by call %d of this reply", fc.CallID, j))
			}
			callIDs[fc.CallID] = i
		}
	}
}

// eventDialects reports in which dialects an event type exists.
func eventDialects(name string, server bool) (preview, ga bool) {
	if server {
		k := serverKind(name)
		return realtime.Preview.Name(k) != "", realtime.GA.Name(k) != ""
	}
	return realtime.IsClientType(realtime.Preview, name), realtime.IsClientType(realtime.GA, name)
}

func (d *decoder) validateExpectation(sc *Scenario, e *Expectation, p string, callsFunctions bool) {
	serves := func(dl realtime.Dialect) bool { return sc.Serves(dl) }
	for _, ev := range []struct {
		key, name string
		server    bool
	}{{"client", e.Client, false}, {"after", e.After, true}, {"until", e.Until, true}, {"before", e.Before, false}} {
		if ev.name == "" || ev.key == "after" && ev.name == AfterInterrupt {
			continue
		}
		pv, ga := eventDialects(ev.name, ev.server)
		var missing realtime.Dialect
		switch {
		case !pv && serves(realtime.Preview):
			missing = realtime.Preview
		case !ga && serves(realtime.GA):
			missing = realtime.GA
		default:
			continue
		}
		kp := child(p, ev.key)
		d.add(d.at(kp), kp, fmt.Sprintf("add dialects: [%s] to the scenario, or name an event both dialects have", missing.Other()),
			fmt.Sprintf("%q does not exist in the %s dialect, which the scenario serves", ev.name, missing))
	}
	if e.Before != "" && e.Before == e.Client {
		bp := child(p, "before")
		d.add(d.at(bp), bp, "name the client event that must come later", "before names the expected event itself")
	}
	if e.After != "" {
		k := serverKind(e.After)
		ap := child(p, "after")
		switch {
		case e.After == AfterInterrupt && !interrupts(sc):
			d.add(d.at(ap), ap, "add an interrupt to a turn, or start the window at a server event",
				"the window never opens: no turn of the scenario has an interrupt")
		case (k == realtime.KindSpeechStarted || k == realtime.KindSpeechStopped) && manual(sc):
			d.add(d.at(ap), ap, "set session.turn_detection.type to server_vad, or start the window at another event",
				fmt.Sprintf("the window never opens: session.turn_detection is none, so the server sends no %s", e.After))
		case (k == realtime.KindFunctionCallArgumentsDelta || k == realtime.KindFunctionCallArgumentsDone) && !callsFunctions:
			d.add(d.at(ap), ap, "add a reply with a function_call",
				fmt.Sprintf("the window never opens: no reply of the scenario calls a function, so the server sends no %s", e.After))
		}
	}
}

// interrupts reports whether any turn of the scenario has the simulated
// user interrupt its reply.
func interrupts(sc *Scenario) bool {
	for _, t := range sc.Turns {
		if t.Interrupt != nil {
			return true
		}
	}
	return false
}

// callsFunctions reports whether any reply of the scenario calls a function.
func callsFunctions(sc *Scenario) bool {
	if sc.DefaultReply != nil && len(sc.DefaultReply.FunctionCalls) > 0 {
		return true
	}
	for _, t := range sc.Turns {
		if t.Reply != nil && len(t.Reply.FunctionCalls) > 0 {
			return true
		}
	}
	return false
}
