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
