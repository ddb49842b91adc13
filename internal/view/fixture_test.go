package view_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/internal/refclient"
	"github.com/rtmock/rtmock/internal/view"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

var update = flag.Bool("update", false, "regenerate the fixtures in the top-level testdata/ by playing built-in scenarios with the reference client")

// The shared fixtures, relative to this package.
var (
	bargeInCassette   = filepath.Join("..", "..", "testdata", "cassettes", "barge-in.jsonl")
	audioTurnCassette = filepath.Join("..", "..", "testdata", "cassettes", "audio-turn.jsonl")
	faultsCassette    = filepath.Join("..", "..", "testdata", "cassettes", "faults.jsonl")
	slowTruncateDir   = filepath.Join("..", "..", "testdata", "conformance", "slow-truncate")
)

// play runs the reference client (with bug) through one built-in scenario
// in the GA dialect against an in-process rtmock, as "rtmock conformance"
// does, and returns the run.
func play(t *testing.T, scenario string, bug refclient.Bug) *conformance.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, &conformance.Options{
		Func: refclient.New(&refclient.Options{Bug: bug}), Name: "refclient " + string(bug),
		Scenarios: []string{scenario}, Dialects: []realtime.Dialect{realtime.GA},
	})
	if err != nil {
		t.Fatalf("play %s: %v", scenario, err)
	}
	if len(rep.Runs) != 1 || len(rep.Runs[0].Sessions) != 1 {
		t.Fatalf("play %s: want one run of one session, got %+v", scenario, rep.Runs)
	}
	return rep
}

// writeSession writes a run's session as a cassette, as "rtmock
// conformance --out" does, with audio elided when asked.
func writeSession(t *testing.T, path string, s *conformance.Session, elide bool) {
	t.Helper()
	var b bytes.Buffer
	if err := conformance.WriteSession(&b, s); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := cassette.Parse(&b, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(path, &cassette.WriterOptions{ElideAudio: elide}); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// recordFaults plays the hello scenario with a drop fault on the audio
// deltas to the reference client and writes the mock's transcript, which marks every
// fault that fired with a fault frame.
func recordFaults(t *testing.T, path string) {
	t.Helper()
	var fs []faults.Fault
	for _, spec := range []string{"drop:match=response.*audio.delta,p=0.5"} {
		f, err := faults.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	sc, err := scenarios.Resolve("hello")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mockserver.New(&mockserver.Options{Scenario: sc, Faults: fs, Seed: 7, KeepTranscripts: true, DisableTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- refclient.New(nil)(ctx, conformance.Env{Endpoint: srv.URL(), APIKey: conformance.APIKey,
			Deployment: conformance.GADeployment, Dialect: realtime.GA, Scenario: "hello", InputText: conformance.InputText})
	}()
	time.Sleep(4 * time.Second) // the call lasts this long: only -update runs this
	cancel()
	if err := <-done; err != nil {
		t.Logf("client: %v", err)
	}
	srv.Close()
	trs := srv.Transcripts()
	if len(trs) != 1 {
		t.Fatalf("%d sessions, want 1", len(trs))
	}
	var b bytes.Buffer
	if err := trs[0].WriteCassette(&b, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func regenerate(t *testing.T) {
	recordFaults(t, faultsCassette)
	for _, fx := range []struct{ scenario, path string }{{"barge-in", bargeInCassette}, {"audio-turn", audioTurnCassette}} {
		rep := play(t, fx.scenario, refclient.NoBug)
		if rep.Failed() {
			var b bytes.Buffer
			rep.WriteText(&b)
			t.Fatalf("the reference client failed %s; not writing a fixture:\n%s", fx.scenario, b.String())
		}
		writeSession(t, fx.path, rep.Runs[0].Sessions[0], false)
	}
	rep := play(t, "barge-in", refclient.SlowTruncate)
	run := rep.Runs[0]
	run.Transcripts = []string{"barge-in-ga.jsonl"}
	writeSession(t, filepath.Join(slowTruncateDir, run.Transcripts[0]), run.Sessions[0], true)
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(slowTruncateDir, "report.json"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFixtures checks that the shared fixtures are what their README says
// they are; with -update it makes them again first.
func TestFixtures(t *testing.T) {
	if *update {
		regenerate(t)
	}
	t.Run("barge-in passes and holds a barge-in", func(t *testing.T) {
		t.Parallel()
		s, err := conformance.LoadSession(bargeInCassette)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenarios.Resolve("barge-in")
		if err != nil {
			t.Fatal(err)
		}
		if rep := conformance.Judge("barge-in", sc, nil, s); rep.Failed() {
			var b bytes.Buffer
			rep.WriteText(&b)
			t.Errorf("the fixture fails its own scenario:\n%s", b.String())
		}
		m := build(t, bargeInCassette)
		if len(m.Truncates) != 1 || m.Truncates[0].EndMs < 1000 || m.Truncates[0].EndMs > 1400 {
			t.Errorf("want one truncate at 1000..1400 ms, got %+v", m.Truncates)
		}
		if !hasBarge(m) {
			t.Errorf("no VAD window starts during assistant audio: %+v", m.VAD)
		}
		if !hasStatus(m, "cancelled") || !hasStatus(m, "completed") {
			t.Errorf("want a cancelled and a completed response, got %+v", m.Responses)
		}
	})
	t.Run("audio-turn has client speech and VAD", func(t *testing.T) {
		t.Parallel()
		m := build(t, audioTurnCassette)
		if m.Input == nil || m.Input.Ms < 1000 || m.Input.Elided != 0 || len(m.Input.Segs) == 0 {
			t.Fatalf("want over a second of real client audio, got %+v", m.Input)
		}
		if len(m.VAD) == 0 || m.VAD[0].Stop < 0 {
			t.Errorf("want a closed VAD window, got %+v", m.VAD)
		}
	})
	t.Run("faults marks the faults that fired", func(t *testing.T) {
		t.Parallel()
		c, err := cassette.Load(faultsCassette)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range c.All() {
			if f.Kind == cassette.KindFault {
				n++
			}
		}
		m := build(t, faultsCassette)
		kinds := map[string]int{}
		for _, f := range m.Faults {
			kinds[f.Kind]++
		}
		if n == 0 || len(m.Faults) != n || kinds["drop"] != n {
			t.Errorf("%d fault frames, the model has %v", n, kinds)
		}
	})
	t.Run("slow-truncate fails RT-BARGEIN-REACTION", func(t *testing.T) {
		t.Parallel()
		ss, err := view.Load([]string{slowTruncateDir})
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != 1 {
			t.Fatalf("want one session, got %d", len(ss))
		}
		var rules []string
		for _, f := range ss[0].Findings {
			rules = append(rules, f.Rule)
		}
		if !slices.Contains(rules, conformance.RuleBargeInReaction) {
			t.Errorf("findings %v, want %s among them", rules, conformance.RuleBargeInReaction)
		}
	})
}

func build(t *testing.T, path string) *view.Model {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := view.ParseSession(data, path)
	if err != nil {
		t.Fatal(err)
	}
	return view.Build(s, nil)
}

func hasBarge(m *view.Model) bool {
	for _, w := range m.VAD {
		if w.Barge {
			return true
		}
	}
	return false
}

func hasStatus(m *view.Model, status string) bool {
	for _, r := range m.Responses {
		if r.Status == status {
			return true
		}
	}
	return false
}
