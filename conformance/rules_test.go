package conformance_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
)

// at is a frame of a hand-made session: ms since the upgrade, who sent it
// and the event.
type at struct {
	ms  float64
	dir cassette.Direction
	ev  string
}

func srv(ms float64, ev string) at { return at{ms, cassette.Server, ev} }
func cli(ms float64, ev string) at { return at{ms, cassette.Client, ev} }

// interruptAt is the mock's note that the simulated user talks over the
// reply, as it precedes the speech_started it sends.
func interruptAt(ms float64) at { return at{ms: ms, ev: mockserver.InterruptNote} }

// record makes a session of dialect d closed by the client with 1000 at
// the end, unless the frames say otherwise.
func record(d realtime.Dialect, frames ...at) *conformance.Session {
	s := &conformance.Session{Dialect: d}
	var last time.Duration
	for _, f := range frames {
		t := time.Duration(f.ms * float64(time.Millisecond))
		var typ string
		if i := strings.Index(f.ev, `"type":"`); i >= 0 {
			typ = f.ev[i+8:]
			typ = typ[:strings.IndexByte(typ, '"')]
		}
		if f.dir == "" {
			s.Frames = append(s.Frames, cassette.Frame{T: t, Dir: cassette.Server, Kind: cassette.KindFault, Reason: f.ev})
			continue
		}
		s.Frames = append(s.Frames, cassette.Frame{T: t, Dir: f.dir, Kind: cassette.KindText, Type: typ, Data: []byte(f.ev)})
		last = t
	}
	s.Close = conformance.Close{By: cassette.Client, Code: 1000, At: last + time.Second}
	return s
}

// audioB64 is n bytes of silence in base64.
func audioB64(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

const (
	created    = `{"type":"session.created","event_id":"e0","session":{"id":"sess_1","voice":"alloy","input_audio_format":"pcm16","output_audio_format":"pcm16","turn_detection":{"type":"server_vad"}}}`
	createdGA  = `{"type":"session.created","event_id":"e0","session":{"id":"sess_1","type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"turn_detection":{"type":"server_vad"}},"output":{"format":{"type":"audio/pcm","rate":24000},"voice":"alloy"}}}}`
	respCreate = `{"type":"response.create","event_id":"c1"}`
	respMade   = `{"type":"response.created","event_id":"e1","response":{"id":"resp_1","status":"in_progress","conversation_id":"conv_1"}}`
	respDone   = `{"type":"response.done","event_id":"e2","response":{"id":"resp_1","status":"completed","output":[]}}`
	speech     = `{"type":"input_audio_buffer.speech_started","event_id":"e3","audio_start_ms":0,"item_id":"item_u"}`
)

// delta is an audio delta of item_1 carrying ms of pcm16.
func delta(ms int) string {
	return fmt.Sprintf(`{"type":"response.audio.delta","event_id":"d","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":%q}`, audioB64(48*ms))
}

func truncate(end string) string {
	return `{"type":"conversation.item.truncate","event_id":"c2","item_id":"item_1","content_index":0,"audio_end_ms":` + end + `}`
}

func appendMs(ms int) string {
	return fmt.Sprintf(`{"type":"input_audio_buffer.append","audio":%q}`, audioB64(48*ms))
}

// interrupted is a preview session in which the user talks 300 ms into a
// 2 s reply that is still streaming, followed by the client's frames.
func interrupted(client ...at) *conformance.Session {
	fs := []at{srv(0, created), cli(10, respCreate), srv(200, respMade), srv(300, delta(2000)), interruptAt(600), srv(600, speech)}
	return record(realtime.Preview, append(fs, client...)...)
}

func TestRulesJudgeHandMadeSessions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		session *conformance.Session
		rule    string
		want    conformance.Status
		problem string // a part of the first finding's problem
	}{
		{"a truncate at the ms played right after speech_started passes", interrupted(cli(650, truncate("350"))), conformance.RuleBargeInTruncate, conformance.Pass, ""},
		{"no truncate after speech_started during playback fails", interrupted(), conformance.RuleBargeInTruncate, conformance.Fail, "sent no conversation.item.truncate"},
		{"two truncates of the interrupted item fail", interrupted(cli(650, truncate("350")), cli(700, truncate("350"))), conformance.RuleBargeInTruncate, conformance.Fail, "2 times"},
		{"speech_started after the reply finished playing is no barge-in", record(realtime.Preview, srv(0, created), srv(300, delta(100)), srv(400, respDone), srv(900, speech)), conformance.RuleBargeInTruncate, conformance.NA, "no input_audio_buffer.speech_started"},
		{"a truncate at the audio received rather than played fails", interrupted(cli(650, truncate("2000"))), conformance.RuleTruncatePlayed, conformance.Fail, "could have been played"},
		{"a truncate beyond the audio received fails", interrupted(cli(650, truncate("2500"))), conformance.RuleTruncatePlayed, conformance.Fail, "already shorter"},
		{"a truncate within the tolerance passes", interrupted(cli(650, truncate("480"))), conformance.RuleTruncatePlayed, conformance.Pass, ""},
		{"a fractional audio_end_ms fails", interrupted(cli(650, truncate("350.5"))), conformance.RuleTruncateValue, conformance.Fail, "not an integer"},
		{"audio_end_ms 0 fails", interrupted(cli(650, truncate("0"))), conformance.RuleTruncateValue, conformance.Fail, "not above 0"},
		{"a truncate before the first audio delta fails", record(realtime.Preview, srv(0, created),
			srv(200, `{"type":"response.output_item.added","event_id":"e","response_id":"resp_1","output_index":0,"item":{"id":"item_1","type":"message","role":"assistant"}}`),
			srv(250, speech), cli(300, truncate("100"))), conformance.RuleTruncateValue, conformance.Fail, "before its first audio delta"},
		{"a truncate with no interruption is spurious", record(realtime.Preview, srv(0, created), srv(300, delta(2000)), cli(800, truncate("400"))), conformance.RuleTruncateSpurious, conformance.Fail, "without an interruption"},
		{"a truncate 800 ms after speech_started is slow", interrupted(cli(1400, truncate("300"))), conformance.RuleBargeInReaction, conformance.Fail, "800 ms after"},
		{"response.create while a response streams fails", record(realtime.Preview, srv(0, created), cli(10, respCreate), srv(200, respMade), cli(250, respCreate), srv(400, respDone)), conformance.RuleActiveResponse, conformance.Fail, "while resp_1 was in progress"},
		{"two response.create at once without event ids: the refusal that follows the first's response.created fails", record(realtime.Preview, srv(0, created), cli(10, `{"type":"response.create"}`), cli(11, `{"type":"response.create"}`), srv(290, respMade),
			srv(291, `{"type":"error","event_id":"e9","error":{"type":"invalid_request_error","code":"conversation_already_has_active_response","message":"Conversation already has an active response","param":null,"event_id":null}}`), srv(400, respDone)),
			conformance.RuleActiveResponse, conformance.Fail, "already starting a response"},
		{"an out-of-band response.create may overlap", record(realtime.Preview, srv(0, created), cli(10, respCreate), srv(200, respMade), cli(250, `{"type":"response.create","response":{"conversation":"none"}}`), srv(400, respDone)), conformance.RuleActiveResponse, conformance.Pass, ""},
		{"response.create refused as a race fails even before response.created", record(realtime.Preview, srv(0, created), cli(10, `{"type":"response.create","event_id":"c9"}`),
			srv(11, `{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"conversation_already_has_active_response","message":"…","event_id":"c9"}}`)), conformance.RuleActiveResponse, conformance.Fail, "already starting a response"},
		{"closing right after response_cancel_not_active fails", func() *conformance.Session {
			s := record(realtime.Preview, srv(0, created), cli(10, `{"type":"response.cancel"}`), srv(11, `{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"response_cancel_not_active","message":"…"}}`))
			s.Close.At = 50 * time.Millisecond
			return s
		}(), conformance.RuleCancelHandling, conformance.Fail, "closed the session"},
		{"closing right after an error fails", func() *conformance.Session {
			s := record(realtime.Preview, srv(0, created), cli(10, respCreate), srv(11, `{"type":"error","event_id":"e","error":{"type":"server_error","message":"…","event_id":"c1"}}`))
			s.Close.At = 20 * time.Millisecond
			return s
		}(), conformance.RuleErrorRecovery, conformance.Fail, "closed the session"},
		{"a refused response.create that is never sent again fails", record(realtime.Preview, srv(0, created), cli(10, respCreate), srv(11, `{"type":"error","event_id":"e","error":{"type":"server_error","message":"…","event_id":"c1"}}`), srv(3000, `{"type":"rate_limits.updated","event_id":"x","rate_limits":[]}`)), conformance.RuleErrorRecovery, conformance.Fail, "never asked again"},
		{"response.create before the function output fails", record(realtime.Preview, srv(0, created), srv(100, respMade),
			srv(200, `{"type":"response.function_call_arguments.done","event_id":"f","response_id":"resp_1","item_id":"item_f","output_index":0,"call_id":"call_1","name":"get_weather","arguments":"{}"}`),
			srv(210, respDone), cli(220, respCreate), cli(230, `{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_1","output":"{}"}}`)), conformance.RuleFunctionCall, conformance.Fail, "before the function_call_output"},
		{"an odd number of pcm16 bytes fails", record(realtime.Preview, srv(0, created), cli(10, fmt.Sprintf(`{"type":"input_audio_buffer.append","audio":%q}`, audioB64(4801)))), conformance.RuleAudioFormat, conformance.Fail, "odd number of bytes"},
		{"audio that is not base64 fails", record(realtime.Preview, srv(0, created), cli(10, `{"type":"input_audio_buffer.append","audio":"not base64!"}`)), conformance.RuleAudioFormat, conformance.Fail, "not valid base64"},
		{"two seconds of audio sent at once are ahead of real time", record(realtime.Preview, srv(0, created), cli(10, appendMs(1000)), cli(12, appendMs(1000))), conformance.RuleAudioPacing, conformance.Fail, "ahead of real time"},
		{"audio in real time keeps pace", record(realtime.Preview, srv(0, created), cli(0, appendMs(500)), cli(500, appendMs(500)), cli(1000, appendMs(500))), conformance.RuleAudioPacing, conformance.Pass, ""},
		{"a commit of 50 ms fails", record(realtime.Preview, srv(0, created), cli(10, appendMs(50)), cli(60, `{"type":"input_audio_buffer.commit"}`)), conformance.RuleCommit, conformance.Fail, "50 ms of audio buffered"},
		{"audio before session.updated fails", record(realtime.Preview, srv(0, created), cli(5, `{"type":"session.update","session":{"voice":"alloy"}}`), cli(10, appendMs(100)), srv(260, `{"type":"session.updated","event_id":"u","session":{}}`)), conformance.RuleConfigFirst, conformance.Fail, "before the session.update"},
		{"audio after a refused session.update fails", record(realtime.Preview, srv(0, created), cli(5, `{"type":"session.update","event_id":"c5","session":{"voice":"robot"}}`),
			srv(6, `{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"invalid_value","message":"Invalid value: 'robot'.","event_id":"c5"}}`), cli(10, appendMs(100))), conformance.RuleConfigRejected, conformance.Fail, "was rejected"},
		{"a voice change after assistant audio fails", record(realtime.Preview, srv(0, created), srv(300, delta(100)), cli(500, `{"type":"session.update","session":{"voice":"verse"}}`)), conformance.RuleVoiceChange, conformance.Fail, "from alloy to verse"},
		{"a preview field in a GA session.update fails", record(realtime.GA, srv(0, createdGA), cli(5, `{"type":"session.update","session":{"type":"realtime","input_audio_format":"pcm16"}}`)), conformance.RuleDialect, conformance.Fail, "session.input_audio_format"},
		{"a GA session.update without session.type fails", record(realtime.GA, srv(0, createdGA), cli(5, `{"type":"session.update","session":{"instructions":"hi"}}`)), conformance.RuleDialect, conformance.Fail, "no session.type"},
		{"a GA field in a preview session.update fails", record(realtime.Preview, srv(0, created), cli(5, `{"type":"session.update","session":{"type":"realtime"}}`)), conformance.RuleDialect, conformance.Fail, "session.type"},
		{"a ping event fails", record(realtime.GA, srv(0, createdGA), cli(5, `{"type":"ping"}`)), conformance.RuleEventTypes, conformance.Fail, `"ping"`},
		{"an unknown member fails", record(realtime.GA, srv(0, createdGA), cli(5, `{"type":"response.create","foo":1}`)), conformance.RuleEventTypes, conformance.Fail, "unknown member foo"},
		{"a dropped connection fails", func() *conformance.Session {
			s := record(realtime.GA, srv(0, createdGA))
			s.Close.Code = 1006
			return s
		}(), conformance.RuleCloseNormal, conformance.Fail, "without a close frame"},
		{"a recorded server close leaves session end n/a", func() *conformance.Session {
			s := record(realtime.GA, srv(0, createdGA))
			s.Close.By = cassette.Server
			return s
		}(), conformance.RuleSessionEnd, conformance.NA, "recorded session"},
		{"a client that hangs on after the server's close fails", func() *conformance.Session {
			s := record(realtime.GA, srv(0, createdGA), srv(5000, `{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"session_expired","message":"…"}}`))
			s.Close = conformance.Close{By: cassette.Server, Code: 1000, Reason: "session_expired", At: 5000 * time.Millisecond}
			s.Run = &conformance.RunFacts{HungUp: true, HungUpAt: 8 * time.Second}
			return s
		}(), conformance.RuleSessionEnd, conformance.Fail, "neither reconnected nor ended"},
		{"a client that reconnects after the server's close passes", func() *conformance.Session {
			s := record(realtime.GA, srv(0, createdGA))
			s.Close = conformance.Close{By: cassette.Server, Code: 1011, At: time.Second}
			s.Run = &conformance.RunFacts{Next: true, NextAt: 1100 * time.Millisecond}
			return s
		}(), conformance.RuleSessionEnd, conformance.Pass, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := conformance.RuleByID(tt.rule)
			v := conformance.Check([]*conformance.Rule{r}, tt.session)[0]
			if v.Status != tt.want {
				t.Fatalf("%s = %s (%s), want %s; findings: %+v", tt.rule, v.Status, v.Why, tt.want, v.Findings)
			}
			if tt.problem == "" {
				return
			}
			text := v.Why
			if len(v.Findings) > 0 {
				text = v.Findings[0].Problem
			}
			if !strings.Contains(text, tt.problem) {
				t.Errorf("%s says %q, want it to mention %q", tt.rule, text, tt.problem)
			}
		})
	}
}

func TestEveryRuleIsDocumented(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range conformance.Rules() {
		switch {
		case seen[r.ID]:
			t.Errorf("%s is in the catalogue twice", r.ID)
		case r.Reason == "" || r.Source == "" || r.Check == nil || len(r.Scenarios) == 0:
			t.Errorf("%s lacks a reason, source, check or scenarios", r.ID)
		case !strings.Contains(r.Reason, "§"):
			t.Errorf("%s: the reason cites no section of the reference", r.ID)
		}
		seen[r.ID] = true
	}
	if len(seen) < 15 {
		t.Errorf("%d rules, want at least 15", len(seen))
	}
}
