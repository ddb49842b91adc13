package conformance

import (
	"sync"
	"time"
)

// gauge measures how late the runner's own timers fire while a suite
// runs. On a machine busy with other work every goroutine of the process
// is late alike, the mock's reading and time-stamping of frames included:
// then recorded times say more about the machine than about the client,
// and the timing rules stand down (see [RunFacts.Jitter]).
type gauge struct {
	mu      sync.Mutex
	samples []gaugeSample
	stop    chan struct{}
	done    chan struct{}
}

type gaugeSample struct {
	at   time.Time
	late time.Duration
}

// gaugeStep is how often the gauge looks at the clock.
const gaugeStep = 50 * time.Millisecond

func startGauge() *gauge {
	g := &gauge{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		t := time.NewTimer(gaugeStep)
		defer t.Stop()
		due := time.Now().Add(gaugeStep)
		for {
			select {
			case <-g.stop:
				return
			case <-t.C:
			}
			now := time.Now()
			g.mu.Lock()
			g.samples = append(g.samples, gaugeSample{now, max(now.Sub(due), 0)})
			g.mu.Unlock()
			due = now.Add(gaugeStep)
			t.Reset(gaugeStep)
		}
	}()
	return g
}

// lateness is the most the timers were late between from and to.
func (g *gauge) lateness(from, to time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var worst time.Duration
	for _, s := range g.samples {
		if !s.at.Before(from) && !s.at.After(to.Add(gaugeStep)) {
			worst = max(worst, s.late)
		}
	}
	return worst
}

// recent is the most the timers were late in the last d.
func (g *gauge) recent(d time.Duration) time.Duration {
	now := time.Now()
	return g.lateness(now.Add(-d), now)
}

func (g *gauge) close() {
	close(g.stop)
	<-g.done
}
