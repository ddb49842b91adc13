package mockserver

import "encoding/base64"

// Bounds of the input audio a session keeps for conversation.item.retrieved.
const (
	// maxHeardBuffer is the uncommitted audio kept: as much as one commit
	// can hold.
	maxHeardBuffer = maxAppendBytes
	// maxHeardKept is the audio all of a session's items keep together;
	// items committed beyond it are retrieved without their bytes.
	maxHeardKept = 64 << 20
)

// heard keeps the client's uncommitted input audio, so that a committed
// item holds its audio, as the service's items do. buf holds the timeline
// bytes [start, start+len(buf)).
type heard struct {
	buf   []byte
	start int64
	kept  int
}

// add appends audio that ends at timeline byte end, dropping what is older
// than one commit's worth.
func (h *heard) add(pcm []byte, end int64) {
	if h.kept >= maxHeardKept {
		h.buf, h.start = nil, end
		return
	}
	h.buf = append(h.buf, pcm...)
	h.start = end - int64(len(h.buf))
	if over := len(h.buf) - maxHeardBuffer; over > 0 {
		// Move the tail down only when half the buffer is stale, so a
		// long stream costs amortised O(1) per byte.
		if over > maxHeardBuffer/2 || cap(h.buf) > 2*maxHeardBuffer {
			h.buf = append(h.buf[:0], h.buf[over:]...)
			h.start += int64(over)
		}
	}
}

// take returns a copy of the timeline bytes [from, to) that are still
// held, and forgets everything before to.
func (h *heard) take(from, to int64) []byte {
	from = max(from, h.start)
	end := h.start + int64(len(h.buf))
	to = min(to, end)
	var out []byte
	if to > from && h.kept+int(to-from) <= maxHeardKept {
		out = append([]byte(nil), h.buf[from-h.start:to-h.start]...)
		h.kept += len(out)
	}
	if to > h.start {
		h.buf = append(h.buf[:0], h.buf[to-h.start:]...)
		h.start = to
	}
	return out
}

// keep decodes the audio of a client-created item, within the session's
// bound; nil when it is over the bound or not base64.
func (h *heard) keep(b64 []byte) []byte {
	n := base64.StdEncoding.DecodedLen(len(b64))
	if h.kept+n > maxHeardKept {
		return nil
	}
	out := make([]byte, n)
	k, err := base64.StdEncoding.Decode(out, b64)
	if err != nil {
		return nil
	}
	h.kept += k
	return out[:k]
}
