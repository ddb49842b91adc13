package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/rtmock/rtmock/scenarios"
)

// capture runs one real session against the target and turns what it sent
// into the baseline's script. It is also the check that the target works
// before anything is measured.
func (r *runner) capture(ctx context.Context) (*script, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	conn, err := r.dial(ctx, r.product)
	if err != nil {
		return nil, err
	}
	c := newClient(ctx, conn, &tally{})
	defer c.close()
	c.keep = true
	var sc *script
	if r.replay != nil {
		sc, err = r.captureReplay(ctx, c)
	} else {
		sc, err = r.captureTurns(ctx, c)
	}
	if err != nil {
		return nil, fmt.Errorf("capture a session of %s: %w", r.product.name, err)
	}
	return sc, nil
}

// captureTurns captures a simulated session: session.created, then the
// turn the baseline repeats with its tail, the frames that follow its
// response.done and so arrive at the start of the next turn, before that
// turn's response.created. The turn is the first when every turn is alike
// (the default reply, a repeating turn), else the second: the first often
// differs (a scenario's opening error, a greeting on connect).
func (r *runner) captureTurns(ctx context.Context, c *client) (*script, error) {
	k, _, err := c.read()
	if err != nil {
		return nil, err
	}
	if k != kindSessionCreated {
		return nil, fmt.Errorf("the first event is not session.created: %.80q", c.kept[0].data)
	}
	sc := &script{connect: block{{typ: c.kept[0].typ, data: c.kept[0].data}}}
	rep := 1
	if !turnsAlike(r.cfg.Scenario) {
		rep = 2
	}
	var frames []capturedFrame
	var start time.Time
	for i := 1; i <= rep; i++ {
		c.kept = nil
		start = time.Now()
		if err := c.turn(); err != nil {
			return nil, fmt.Errorf("turn %d: %w", i, err)
		}
		frames = c.kept
	}
	c.kept = nil
	if err := c.turnHead(); err != nil {
		return nil, fmt.Errorf("turn %d: %w", rep+1, err)
	}
	frames = append(withoutTail(frames), c.kept[:len(c.kept)-len(withoutTail(c.kept))]...)
	sc.repeat = r.paceTurn(frames, start, c.bytesPerMs)
	return sc, nil
}

// turnsAlike reports whether every response.create of a session is
// answered alike: no scenario, or one whose first turn for response.create
// repeats and which says nothing on connect.
func turnsAlike(sc *scenarios.Scenario) bool {
	if sc == nil {
		return true
	}
	for _, t := range sc.Turns {
		switch t.When {
		case scenarios.OnConnect:
			return false
		case scenarios.OnResponseCreate:
			return t.Repeat
		}
	}
	return true
}

// withoutTail drops the frames at the start of a turn that belong to the
// previous one (everything before the turn's response.created or refusing
// error).
func withoutTail(turn []capturedFrame) []capturedFrame {
	for i, f := range turn {
		if k, _ := classify(f.data); k == kindResponseCreated || k == kindError {
			return turn[i:]
		}
	}
	return turn
}

// paceTurn gives a captured turn's frames the times at which the baseline
// sends them: none in instant pace; otherwise the times observed until the
// first audio delta, and from there the audio's duration over the speed,
// which is the schedule the mock follows.
func (r *runner) paceTurn(frames []capturedFrame, start time.Time, bytesPerMs int) block {
	blk := make(block, len(frames))
	var anchor time.Duration
	anchored := false
	var audioBytes int64
	for i, f := range frames {
		blk[i] = timedFrame{typ: f.typ, data: f.data}
		if r.cfg.speed <= 0 {
			continue
		}
		k, _ := classify(f.data)
		switch {
		case k == kindAudioDelta && !anchored:
			anchored, anchor = true, f.at.Sub(start)
			fallthrough
		case anchored:
			blk[i].at = anchor + time.Duration(float64(audioBytes)*float64(time.Millisecond)/float64(bytesPerMs)/r.cfg.speed)
		default:
			blk[i].at = f.at.Sub(start)
		}
		if k == kindAudioDelta {
			audioBytes += int64(deltaBytes(f.data))
		}
	}
	return blk
}

// captureReplay captures a cassette session and cuts its frames into the
// blocks that answer each recorded client frame, timed as recorded.
func (r *runner) captureReplay(ctx context.Context, c *client) (*script, error) {
	s := r.replay
	if err := c.readUntil(s.connectFrames()); err != nil {
		return nil, err
	}
	if err := c.replay(s); err != nil {
		return nil, err
	}
	if len(c.kept) != s.total {
		return nil, fmt.Errorf("the server sent %d frames, the recording has %d", len(c.kept), s.total)
	}
	factor := r.cfg.Pace.Factor
	cut := func(from, to int, anchor time.Duration) block {
		blk := make(block, 0, to-from)
		for j := from; j < to; j++ {
			f := timedFrame{typ: c.kept[j].typ, data: c.kept[j].data}
			if r.paced() {
				f.at = max(time.Duration(float64(s.serverT[j]-anchor)/factor), 0)
			}
			blk = append(blk, f)
		}
		return blk
	}
	sc := &script{connect: cut(0, s.connectFrames(), 0), replies: make([]block, len(s.steps))}
	for i, st := range s.steps {
		to := s.total
		if i+1 < len(s.steps) {
			to = s.steps[i+1].after
		}
		sc.replies[i] = cut(st.after, to, st.t)
	}
	return sc, nil
}
