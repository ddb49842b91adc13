package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rtmock/rtmock/internal/loadtest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
	"github.com/spf13/cobra"
)

// A split bench (rtmock bench --split) runs the mock and the raw baseline
// each in a process of its own: this very binary, started with the hidden
// command bench-server, so that the bench measures each server's own CPU
// time and memory.

type benchServerOptions struct {
	role      string
	script    string
	readyFile string
	scenario  string
	cassette  string
	pace      string
	seed      int64
	sessions  int
}

func newBenchServerCmd() *cobra.Command {
	o := &benchServerOptions{}
	cmd := &cobra.Command{
		Use:    "bench-server --role rtmock|baseline|rtc-baseline --ready-file FILE",
		Short:  "A server process of a split bench (started by rtmock bench --split)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return benchServerRun(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.role, "role", "", "rtmock, baseline or rtc-baseline")
	f.StringVar(&o.script, "script", "", "the baseline's script (written by the bench)")
	f.StringVar(&o.readyFile, "ready-file", "", "where to write the server's URL once it listens")
	f.StringVar(&o.scenario, "scenario", "", "the mock's scenario")
	f.StringVar(&o.cassette, "cassette", "", "the mock's cassette")
	f.StringVar(&o.pace, "pace", "instant", "the mock's pace")
	f.Int64Var(&o.seed, "seed", 1, "the mock's seed")
	f.IntVar(&o.sessions, "max-sessions", 20000, "the mock's session limit")
	return cmd
}

func benchServerRun(cmd *cobra.Command, o *benchServerOptions) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ready := func(url string) { writeReady(o.readyFile, url) }
	switch o.role {
	case string(loadtest.RoleBaseline):
		return loadtest.ServeBaseline(ctx, o.script, ready)
	case string(loadtest.RoleRTCBaseline):
		return loadtest.ServeRTCBaseline(ctx, o.script, ready)
	case string(loadtest.RoleMock):
		mo, err := benchServerMockOptions(o)
		if err != nil {
			return err
		}
		srv, err := mockserver.New(mo)
		if err != nil {
			return err
		}
		ready("ws" + strings.TrimPrefix(srv.URL(), "http"))
		<-ctx.Done()
		return srv.Close()
	}
	return usagef("--role %q: want rtmock, baseline or rtc-baseline", o.role)
}

func benchServerMockOptions(o *benchServerOptions) (*mockserver.Options, error) {
	pace, err := scenarios.ParsePace(o.pace)
	if err != nil {
		return nil, usagef("--pace: %v", err)
	}
	mo := &mockserver.Options{Pace: pace, Seed: o.seed, DisableTLS: true, MaxSessions: o.sessions}
	if o.scenario != "" {
		if mo.Scenario, err = scenarios.Resolve(o.scenario); err != nil {
			return nil, usageError{err}
		}
	}
	if o.cassette != "" {
		if err := loadSource(mo, o.cassette, 0); err != nil {
			return nil, err
		}
	}
	return mo, nil
}

// writeReady writes url to path atomically.
func writeReady(path, url string) {
	tmp := path + ".tmp"
	if os.WriteFile(tmp, []byte(url+"\n"), 0o600) == nil {
		os.Rename(tmp, path)
	}
}

// benchSpawner starts bench-server processes of this binary with the
// bench's own mock options.
func benchSpawner(o *benchOptions) loadtest.Spawner {
	return func(ctx context.Context, role loadtest.Role, scriptFile string) (*loadtest.Server, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "rtmock-bench-")
		if err != nil {
			return nil, err
		}
		ready := filepath.Join(dir, "url")
		args := []string{"bench-server", "--role", string(role), "--ready-file", ready}
		if role == loadtest.RoleBaseline || role == loadtest.RoleRTCBaseline {
			args = append(args, "--script", scriptFile)
		} else {
			args = append(args, "--pace", o.pace, "--seed", strconv.FormatInt(o.seed, 10), "--max-sessions", strconv.Itoa(o.sessions+o.idle+16))
			if o.scenario != "" {
				args = append(args, "--scenario", o.scenario)
			}
			if o.cassette != "" {
				args = append(args, "--cassette", o.cassette)
			}
		}
		c := exec.Command(exe, args...)
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		url, err := waitReadyFile(ctx, ready, c)
		if err != nil {
			c.Process.Kill()
			c.Wait()
			os.RemoveAll(dir)
			return nil, err
		}
		stop := func() error {
			defer os.RemoveAll(dir)
			c.Process.Signal(syscall.SIGTERM)
			return c.Wait()
		}
		return &loadtest.Server{URL: url, PID: c.Process.Pid, Stop: stop}, nil
	}
}

// waitReadyFile waits until the process wrote its URL.
func waitReadyFile(ctx context.Context, path string, c *exec.Cmd) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if b, err := os.ReadFile(path); err == nil {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("the %s process did not start: %w", filepath.Base(c.Path), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if c.ProcessState != nil {
			return "", errors.New("the server process exited")
		}
	}
}
