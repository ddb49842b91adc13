package faults

import (
	"math/rand/v2"
	"sync"
	"time"
)

// bindRTP puts the fault on a WebRTC call's outgoing audio packets: each
// matching packet (with probability p) is lost, or with delay= held back
// by delay ± jitter, so that later packets may overtake it. On other
// transports it does nothing.
func bindRTP(f Fault, env Env) Layer {
	m := env.Media()
	if m == nil {
		return pass{}
	}
	// The call's pacing decides outside the session's lock: its own source,
	// seeded from the session's, so a seed still reproduces the losses.
	rng := rand.New(rand.NewPCG(env.Rand().Uint64(), env.Rand().Uint64()))
	var mu sync.Mutex
	m.SetPacketFault(func(uint16) (bool, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if f.Probability > 0 && f.Probability < 1 && rng.Float64() >= f.Probability {
			return false, 0
		}
		if f.Delay == 0 && f.Jitter == 0 {
			return true, 0
		}
		d := f.Delay
		if f.Jitter > 0 {
			d += time.Duration((rng.Float64()*2 - 1) * float64(f.Jitter))
		}
		return false, max(d, 0)
	})
	env.Note(Server, "rtp "+f.String())
	return pass{}
}

// bindDataChannelClose fails a WebRTC call's data channel at At.
func bindDataChannelClose(f Fault, env Env) Layer {
	m := env.Media()
	if m == nil {
		return pass{}
	}
	env.At(env.Started().Add(f.At), func() {
		env.Note(Server, "datachannel-close")
		m.CloseDataChannel()
	})
	return pass{}
}
