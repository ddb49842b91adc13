package mockserver

import (
	"strings"

	"github.com/rtmock/rtmock/scenarios"
)

// semantic_vad ends a turn when a model judges that the user has finished,
// not after a fixed silence. The mock has no such model: it judges from
// the transcript the scenario gives the turn (user.transcript). A turn
// whose transcript ends a sentence (., ?, !), or that has none, is
// complete: the turn ends after a short pause. One that stops mid-sentence
// ("I'd like to book a table for") is not: the service waits for more, up
// to the eagerness's maximum (documented: 8 s low, 4 s medium and auto,
// 2 s high), and so does the mock. The short pauses are the mock's choice;
// docs/protocol.md §5 states both.
var semanticWaits = map[string]struct{ complete, incomplete int }{
	"low":    {complete: 1000, incomplete: 8000},
	"medium": {complete: 500, incomplete: 4000},
	"auto":   {complete: 500, incomplete: 4000},
	"high":   {complete: 200, incomplete: 2000},
}

// semanticSilenceMs is the silence that ends the next user turn under
// semantic_vad.
func (m *sim) semanticSilenceMs() int {
	td := m.conf.TurnDetection
	w, ok := semanticWaits[td.Eagerness]
	if !ok {
		w = semanticWaits["auto"]
	}
	if utteranceComplete(m.peekTurn(scenarios.OnUserSpeech)) {
		return w.complete
	}
	return w.incomplete
}

// tuneSemantic sets the VAD's silence for the turn the user has begun.
func (m *sim) tuneSemantic() {
	if td := m.conf.TurnDetection; m.vad != nil && td != nil && td.Type == "semantic_vad" {
		m.vad.SetSilenceDuration(m.semanticSilenceMs())
	}
}

// utteranceComplete reports whether a user turn's scripted words end a
// sentence; a turn with no transcript counts as complete.
func utteranceComplete(t *scenarios.Turn) bool {
	if t == nil || t.User == nil {
		return true
	}
	s := strings.TrimSpace(t.User.Transcript)
	if s == "" {
		return true
	}
	s = strings.TrimRight(s, `"')»”’`)
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "…")
}
