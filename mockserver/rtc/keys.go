package rtc

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// ephemeralPrefix starts every ephemeral key, as the service's do; the
// agents SDK refuses a key without it in a browser.
const ephemeralPrefix = "ek_"

// key is one ephemeral key and what it was minted for.
type key struct {
	provider Provider
	dialect  realtime.Dialect
	model    string
	session  json.RawMessage // the effective session the mint returned
	expires  time.Time
	used     bool
}

// keyStore holds the minted keys until they expire.
type keyStore struct {
	mu   sync.Mutex
	keys map[string]*key
}

func (s *keyStore) add(value string, k *key, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]*key{}
	}
	for v, old := range s.keys {
		if !now.Before(old.expires) {
			delete(s.keys, v)
		}
	}
	s.keys[value] = k
}

// take returns the key for value if it is live for the route: minted
// here for its provider and dialect, not expired at now, and (unless
// reusable) not used before, which it then is.
func (s *keyStore) take(value string, rt route, now time.Time, reusable bool) (*key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[value]
	if k == nil || k.provider != rt.provider || k.dialect != rt.dialect || !now.Before(k.expires) || (k.used && !reusable) {
		return nil, false
	}
	k.used = true
	return k, true
}

// release gives back a key whose call could not be made, so the client
// can retry with it.
func (s *keyStore) release(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[value]; k != nil {
		k.used = false
	}
}

// known reports whether value was minted here for provider, live or not.
func (s *keyStore) known(value string, provider Provider) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[value]
	return k != nil && k.provider == provider
}
