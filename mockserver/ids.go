package mockserver

import "math/rand/v2"

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// ids makes the service's identifiers ("event_…", "item_…", "resp_…") from the
// session's seeded random source, so a seed reproduces a session exactly.
type ids struct{ rng *rand.Rand }

// idLen and callIDLen are the lengths after the prefix of the service's
// ids: 21 for event_, sess_, resp_ and item_ ids, 16 for call_ ids (every
// recorded GA and preview frame in docs/live-service.md, "Id formats").
const (
	idLen     = 21
	callIDLen = 16
)

func (g ids) make(prefix string) string {
	n := idLen
	if prefix == "call_" {
		n = callIDLen
	}
	b := make([]byte, len(prefix), len(prefix)+n)
	copy(b, prefix)
	for range n {
		b = append(b, idAlphabet[g.rng.IntN(len(idAlphabet))])
	}
	return string(b)
}

// appendEventID appends a fresh "event_…" id to dst without allocating a string.
func (g ids) appendEventID(dst []byte) []byte {
	dst = append(dst, "event_"...)
	for range idLen {
		dst = append(dst, idAlphabet[g.rng.IntN(len(idAlphabet))])
	}
	return dst
}

// obfuscation is the padding the GA service puts on every text, transcript
// and transcription delta (docs/live-service.md, "GA fields every capture
// has"): a random string of varying length, so that a delta's size does
// not tell its text.
func (g ids) obfuscation() string {
	n := 4 + g.rng.IntN(12)
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}
