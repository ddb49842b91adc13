package cassette

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// StoppedPrefix starts the text of the "error" frame that ends a cassette
// whose recording was stopped early (a full disk, say): see [Writer.Stop].
const StoppedPrefix = "recording stopped: "

// StoppedReason reports whether f is the frame that ends a stopped
// recording, and why the recording stopped.
func StoppedReason(f Frame) (string, bool) {
	if f.Kind != KindError {
		return "", false
	}
	return strings.CutPrefix(f.Reason, StoppedPrefix)
}

// errStopped is the sticky error of a Writer after Stop.
var errStopped = errors.New("write cassette: the recording was stopped")

// keepRecent is how many line ends a Writer remembers for Stop.
const keepRecent = 8

// wrote notes that the first n bytes of buf reached the underlying writer.
func (w *Writer) wrote(n int) {
	base := w.written
	for _, end := range w.lineEnds {
		if end > n {
			break
		}
		w.written = base + int64(end)
		if len(w.recent) == keepRecent {
			copy(w.recent[1:], w.recent[2:]) // the header's end stays first
			w.recent = w.recent[:keepRecent-1]
		}
		w.recent = append(w.recent, w.written)
	}
	w.partial = base+int64(n) > w.written
	w.lineEnds = w.lineEnds[:0]
}

// truncater is what Stop needs to cut a half-written line: *os.File has it.
type truncater interface{ Truncate(size int64) error }

// Stop ends a cassette whose recording cannot go on, because a write
// failed (a full disk) or for any other reason: it drops the frames still
// buffered and writes one last frame, an "error" frame in the server's
// direction whose text is [StoppedPrefix] followed by reason, at time t.
// Readers report it ([StoppedReason], [Summary].Stopped, [Cassette.Stopped]),
// so a cut recording is told from a finished one.
//
// When a failed write put part of a line into the underlying writer, Stop
// cuts it back to its last whole line first, if the writer has a
// Truncate(size int64) error method (as *os.File has; Stop seeks to the new
// end when the writer is an io.Seeker too). When the marker itself does not
// fit (the disk is still full), Stop cuts the last frames one by one, up to
// a few, to make room for it: they follow the point where the recording is
// incomplete anyway. Without Truncate the marker cannot follow a half line:
// Stop returns an error and readers report the cut last line. Nothing can
// be written after Stop.
func (w *Writer) Stop(t time.Duration, reason string) error {
	if errors.Is(w.err, errStopped) {
		return w.err
	}
	defer func() { w.err = errStopped }()
	w.buf, w.lineEnds = w.buf[:0], w.lineEnds[:0]
	tr, canCut := w.w.(truncater)
	if w.partial {
		if !canCut {
			return errors.New("stop cassette: a line was half written and the writer cannot be truncated")
		}
		if err := w.cut(tr, w.written); err != nil {
			return err
		}
	}
	f := Frame{T: t, Dir: Server, Kind: KindError, Reason: StoppedPrefix + w.redactor.RedactString(reason)}
	marker := appendFrame(nil, &f, nil, false)
	for {
		n, err := w.w.Write(marker)
		if err == nil && n == len(marker) {
			w.written += int64(n)
			return nil
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		if !canCut {
			return fmt.Errorf("stop cassette: %w", err)
		}
		// No room for the marker: cut what it wrote, and one frame more to
		// make room while there is one to spare (never the header). The
		// last entry of recent is always where written ends.
		if len(w.recent) < 2 {
			if n > 0 {
				w.cut(tr, w.written)
			}
			return fmt.Errorf("stop cassette: no room for the last frame: %w", err)
		}
		w.recent = w.recent[:len(w.recent)-1]
		if err := w.cut(tr, w.recent[len(w.recent)-1]); err != nil {
			return err
		}
	}
}

// cut truncates the underlying writer to size, the end of a whole line.
func (w *Writer) cut(tr truncater, size int64) error {
	if err := tr.Truncate(size); err != nil {
		return fmt.Errorf("stop cassette: cut back to the last whole line: %w", err)
	}
	if sk, ok := w.w.(io.Seeker); ok {
		if _, err := sk.Seek(size, io.SeekStart); err != nil {
			return fmt.Errorf("stop cassette: %w", err)
		}
	}
	w.written, w.partial = size, false
	return nil
}
