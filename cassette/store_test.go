package cassette

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cmpBytes compares byte slices as wholes, nil and empty alike.
var cmpBytes = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

// Frames of every kind and size come back from a loaded cassette as they
// were written, across payload chunks and record blocks, and a frame's
// Data cannot be appended to over its neighbour's.
func TestLoadedFramesAreWhatWasWritten(t *testing.T) {
	t.Parallel()
	var frames []Frame
	sizes := []int{0, 1, 100, payloadChunk/4 + 1, 3 << 20, 50, payloadChunk - 10, 7}
	for i := range recBlock + 100 {
		n := sizes[i%len(sizes)]
		if i > len(sizes)*3 {
			n = i % 40
		}
		t := time.Duration(i) * time.Millisecond
		switch i % 9 {
		case 0:
			frames = append(frames, Frame{T: t, Dir: Client, Kind: KindBinary, Data: bytes.Repeat([]byte{byte(i)}, n)})
		case 1:
			frames = append(frames, Frame{T: t, Dir: Server, Kind: KindClose, Code: 1000 + i, Reason: fmt.Sprint("bye ", i)})
		case 2:
			frames = append(frames, Frame{T: t, Dir: Server, Kind: KindHTTP, Code: 429, Header: map[string]string{"Retry-After": "7"}, Data: []byte("slow down")})
		case 3:
			frames = append(frames, Frame{T: t, Dir: Client, Kind: KindText, Data: []byte(fmt.Sprintf("not json %d", i))})
		case 4:
			frames = append(frames, Frame{T: t, Dir: Server, Kind: KindDropped, Code: i})
		default:
			data := fmt.Sprintf(`{"type":"t%d","pad":"%s"}`, i%5, bytes.Repeat([]byte("x"), n))
			frames = append(frames, Frame{T: t, Dir: Server, Kind: KindText, Data: []byte(data), Type: fmt.Sprint("t", i%5)})
		}
	}
	c, err := Parse(bytes.NewReader(write(t, testHeader, nil, frames...)), "mixed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != len(frames) {
		t.Fatalf("%d frames, want %d", c.Len(), len(frames))
	}
	for i, want := range frames {
		got := c.Frame(i)
		if diff := cmp.Diff(want, got, cmpBytes); diff != "" {
			t.Fatalf("frame %d (-written +loaded):\n%s", i, diff)
		}
	}
	for i := range c.Len() - 1 {
		f, next := c.Frame(i), c.Frame(i+1)
		before := bytes.Clone(next.Data)
		_ = append(f.Data, "clobber"...)
		if !bytes.Equal(c.Frame(i+1).Data, before) {
			t.Fatalf("appending to frame %d's Data changed frame %d", i, i+1)
		}
	}
}
