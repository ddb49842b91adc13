package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// A split run puts the mock and the baseline each in a server process of
// its own, so that the CPU time and memory a phase measures are the
// server's alone: in-process runs count the clients too, which do the same
// work on both sides and so understate the servers' difference.

// Role is what a server process of a split run serves.
type Role string

// The roles.
const (
	RoleMock     Role = "rtmock"   // the mock, with the run's scenario or cassette, pace and seed
	RoleBaseline Role = "baseline" // the raw server, writing the captured script
	// RoleRTCBaseline is the raw WebRTC server of a WebRTC run, answering
	// calls with the captured script (see ServeRTCBaseline).
	RoleRTCBaseline Role = "rtc-baseline"
)

// Server is a running server process of a split run.
type Server struct {
	URL  string // ws://127.0.0.1:PORT (no path)
	PID  int
	Stop func() error
}

// Spawner starts a server process of a split run. For RoleBaseline and
// RoleRTCBaseline, scriptFile holds the script to serve (see ServeBaseline
// and ServeRTCBaseline).
type Spawner func(ctx context.Context, role Role, scriptFile string) (*Server, error)

// spawn makes a target of a server process of role. The process is
// started now and again, fresh, before every phase and idle measurement
// (restart), so that each one's memory starts from an idle process rather
// than from a heap the phases before it grew.
func (r *runner) spawn(ctx context.Context, role Role, scriptFile, name string) (*target, error) {
	t := &target{name: name}
	t.restart = func(ctx context.Context) error {
		if t.stop != nil {
			if err := t.stop(); err != nil {
				return fmt.Errorf("stop the %s process: %w", role, err)
			}
			t.stop = nil
		}
		srv, err := r.cfg.Split(ctx, role, scriptFile)
		if err != nil {
			return fmt.Errorf("start the %s process: %w", role, err)
		}
		t.url, t.pid, t.stop = srv.URL+r.cfg.Path, srv.PID, srv.Stop
		if role == RoleBaseline {
			t.url = srv.URL + "/"
		}
		return nil
	}
	r.closers = append([]func() error{func() error {
		if t.stop == nil {
			return nil
		}
		if err := t.stop(); err != nil {
			return fmt.Errorf("stop the %s process: %w", role, err)
		}
		return nil
	}}, r.closers...)
	return t, t.restart(ctx)
}

// spawnBaseline writes the captured script to a file and starts the
// baseline process on it.
func (r *runner) spawnBaseline(ctx context.Context, sc *script) (*target, error) {
	f, err := os.CreateTemp("", "rtmock-bench-script-*.json")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	r.closers = append(r.closers, func() error { return os.Remove(path) })
	err = json.NewEncoder(f).Encode(sc.exported())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write the baseline's script: %w", err)
	}
	return r.spawn(ctx, RoleBaseline, path, "baseline")
}

// scriptJSON is a script as a file: frames with their offsets.
type scriptJSON struct {
	Connect []frameJSON   `json:"connect"`
	Repeat  []frameJSON   `json:"repeat,omitempty"`
	Replies [][]frameJSON `json:"replies,omitempty"`
}

type frameJSON struct {
	At     time.Duration `json:"at"`
	Binary bool          `json:"binary,omitempty"`
	Data   []byte        `json:"data"`
}

func (sc *script) exported() scriptJSON {
	blk := func(b block) []frameJSON {
		out := make([]frameJSON, len(b))
		for i, f := range b {
			out[i] = frameJSON{At: f.at, Binary: f.typ == websocket.MessageBinary, Data: f.data}
		}
		return out
	}
	out := scriptJSON{Connect: blk(sc.connect), Repeat: blk(sc.repeat)}
	for _, b := range sc.replies {
		out.Replies = append(out.Replies, blk(b))
	}
	return out
}

func (s scriptJSON) script() *script {
	blk := func(fs []frameJSON) block {
		out := make(block, len(fs))
		for i, f := range fs {
			typ := websocket.MessageText
			if f.Binary {
				typ = websocket.MessageBinary
			}
			out[i] = timedFrame{at: f.At, typ: typ, data: f.Data}
		}
		return out
	}
	sc := &script{connect: blk(s.Connect), repeat: blk(s.Repeat)}
	for _, b := range s.Replies {
		sc.replies = append(sc.replies, blk(b))
	}
	return sc
}

// ServeBaseline serves the raw baseline server of a split run on a free
// loopback port until ctx is done: it reads the script file written by a
// split run, tells ready the server's URL, and writes the script's frames
// to every session as the in-process baseline does.
func ServeBaseline(ctx context.Context, scriptFile string, ready func(url string)) error {
	data, err := os.ReadFile(scriptFile)
	if err != nil {
		return err
	}
	var sj scriptJSON
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&sj); err != nil {
		return fmt.Errorf("read the script %s: %w", scriptFile, err)
	}
	b, err := startBaseline(sj.script())
	if err != nil {
		return err
	}
	ready(b.url())
	<-ctx.Done()
	return b.close()
}

// procCPU reads a process's CPU time from the schedstat of each of its
// threads (/proc/PID/task/*/schedstat: nanoseconds on a CPU), which is
// finer than /proc/PID/stat's 10 ms ticks. Threads that ended before the
// call are not counted: read it at the start and the end of a phase of
// a process whose threads live on (the Go runtime keeps its threads).
func procCPU(pid int) time.Duration {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var ns int64
	for _, e := range ents {
		data, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			ns += n
		}
	}
	return time.Duration(ns)
}

// procRSS reads a process's resident set (VmRSS) in bytes.
func procRSS(pid int) int64 { return procStatusOf("/proc/"+strconv.Itoa(pid)+"/status", "VmRSS") }

// rssSampler samples a process's resident set until stopped and keeps its
// peak.
type rssSampler struct {
	stop chan struct{}
	done chan int64
}

func watchRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan int64, 1)}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		peak := procRSS(pid)
		for {
			select {
			case <-s.stop:
				s.done <- max(peak, procRSS(pid))
				return
			case <-t.C:
				peak = max(peak, procRSS(pid))
			}
		}
	}()
	return s
}

func (s *rssSampler) peak() int64 {
	close(s.stop)
	return <-s.done
}

// WaitReady waits until url answers /healthz, the way a spawner knows its
// process serves.
func WaitReady(ctx context.Context, url string) error {
	hc := &http.Client{Timeout: time.Second}
	u := "http" + strings.TrimPrefix(url, "ws") + "/healthz"
	for {
		resp, err := hc.Get(u)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		var ne net.Error
		if !errors.As(err, &ne) && !strings.Contains(err.Error(), "refused") {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
