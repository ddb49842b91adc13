package cassette

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeSmallFrames writes a cassette of n small frames (about 100 bytes a
// line, the worst case for per-frame overhead) to path.
func writeSmallFrames(t testing.TB, path string, n int) int64 {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := NewWriter(bw, testHeader, &WriterOptions{FlushSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	types := []string{"response.audio_transcript.delta", "response.text.delta", "response.function_call_arguments.delta", "input_audio_buffer.append"}
	for i := range n {
		dir := Server
		if i%4 == 3 {
			dir = Client
		}
		data := fmt.Sprintf(`{"type":%q,"event_id":"ev_%07d","delta":"w%d"}`, types[i%4], i, i%100)
		if err := w.WriteFrame(Frame{T: time.Duration(i) * 50 * time.Microsecond, Dir: dir, Kind: KindText, Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// peakRSS is the process's peak resident memory (VmHWM) and its current
// one (VmRSS), in bytes.
func peakRSS() (hwm, rss int64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range []struct {
			name string
			v    *int64
		}{{"VmHWM:", &hwm}, {"VmRSS:", &rss}} {
			if rest, ok := strings.CutPrefix(line, f.name); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				*f.v = kb << 10
			}
		}
	}
	return hwm, rss, nil
}

// TestLoadMemory measures the memory Load takes for a cassette of many
// small frames, in a fresh process so that nothing else is in its peak
// resident size. Target: at most twice the file's size above what the
// process held before. RTMOCK_CASSETTE_MB sets the file's size (20 MB by
// default; the figure was for 200 MB):
//
//	RTMOCK_CASSETTE_MB=200 go test -run TestLoadMemory -v ./cassette
func TestLoadMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads peak memory from /proc/self/status, which only Linux has")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory swamps the measurement; run without -race")
	}
	if path := os.Getenv("RTMOCK_LOAD_MEMORY_CHILD"); path != "" {
		loadMemoryChild(t, path)
		return
	}
	mb := 20
	if s := os.Getenv("RTMOCK_CASSETTE_MB"); s != "" {
		var err error
		if mb, err = strconv.Atoi(s); err != nil || mb < 1 {
			t.Fatalf("RTMOCK_CASSETTE_MB=%q", s)
		}
	}
	path := filepath.Join(t.TempDir(), "small-frames.jsonl")
	size := writeSmallFrames(t, path, mb*1e6/100)
	for _, what := range []string{"Load", "Summarize", "Audio", "ReadAudio"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadMemory$", "-test.v")
		cmd.Env = append(os.Environ(), "RTMOCK_LOAD_MEMORY_CHILD="+path, "RTMOCK_LOAD_MEMORY_WHAT="+what)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s in a child process: %v\n%s", what, err, out)
		}
		var before, peak, frames int64
		i := bytes.Index(out, []byte("loadmemory "))
		if i < 0 {
			t.Fatalf("no figures from the child:\n%s", out)
		}
		fmt.Sscanf(string(out[i:]), "loadmemory before=%d peak=%d frames=%d", &before, &peak, &frames)
		ratio := float64(peak-before) / float64(size)
		t.Logf("%s of %.1f MB (%d frames): peak RSS %.1f MB above %.1f MB before: %.2f× the file", what, float64(size)/1e6, frames, float64(peak-before)/1e6, float64(before)/1e6, ratio)
		if ratio > 2 {
			t.Errorf("%s takes %.2f× the file's size, want at most 2×", what, ratio)
		}
	}
}

// loadMemoryChild loads the cassette at path and prints the peak RSS.
func loadMemoryChild(t *testing.T, path string) {
	runtime.GC()
	_, before, err := peakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("RTMOCK_LOAD_MEMORY_WHAT") == "ReadAudio" {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := NewReader(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		track, err := ReadAudio(r, Client)
		if err != nil {
			t.Fatal(err)
		}
		peak, _, err := peakRSS()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("loadmemory before=%d peak=%d frames=%d\n", before, peak, track.Events)
		return
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	switch os.Getenv("RTMOCK_LOAD_MEMORY_WHAT") {
	case "Summarize":
		Summarize(c)
	case "Audio":
		if _, err := c.Audio(Client); err != nil {
			t.Fatal(err)
		}
	}
	peak, _, err := peakRSS()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("loadmemory before=%d peak=%d frames=%d\n", before, peak, c.Len())
	runtime.KeepAlive(c)
}
