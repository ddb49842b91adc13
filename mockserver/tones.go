package mockserver

import (
	"sync"

	"github.com/rtmock/rtmock/audio"
)

type toneKey struct {
	f       audio.Format
	hz, amp float64
}

// toneCache holds synthesized tones: a tone is immutable and safe for
// concurrent use, so every session of a Handler playing the same reply
// shares one.
type toneCache struct{ m sync.Map } // toneKey → *audio.Tone

func (c *toneCache) get(f audio.Format, hz, amp float64) *audio.Tone {
	k := toneKey{f, hz, amp}
	if t, ok := c.m.Load(k); ok {
		return t.(*audio.Tone)
	}
	t, err := audio.NewTone(f, hz, amp)
	if err != nil {
		t = audio.NewSilence(f)
	}
	actual, _ := c.m.LoadOrStore(k, t)
	return actual.(*audio.Tone)
}
