package recorder

import (
	"sync"

	"github.com/rtmock/rtmock/cassette"
)

// queue hands frames from a session's two relay goroutines to its writer
// goroutine. It is bounded in bytes and never blocks the relay: once max
// bytes are waiting, further frames are dropped and counted in a "dropped"
// frame at their place, so the cassette says where and how much is missing.
// The frame that crosses the bound is still taken, so a single large frame
// (a 15 MiB append) is never refused for the few bytes queued before it.
type queue struct {
	mu      sync.Mutex
	items   []cassette.Frame
	bytes   int // payload bytes queued or being written
	max     int
	closed  bool
	dropped int
	pushed  int
	wake    chan struct{}  // tells the writer there is work
	wg      sync.WaitGroup // the writer goroutine
}

func newQueue(maxBytes int) *queue {
	return &queue{max: maxBytes, wake: make(chan struct{}, 1)}
}

// push queues f, or drops it when the queue is full. The queue owns
// f.Data from here on.
func (q *queue) push(f cassette.Frame) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if q.bytes >= q.max {
		q.dropped++
		if last := len(q.items) - 1; last >= 0 && q.items[last].Kind == cassette.KindDropped && q.items[last].Dir == f.Dir {
			q.items[last].Code++
		} else {
			q.items = append(q.items, cassette.Frame{T: f.T, Dir: f.Dir, Kind: cassette.KindDropped, Code: 1})
		}
	} else {
		q.items = append(q.items, f)
		q.bytes += len(f.Data)
		q.pushed++
	}
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take waits for frames and returns them all, reusing spare's memory;
// false once the queue is closed and empty.
func (q *queue) take(spare []cassette.Frame) ([]cassette.Frame, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			batch := q.items
			q.items = spare[:0]
			q.mu.Unlock()
			return batch, true
		}
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// release gives back n bytes once the writer is done with them.
func (q *queue) release(n int) {
	q.mu.Lock()
	q.bytes -= n
	q.mu.Unlock()
}

// close ends the queue: frames pushed later are ignored, the writer drains
// what is left.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// counts returns how many frames were queued and how many dropped.
func (q *queue) counts() (pushed, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pushed, q.dropped
}
