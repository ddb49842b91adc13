package loadtest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// idle measures K idle sessions on a null server (the clients' own cost),
// on the product and on the baseline.
func (r *runner) idle(ctx context.Context, sc *script) (*Idle, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	null, err := startNull(sc.connect)
	if err != nil {
		return nil, err
	}
	nullTarget := &target{name: "null server", url: null.url() + "/"}
	k := r.cfg.IdleSessions
	out := &Idle{Sessions: k}
	out.Clients, err = r.idleOn(ctx, nullTarget, k)
	null.dropConns()
	if cerr := null.close(); err == nil && cerr != nil {
		err = fmt.Errorf("close the null server: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	if out.Target, err = r.idleOn(ctx, r.product, k); err != nil {
		return nil, err
	}
	if r.baseline != nil {
		b, err := r.idleOn(ctx, r.baseline, k)
		if err != nil {
			return nil, err
		}
		out.Baseline = &b
	}
	out.ServerRSS = out.Target.RSS - out.Clients.RSS
	out.ServerHeap = out.Target.Heap - out.Clients.Heap
	return out, nil
}

// idleOn opens k sessions on t one after the other (so that no dialling
// goroutine is counted), reads their connect frames, and measures how much
// the process grew per session; then it closes them and waits for t to
// end them.
func (r *runner) idleOn(ctx context.Context, t *target, k int) (IdleSample, error) {
	rss0, heap0, g0 := footprint()
	var rss1 int64
	var heap1 uint64
	var g1 int
	err := r.holdIdle(ctx, t, k, func() { rss1, heap1, g1 = footprint() })
	if err != nil {
		return IdleSample{}, err
	}
	if err := t.settle(ctx, r.cfg.Duration); err != nil {
		return IdleSample{}, err
	}
	n := float64(k)
	return IdleSample{
		RSS:        float64(rss1-rss0) / n,
		Heap:       float64(int64(heap1)-int64(heap0)) / n,
		Goroutines: float64(g1-g0) / n,
	}, nil
}

// footprint collects garbage, returns freed memory to the system, and
// reads the resident set (bytes), the heap in use plus goroutine stacks,
// and the goroutine count.
func footprint() (rss int64, heap uint64, goroutines int) {
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return procStatus("VmRSS"), m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}

// idleSplit measures K idle sessions on each server process of a split
// run: the growth of that process's resident set per session, which is the
// server's alone.
func (r *runner) idleSplit(ctx context.Context) (*Idle, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	k := r.cfg.IdleSessions
	out := &Idle{Sessions: k}
	var err error
	if out.Target, err = r.idleProcess(ctx, r.product, k); err != nil {
		return nil, err
	}
	if r.baseline != nil {
		b, err := r.idleProcess(ctx, r.baseline, k)
		if err != nil {
			return nil, err
		}
		out.Baseline = &b
	}
	out.ServerRSS = out.Target.RSS
	return out, nil
}

// idleProcess opens k sessions on a fresh process of t and measures its
// growth.
func (r *runner) idleProcess(ctx context.Context, t *target, k int) (IdleSample, error) {
	if err := t.restart(ctx); err != nil {
		return IdleSample{}, err
	}
	rss0 := procRSS(t.pid)
	var rss1 int64
	if err := r.holdIdle(ctx, t, k, func() { rss1 = procRSS(t.pid) }); err != nil {
		return IdleSample{}, err
	}
	return IdleSample{RSS: float64(rss1-rss0) / float64(k)}, nil
}

// holdIdle opens k sessions on t one after the other (so that no dialling
// goroutine is counted), reads their connect frames, calls measure while
// all are open, and closes them.
func (r *runner) holdIdle(ctx context.Context, t *target, k int, measure func()) error {
	conns := make([]*client, 0, k)
	var err error
	var tl tally
	for range k {
		var c *client
		if c, err = r.connect(ctx, t, &tl); err != nil {
			break
		}
		c.buf = nil
		conns = append(conns, c)
	}
	if err == nil {
		measure()
	}
	for _, c := range conns {
		c.close()
	}
	if err != nil {
		return fmt.Errorf("idle sessions on %s: %w", t.name, err)
	}
	return nil
}
