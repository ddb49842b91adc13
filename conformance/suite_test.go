package conformance_test

import (
	"bytes"
	"context"
	"flag"
	"testing"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/refclient"
)

var (
	clientFlag = flag.String("client", "", "run the suite against this client command (sh -c) instead of the reference client")
	outFlag    = flag.String("out", "", "write the transcripts of failing runs into this directory")
)

// TestSuite runs every built-in scenario in both dialects against the
// reference client, which must pass every rule and expectation; with
// -args -client 'CMD' against that command instead.
func TestSuite(t *testing.T) {
	opts := &conformance.Options{Func: refclient.New(nil), Name: "refclient", OutDir: *outFlag}
	if *clientFlag != "" {
		opts.Func, opts.Command, opts.Name = nil, *clientFlag, ""
	}
	rep, err := conformance.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	if rep.Failed() || testing.Verbose() {
		t.Log("\n" + b.String())
	}
	t.Logf("%d runs in %s", len(rep.Runs), rep.Duration)
	for _, run := range rep.Runs {
		switch {
		case !run.Failed():
		case run.Jitter > busy:
			t.Logf("%s failed on a busy machine (timers up to %s late): not counted", run.Name(), run.Jitter)
		default:
			t.Errorf("%s failed", run.Name())
		}
	}
}
