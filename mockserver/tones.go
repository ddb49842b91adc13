package mockserver

import (
	"sync"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
)

type toneKey struct {
	f       audio.Format
	hz, amp float64
}

// tones caches synthesized tones: a tone is immutable and safe for
// concurrent use, so every session playing the same reply shares one.
var tones sync.Map // toneKey → *audio.Tone

func cachedTone(f audio.Format, hz, amp float64) *audio.Tone {
	k := toneKey{f, hz, amp}
	if t, ok := tones.Load(k); ok {
		return t.(*audio.Tone)
	}
	t, err := audio.NewTone(f, hz, amp)
	if err != nil {
		t = audio.NewSilence(f)
	}
	actual, _ := tones.LoadOrStore(k, t)
	return actual.(*audio.Tone)
}

// closeCode maps a scenario's close code, defaulting to 1011 (internal error).
func closeCode(c int) websocket.StatusCode {
	if c == 0 {
		return websocket.StatusInternalError
	}
	return websocket.StatusCode(c)
}
