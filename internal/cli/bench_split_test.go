package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rtmock/rtmock/internal/loadtest"
)

// TestBenchSplitMeasuresEachServerProcess runs rtmock bench --split as a
// user would: the built binary starts itself twice more, as the mock and as
// the raw baseline, and reports each server process's own CPU time and
// memory.
func TestBenchSplitMeasuresEachServerProcess(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build rtmock")
	}
	bin := filepath.Join(t.TempDir(), "rtmock")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rtmock/rtmock/cmd/rtmock").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("webrtc", func(t *testing.T) { benchSplitWebRTC(t, bin) })
	out, err := exec.Command(bin, "bench", "--split", "-c", "4", "--turns", "3", "--pairs", "2", "--idle", "20", "--json").Output()
	if err != nil {
		t.Fatalf("bench --split: %v\n%s", err, out)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if len(rep.Product) != 2 || len(rep.Baseline) != 2 || len(rep.ServerCPURatios) != 2 {
		t.Fatalf("%d rtmock and %d baseline phases, %d server CPU ratios; want 2, 2, 2", len(rep.Product), len(rep.Baseline), len(rep.ServerCPURatios))
	}
	for _, p := range append(rep.Product, rep.Baseline...) {
		if p.ServerCPU <= 0 || p.ServerPeakRSS <= 0 || p.Responses != 4*3 || p.ProtocolErrors != 0 {
			t.Errorf("%s pair %d: server CPU %v, peak RSS %d, %d responses, %d protocol errors", p.Target, p.Pair, p.ServerCPU, p.ServerPeakRSS, p.Responses, p.ProtocolErrors)
		}
	}
	if rep.Idle == nil || rep.Idle.Target.RSS <= 0 || rep.Idle.Baseline == nil {
		t.Errorf("idle: %+v", rep.Idle)
	}
}

// benchSplitWebRTC runs rtmock bench --transport webrtc --split: the mock
// and the raw pion server each in a process of their own, whose CPU time
// is measured per session-second.
func benchSplitWebRTC(t *testing.T, bin string) {
	out, err := exec.Command(bin, "bench", "--transport", "webrtc", "--split", "-c", "2", "--turns", "1", "--pairs", "1", "--json").Output()
	if err != nil {
		t.Fatalf("bench --transport webrtc --split: %v\n%s", err, out)
	}
	var rep loadtest.RTCReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if !rep.Split || len(rep.Product) != 1 || len(rep.Baseline) != 1 || len(rep.CPURatios) != 1 {
		t.Fatalf("split %v, %d rtmock and %d raw phases, %d CPU ratios; want true, 1, 1, 1", rep.Split, len(rep.Product), len(rep.Baseline), len(rep.CPURatios))
	}
	for _, p := range append(rep.Product, rep.Baseline...) {
		if p.ServerCPU <= 0 || p.ServerCPUPerSessionSecond <= 0 || p.Packets <= 0 || p.Replies != 2 || p.ProtocolErrors != 0 {
			t.Errorf("%s: server CPU %v (%.0f ns per session-second), %d packets, %d replies, %d protocol errors (first %q)",
				p.Target, p.ServerCPU, p.ServerCPUPerSessionSecond, p.Packets, p.Replies, p.ProtocolErrors, p.FirstError)
		}
	}
}
