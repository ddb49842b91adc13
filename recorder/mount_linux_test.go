package recorder

import (
	"strings"
	"syscall"
	"testing"

	"github.com/coder/websocket"
)

// mountTmpfs mounts a tmpfs at dir; it needs root and CAP_SYS_ADMIN.
func mountTmpfs(dir, opts string, readOnly bool) error {
	var flags uintptr
	if readOnly {
		flags = syscall.MS_RDONLY
	}
	return syscall.Mount("tmpfs", dir, "tmpfs", flags, opts)
}

func unmount(dir string) error { return syscall.Unmount(dir, 0) }

// The same as TestDiskFullStopsTheRecording on a real file system that
// fills up: a 64 KiB tmpfs. Mounting one needs root and CAP_SYS_ADMIN; the
// test says so and skips where it cannot.
func TestDiskFullOnATmpfs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := mountTmpfs(dir, "size=64k,mode=0700", false); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { unmount(dir) })
	event := `{"type":"response.text.delta","delta":"` + strings.Repeat("d", 1000) + `"}`
	const n = 200 // 200 KB of cassette for a 64 KiB disk
	up := newUpstream(t, func(c *websocket.Conn) {
		for range n {
			send(t, c, textMsg(event))
		}
		closeStatus(c)
	})
	rec, u := serveRecorder(t, &Options{Upstream: up.srv.URL, Dir: dir}, false)
	c := dial(t, u+"/v1/realtime?model=gpt-realtime", nil)
	if got := readN(t, c, n); len(got) != n {
		t.Fatalf("client got %d of %d events", len(got), n)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if err := rec.Close(); err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("Close = %v, want ENOSPC", err)
	}
	cas := onlyCassette(t, rec)
	if cas.Truncated() != nil || cas.Stopped() != "ENOSPC: no space left on device" {
		t.Errorf("truncated %v, stopped %q; want a clean end with the recording-stopped frame", cas.Truncated(), cas.Stopped())
	}
	if cas.Len() < 10 || cas.Len() >= n {
		t.Errorf("%d frames recorded of %d", cas.Len(), n)
	}
}
