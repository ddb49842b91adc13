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

// framePool lends the buffers sessions build outgoing frames in. A frame
// lives from its first byte to the end of its write, so a handler needs a
// few buffers in all rather than one per session (an audio delta's buffer
// is 16 KiB).
type framePool struct{ p sync.Pool }

func (f *framePool) get() []byte {
	if b, ok := f.p.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 1024)
}

func (f *framePool) put(b []byte) {
	if cap(b) > 1<<20 {
		return // an error echoing a huge value: let it go
	}
	f.p.Put(&b)
}
