// Command dockerfilelint checks a Dockerfile without a container runtime:
// every build check of BuildKit's Dockerfile frontend (what "docker build
// --check" runs), with warnings as errors, and the rules this project
// holds its image to: pinned base images, a non-root USER, EXPOSE, a
// HEALTHCHECK, exec-form ENTRYPOINT and CMD, and no ADD.
//
// Usage: go run ./dockerfilelint Dockerfile
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfilelint Dockerfile")
		os.Exit(2)
	}
	path := os.Args[1]
	dt, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	problems, err := lint(path, dt)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		os.Exit(1)
	}
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "%s:%s\n", path, p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("%s: BuildKit's build checks and the image rules pass\n", path)
}

// lint returns the problems of the Dockerfile dt, each "LINE: RULE: what".
func lint(name string, dt []byte) ([]string, error) {
	var out []string
	src := llb.NewSourceMap(nil, name, "Dockerfile", dt)
	src.Definition = &llb.Definition{} // the lint report's source has no build graph
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{SourceMap: src, MetaResolver: offline{}})
	if err != nil {
		return nil, err
	}
	if res.Error != nil {
		return nil, fmt.Errorf("%s", res.Error.Message)
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, fmt.Sprintf("%d: %s: %s", line, w.RuleName, w.Detail))
	}
	own, err := rules(dt)
	if err != nil {
		return nil, err
	}
	return append(out, own...), nil
}

// offline answers every base image lookup with an empty linux/amd64
// image, so that the checks run without a registry: the checks that need
// the real image (its platform) see a matching one and stay quiet.
type offline struct{}

func (offline) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, "", []byte(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers"}}`), nil
}

var versionTag = regexp.MustCompile(`:[^/@]*[0-9][^/@]*$`)

// rules checks what the project requires of its image.
func rules(dt []byte) ([]string, error) {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, err
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	var r report
	r.stages(stages)
	r.final(stages[len(stages)-1])
	return r.out, nil
}

// report gathers problems, each "LINE: RULE: what".
type report struct{ out []string }

func (r *report) bad(line int, rule, format string, args ...any) {
	r.out = append(r.out, fmt.Sprintf("%d: %s: %s", line, rule, fmt.Sprintf(format, args...)))
}

// stages checks every stage: a pinned base image, no ADD.
func (r *report) stages(stages []instructions.Stage) {
	names := map[string]bool{}
	for _, s := range stages {
		img, line := s.BaseName, s.Location[0].Start.Line
		switch {
		case img == "scratch" || names[strings.ToLower(img)] || strings.Contains(img, "@sha256:"):
		case strings.Contains(img, "$"):
			r.bad(line, "PinnedBaseImage", "base image %q is built from a variable; pin it in the file", img)
		case !versionTag.MatchString(img):
			r.bad(line, "PinnedBaseImage", "base image %q has no version tag or digest (latest drifts)", img)
		}
		if s.Name != "" {
			names[strings.ToLower(s.Name)] = true
		}
		for _, c := range s.Commands {
			if a, ok := c.(*instructions.AddCommand); ok {
				r.bad(a.Location()[0].Start.Line, "NoAdd", "ADD %v: use COPY for local files and a pinned download in a build step for remote ones", a.SourcePaths)
			}
		}
	}
}

// final checks the stage that becomes the image: it has no shell, runs as
// a non-root user, exposes its port and checks its health.
func (r *report) final(s instructions.Stage) {
	var user string
	var expose, health, entry bool
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			expose = true
		case *instructions.HealthCheckCommand:
			test := c.Health.Test
			health = len(test) > 0 && test[0] != "NONE"
			if len(test) > 0 && test[0] == "CMD-SHELL" {
				r.bad(c.Location()[0].Start.Line, "HealthcheckExecForm", "the HEALTHCHECK needs a shell; the image has none: use the exec form")
			}
		case *instructions.EntrypointCommand:
			entry = true
			r.execForm(c.PrependShell, c.Location(), "ENTRYPOINT")
		case *instructions.CmdCommand:
			r.execForm(c.PrependShell, c.Location(), "CMD")
		}
	}
	line := s.Location[0].Start.Line
	if u := strings.SplitN(user, ":", 2)[0]; u == "" || u == "0" || u == "root" {
		r.bad(line, "NonRootUser", "the final stage runs as root: set USER to a non-root uid")
	}
	for _, m := range []struct {
		ok         bool
		rule, what string
	}{{expose, "Expose", "exposes no port"}, {health, "Healthcheck", "has no HEALTHCHECK"}, {entry, "Entrypoint", "has no ENTRYPOINT"}} {
		if !m.ok {
			r.bad(line, m.rule, "the final stage %s", m.what)
		}
	}
}

func (r *report) execForm(shell bool, loc []parser.Range, what string) {
	if shell {
		r.bad(loc[0].Start.Line, "ExecForm", "%s in shell form: the image has no shell", what)
	}
}
