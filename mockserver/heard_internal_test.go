package mockserver

import (
	"bytes"
	"testing"
)

// TestHeardKeepsOneCommitAndABoundedTotal: the uncommitted audio kept is at
// most one commit's worth (plus the slack of amortised compaction), a take
// returns exactly the bytes of its span, and past the session's bound items
// keep no bytes.
func TestHeardKeepsOneCommitAndABoundedTotal(t *testing.T) {
	var h heard
	var total int64
	chunk := bytes.Repeat([]byte{1, 2, 3, 4}, 1200) // 4800 bytes, 100 ms
	for range 5000 {                                // 500 s, 24 MB
		total += int64(len(chunk))
		h.add(chunk, total)
	}
	if len(h.buf) > maxHeardBuffer*3/2 {
		t.Errorf("uncommitted audio kept: %d bytes, want at most %d", len(h.buf), maxHeardBuffer*3/2)
	}
	got := h.take(total-4800, total)
	if !bytes.Equal(got, chunk) {
		t.Errorf("the last 100 ms: %d bytes, not the chunk", len(got))
	}
	if got := h.take(0, 100); got != nil {
		t.Errorf("audio already dropped: got %d bytes", len(got))
	}
	h.kept = maxHeardKept - 10
	h.add(chunk, total+4800)
	if got := h.take(total, total+4800); got != nil {
		t.Errorf("beyond the session's bound: got %d bytes", len(got))
	}
}
