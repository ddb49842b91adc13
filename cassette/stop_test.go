package cassette

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallDisk is a file on a disk with room for limit bytes: a write takes
// what fits and fails with ENOSPC, as write(2) does, and truncating frees
// room again.
type smallDisk struct {
	data     []byte
	limit    int
	truncate bool // whether it offers Truncate
}

func (d *smallDisk) Write(p []byte) (int, error) {
	room := max(d.limit-len(d.data), 0)
	if len(p) <= room {
		d.data = append(d.data, p...)
		return len(p), nil
	}
	d.data = append(d.data, p[:room]...)
	return room, &fsError{syscall.ENOSPC}
}

// fsError is how the os package wraps an errno.
type fsError struct{ errno syscall.Errno }

func (e *fsError) Error() string { return "write cassette.jsonl: " + e.errno.Error() }
func (e *fsError) Unwrap() error { return e.errno }

type truncDisk struct{ *smallDisk }

func (d truncDisk) Truncate(n int64) error {
	d.data = d.data[:n]
	return nil
}

// frameOfSize is a server event whose cassette line is 1,000 bytes long
// before its "t" grows.
func frameOfSize(i int) Frame {
	data := fmt.Sprintf(`{"type":"response.text.delta","n":%03d,"delta":"%s"}`, i, strings.Repeat("x", 900))
	return Frame{T: time.Duration(i) * time.Millisecond, Dir: Server, Kind: KindText, Data: []byte(data)}
}

func TestStopEndsACassetteOnAFullDisk(t *testing.T) {
	t.Parallel()
	header := len(write(t, testHeader, nil))
	line := len(write(t, testHeader, nil, frameOfSize(1))) - header
	tests := []struct {
		name       string
		limit      int // room on the disk
		truncate   bool
		wantFrames int // whole frames left before the marker
		wantMarker bool
	}{
		{"the half line makes room for the marker", header + 3*line + line/2, true, 3, true},
		{"a few bytes of a half line: a frame makes room", header + 3*line + 10, true, 2, true},
		{"a full disk after whole lines: a frame makes room", header + 3*line, true, 2, true},
		{"a writer that cannot truncate", header + 3*line + line/2, false, 3, false},
		{"room for nothing but the header", header + 40, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			disk := &smallDisk{limit: tt.limit}
			var out io.Writer = disk
			if tt.truncate {
				out = truncDisk{disk}
			}
			w, err := NewWriter(out, testHeader, &WriterOptions{FlushSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for i := 1; i <= 10 && werr == nil; i++ {
				werr = w.WriteFrame(frameOfSize(i))
			}
			if werr == nil {
				werr = w.Flush()
			}
			if werr == nil || !strings.Contains(werr.Error(), "no space left") {
				t.Fatalf("writing 10 frames = %v, want ENOSPC", werr)
			}
			serr := w.Stop(time.Second, "ENOSPC: no space left on device")
			if (serr == nil) != tt.wantMarker {
				t.Errorf("Stop = %v, want a marker: %v", serr, tt.wantMarker)
			}
			if err := w.WriteFrame(frameOfSize(11)); err == nil {
				t.Error("WriteFrame after Stop succeeded")
			}

			rd, err := NewReader(bytes.NewReader(disk.data), &ReaderOptions{Name: "cut.jsonl"})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := Inspect(rd)
			if err != nil {
				t.Fatalf("the cut cassette does not read: %v", err)
			}
			frames := sum.Frames
			if tt.wantMarker {
				frames--
				if sum.Stopped != "ENOSPC: no space left on device" || sum.Truncated != nil {
					t.Errorf("Stopped %q, truncated %v; want the marker's reason and no cut line", sum.Stopped, sum.Truncated)
				}
			} else if sum.Stopped != "" {
				t.Errorf("Stopped = %q without a marker", sum.Stopped)
			}
			if frames != tt.wantFrames {
				t.Errorf("%d frames before the end, want %d", frames, tt.wantFrames)
			}
			if !tt.truncate && sum.Truncated == nil {
				t.Error("a half line left behind is not reported")
			}
		})
	}
}

func TestStoppedCassetteLoads(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteFrame(frameOfSize(1))
	w.Flush()
	if err := w.Stop(2*time.Second, "the operator asked"); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(&buf, "stopped.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 || c.Stopped() != "the operator asked" {
		t.Errorf("%d frames, Stopped %q", c.Len(), c.Stopped())
	}
	last := c.Frame(1)
	if last.Kind != KindError || last.Dir != Server || last.T != 2*time.Second || last.Reason != StoppedPrefix+"the operator asked" {
		t.Errorf("marker frame %+v", last)
	}
	if why, ok := StoppedReason(c.Frame(0)); ok || why != "" {
		t.Errorf("StoppedReason of an event = %q, %v", why, ok)
	}
}
