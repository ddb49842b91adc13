package mockserver

import "math/rand/v2"

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// ids makes the service's identifiers ("event_…", "item_…", "resp_…") from the
// session's seeded random source, so a seed reproduces a session exactly.
type ids struct{ rng *rand.Rand }

func (g ids) make(prefix string) string {
	b := make([]byte, len(prefix), len(prefix)+22)
	copy(b, prefix)
	for range 22 {
		b = append(b, idAlphabet[g.rng.IntN(len(idAlphabet))])
	}
	return string(b)
}

// appendEventID appends a fresh "event_…" id to dst without allocating a string.
func (g ids) appendEventID(dst []byte) []byte {
	dst = append(dst, "event_"...)
	for range 22 {
		dst = append(dst, idAlphabet[g.rng.IntN(len(idAlphabet))])
	}
	return dst
}
