package conformance

import (
	"slices"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/scenarios"
)

// suiteCase is how the runner plays one scenario: the pace of the mock,
// what the user says, and when the call is over.
type suiteCase struct {
	sc     *scenarios.Scenario
	pace   scenarios.Pace // zero: the scenario's own
	speech bool           // the user speaks (RTMOCK_INPUT_WAV) rather than types
	format audio.Format   // the format to send the speech in
	policy hangUpPolicy
}

// How long a call must be quiet before the runner hangs up.
const (
	quietAfterResponse = 700 * time.Millisecond
	quietWithout       = 3 * time.Second
	liveAudioSpeed     = 3               // the mock's live pace streams audio this much faster than it plays
	maxStream          = 3 * time.Second // the longest a reply may take to stream
)

// newCase derives a scenario's case from its turns:
//
//   - The user speaks when a turn waits for user speech or a commit, unless
//     the scenario simulates the user itself (a turn with an interrupt);
//     otherwise the user types, and the client asks for responses.
//   - Replies whose audio would take more than 3 s to stream at the live
//     pace (long-monologue) are streamed faster, in 3 s: nothing in them
//     needs the wait, and spreading the megabytes keeps the other runs'
//     timing honest.
//   - A reply that streams more than 10 s of audio at playback speed
//     without an interruption (active-response-race) ends the call 4 s
//     after connect: the response is still in progress then, which is what
//     such a scenario is about.
//   - Otherwise the call is over when it has been quiet for 700 ms after a
//     response (3 s before any), no response or user turn is in progress,
//     no scripted interruption is still to come, and an expiring session
//     has expired; after the server ends a session the client has Grace
//     to reconnect.
func newCase(sc *scenarios.Scenario, lim Limits) suiteCase {
	c := suiteCase{sc: sc, policy: hangUpPolicy{
		quiet: quietAfterResponse, quietLong: quietWithout, grace: lim.Grace,
		expires: sc.ExpiresAfter > 0, expireAfter: sc.ExpiresAfter,
	}}
	if s := sc.Session; s != nil && s.InputAudioFormat != "" {
		if f, err := audio.ParseFormatLenient(s.InputAudioFormat); err == nil {
			c.format = f
		}
	}
	speechTurns := false
	for _, t := range sc.Turns {
		if t.Interrupt != nil {
			c.policy.interrupts++
		}
		if t.When == scenarios.OnUserSpeech || t.When == scenarios.OnCommit {
			speechTurns = true
		}
		r := t.Reply
		if r == nil {
			continue
		}
		d := r.AudioDuration()
		switch r.Pace.Mode {
		case scenarios.PaceDefault:
			if sc.Pace.Mode == scenarios.PaceDefault && d/liveAudioSpeed > maxStream {
				factor := float64(d/liveAudioSpeed) / float64(maxStream)
				if factor > c.pace.Factor {
					c.pace = scenarios.Pace{Mode: scenarios.PaceLive, Factor: factor}
				}
			}
		case scenarios.PaceRealtime:
			if d > 10*time.Second && t.Interrupt == nil {
				c.policy.cap = 4 * time.Second
			}
		}
	}
	// A client speaks when the scenario's turns are spoken, or when its
	// premise is a client that streams audio (a voice agent interrupted by
	// the simulated user); otherwise it types.
	c.speech = speechTurns && c.policy.interrupts == 0 || slices.Contains(sc.Premise, scenarios.PremiseAudioInput)
	return c
}
