package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/view"
)

// viewConformance writes the timeline of every run of a conformance report
// into dir, SCENARIO-DIALECT.html each, and index.html listing them. The
// sessions go through the cassette format and the findings through the
// JSON report, as rtmock view reads them from files.
func viewConformance(cmd *cobra.Command, dir string, rep *conformance.Report) error {
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	vr, err := view.ParseReport(js.Bytes(), "report")
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	var index []view.IndexEntry
	for i, run := range rep.Runs {
		vrun := &vr.Runs[i]
		e := view.IndexEntry{Name: run.Name(), Passed: !run.Failed(), Problems: run.Problems, Sessions: len(run.Sessions)}
		for _, f := range vrun.Findings(0) {
			e.Failed = append(e.Failed, f.Rule)
		}
		if len(run.Sessions) > 0 {
			e.File = viewFileName(run.Scenario) + "-" + string(run.Dialect) + ".html"
			if err := viewRunPage(filepath.Join(dir, e.File), run, vrun); err != nil {
				return err
			}
		}
		index = append(index, e)
	}
	var b bytes.Buffer
	if err := view.WriteIndex(&b, "rtmock conformance: "+rep.Client, index); err != nil {
		return err
	}
	path := filepath.Join(dir, "index.html")
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "timelines: %s\n", path)
	return nil
}

// viewRunPage writes the page of one run: its sessions with their findings.
func viewRunPage(path string, run *conformance.RunResult, vrun *view.ReportRun) error {
	p := &view.Page{Title: run.Name() + " · rtmock conformance", Generator: "rtmock " + Version}
	for j, s := range run.Sessions {
		var b bytes.Buffer
		if err := conformance.WriteSession(&b, s); err != nil {
			return fmt.Errorf("--html: %s: %w", run.Name(), err)
		}
		vs, err := view.ParseSession(b.Bytes(), run.Name())
		if err != nil {
			return fmt.Errorf("--html: %s: %w", run.Name(), err)
		}
		vs.Source = ""
		vrun.Pin(vs, j+1)
		p.Sessions = append(p.Sessions, view.Build(vs, nil))
	}
	var b bytes.Buffer
	if err := p.WriteHTML(&b); err != nil {
		return err
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	return nil
}

// viewFileName makes a scenario name safe as a file name.
func viewFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, filepath.Base(s))
}
