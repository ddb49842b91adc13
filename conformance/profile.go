package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// Profile is what a client showed of itself in a run's sessions: the
// traits a scenario's premise asks for. It is read from what the client
// did, not from flags, so that each scenario judges only the clients it
// applies to.
type Profile struct {
	AudioInput     bool // it streamed audio (input_audio_buffer.append, or a WebRTC microphone)
	TextInput      bool // it created user text items
	ResponseCreate bool // it sent response.create
	Tools          bool // it declared tools (session.update or response.create)
	ServerVAD      bool // turn detection was on when the session ended
}

// ProfileOf reads the profile of a client from its sessions.
func ProfileOf(sessions ...*Session) Profile {
	var p Profile
	for _, s := range sessions {
		v := s.v()
		for _, e := range v.evs {
			if e.dir == cassette.Client {
				p.observe(e)
			}
		}
		for _, f := range s.Frames {
			// A WebRTC client's microphone is RTP, recorded as audio frames.
			if f.Kind == cassette.KindAudio && f.Dir == cassette.Client {
				p.AudioInput = true
				break
			}
		}
		p.ServerVAD = p.ServerVAD || v.cfgAt(len(v.evs)).vad
	}
	return p
}

func (p *Profile) observe(e *event) {
	switch e.typ {
	case realtime.ClientInputAppend:
		p.AudioInput = true
	case realtime.ClientResponseCreate:
		p.ResponseCreate = true
		if tools, _ := getList(e.obj, "response.tools"); len(tools) > 0 {
			p.Tools = true
		}
	case realtime.ClientSessionUpdate:
		if tools, _ := getList(e.obj, "session.tools"); len(tools) > 0 {
			p.Tools = true
		}
	case realtime.ClientItemCreate:
		if str(e.obj, "item.type") == "message" && str(e.obj, "item.role") == "user" {
			parts, _ := getList(e.obj, "item.content")
			for _, part := range parts {
				if t := str(asMap(part), "type"); t == "input_text" || t == "text" {
					p.TextInput = true
				}
			}
		}
	}
}

// Has reports whether the profile has a premise trait.
func (p Profile) Has(trait string) bool {
	switch trait {
	case scenarios.PremiseAudioInput:
		return p.AudioInput
	case scenarios.PremiseTextInput:
		return p.TextInput
	case scenarios.PremiseResponseCreate:
		return p.ResponseCreate
	case scenarios.PremiseTools:
		return p.Tools
	case scenarios.PremiseServerVAD:
		return p.ServerVAD
	case scenarios.PremiseManualTurns:
		return !p.ServerVAD
	}
	return false
}

// String lists the profile's traits.
func (p Profile) String() string {
	var ts []string
	for _, t := range []string{scenarios.PremiseAudioInput, scenarios.PremiseTextInput, scenarios.PremiseResponseCreate, scenarios.PremiseTools} {
		if p.Has(t) {
			ts = append(ts, t)
		}
	}
	if p.ServerVAD {
		ts = append(ts, scenarios.PremiseServerVAD)
	} else {
		ts = append(ts, scenarios.PremiseManualTurns)
	}
	return strings.Join(ts, ", ")
}

// premiseWords say, for a report, what a client lacking a trait did not do.
var premiseWords = map[string]string{
	scenarios.PremiseAudioInput:     "sent no audio",
	scenarios.PremiseTextInput:      "created no text item",
	scenarios.PremiseResponseCreate: "never sent response.create",
	scenarios.PremiseTools:          "declared no tools",
	scenarios.PremiseServerVAD:      "turned turn detection off",
	scenarios.PremiseManualTurns:    "kept turn detection on",
}

// Unmet says why a scenario's premise does not hold for the profile, or ""
// when it holds.
func (p Profile) Unmet(sc *scenarios.Scenario) string {
	if sc == nil {
		return ""
	}
	var why []string
	for _, t := range sc.Premise {
		if !p.Has(t) {
			why = append(why, premiseWords[t])
		}
	}
	if len(why) == 0 {
		return ""
	}
	slices.Sort(why)
	return fmt.Sprintf("the scenario needs a client that is %s; this client %s", strings.Join(sc.Premise, " and "), strings.Join(why, " and "))
}
