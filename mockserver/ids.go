package mockserver

import (
	"math/rand/v2"
	"time"

	"github.com/rtmock/rtmock/clock"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// timeAlphabet is base 62 in ASCII order, so later ids sort after earlier
// ones.
const timeAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idEpoch and timeLen: the service's ids begin with a time-ordered part
// that fits the seconds since 2020-01-01 in base 62, five characters
// (docs/live-service.md, "Id formats": sessions of January 2025 begin
// "A…", of December 2025 "C…"; the first three characters change about
// hourly, so a session's ids share them).
var idEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const timeLen = 5

// ids makes the service's identifiers ("event_…", "item_…", "resp_…"):
// a time-ordered prefix from the session's clock, then characters from the
// session's seeded random source, so a seed and a clock reproduce a session
// exactly.
type ids struct {
	rng   *rand.Rand
	clock clock.Clock
	sec   int64 // the second prefix was made for
	pre   [timeLen]byte
}

// idLen and callIDLen are the lengths after the prefix of the service's
// ids: 21 for event_, sess_, resp_ and item_ ids, 16 for call_ ids (every
// recorded GA and preview frame in docs/live-service.md, "Id formats").
const (
	idLen     = 21
	callIDLen = 16
)

// make returns a new id with prefix. call_ ids are random throughout, as
// recorded.
func (g *ids) make(prefix string) string {
	b := make([]byte, len(prefix), len(prefix)+idLen)
	copy(b, prefix)
	if prefix == "call_" {
		return string(g.appendRandom(b, callIDLen))
	}
	return string(g.appendID(b))
}

// appendEventID appends a fresh "event_…" id to dst without allocating a string.
func (g *ids) appendEventID(dst []byte) []byte {
	return g.appendID(append(dst, "event_"...))
}

// appendID appends the 21 characters after an id's prefix.
func (g *ids) appendID(dst []byte) []byte {
	dst = append(dst, g.timePrefix()...)
	return g.appendRandom(dst, idLen-timeLen)
}

func (g *ids) appendRandom(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, idAlphabet[g.rng.IntN(len(idAlphabet))])
	}
	return dst
}

// timePrefix is the base-62 seconds since idEpoch on the session's clock,
// made once per second.
func (g *ids) timePrefix() []byte {
	now := idEpoch
	if g.clock != nil {
		now = g.clock.Now()
	}
	sec := int64(now.Sub(idEpoch) / time.Second)
	if sec != g.sec || g.pre[0] == 0 {
		g.sec = sec
		v := max(sec, 0)
		for i := timeLen - 1; i >= 0; i-- {
			g.pre[i] = timeAlphabet[v%62]
			v /= 62
		}
	}
	return g.pre[:]
}

// obfuscation is the padding the GA service puts on every text, transcript
// and transcription delta (docs/live-service.md, "GA fields every capture
// has"): a random string of varying length, so that a delta's size does
// not tell its text.
func (g *ids) obfuscation() string {
	n := 4 + g.rng.IntN(12)
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}
