package recorder

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rtmock/rtmock/cassette"
)

func TestQueueDropsWithCountWhenFull(t *testing.T) {
	t.Parallel()
	q := newQueue(100)
	frame := func(ms int, dir cassette.Direction, n int) cassette.Frame {
		return cassette.Frame{T: time.Duration(ms) * time.Millisecond, Dir: dir, Kind: cassette.KindText, Data: make([]byte, n)}
	}
	q.push(frame(1, cassette.Client, 500)) // the frame that crosses the bound is taken
	q.push(frame(2, cassette.Client, 10))  // full: dropped
	q.push(frame(3, cassette.Client, 10))  // counted in the same marker
	q.push(frame(4, cassette.Server, 10))  // another direction, another marker
	q.push(frame(5, cassette.Server, 10))

	batch, ok := q.take(nil)
	if !ok {
		t.Fatal("take found nothing")
	}
	var got []string
	for _, f := range batch {
		got = append(got, f.Kind.String()+" "+string(f.Dir)+" "+f.T.String())
	}
	want := []string{"text client 1ms", "dropped client 2ms", "dropped server 4ms"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
	if batch[1].Code != 2 || batch[2].Code != 2 {
		t.Errorf("drop counts %d and %d, want 2 and 2", batch[1].Code, batch[2].Code)
	}
	q.release(500)
	q.push(frame(6, cassette.Server, 10)) // room again
	q.close()
	q.push(frame(7, cassette.Server, 10)) // after close: ignored
	batch, ok = q.take(nil)
	if !ok || len(batch) != 1 || batch[0].T != 6*time.Millisecond {
		t.Errorf("after release: %v, %v; want the 6ms frame", batch, ok)
	}
	if _, ok := q.take(nil); ok {
		t.Error("take on a closed, empty queue returned frames")
	}
	if pushed, dropped := q.counts(); pushed != 2 || dropped != 4 {
		t.Errorf("counts = %d pushed, %d dropped; want 2 and 4", pushed, dropped)
	}
}
