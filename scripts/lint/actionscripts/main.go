// Command actionscripts writes the bash "run" steps of a composite action
// to files, one per step, so that shellcheck can read them: actionlint
// checks the scripts of workflows but not those of actions.
//
// Usage: go run ./actionscripts action.yml OUT_DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v4"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: actionscripts action.yml OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "actionscripts:", err)
		os.Exit(1)
	}
}

// expr is a ${{ … }} expression, which the runner replaces before bash
// sees the script.
var expr = regexp.MustCompile(`\$\{\{[^}]*\}\}`)

func run(path, out string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var action struct {
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Name  string `yaml:"name"`
				Run   string `yaml:"run"`
				Shell string `yaml:"shell"`
				Uses  string `yaml:"uses"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if action.Runs.Using != "composite" {
		return fmt.Errorf("%s: runs.using is %q, want composite", path, action.Runs.Using)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, s := range action.Runs.Steps {
		switch {
		case s.Run == "":
			continue
		case s.Shell == "":
			return fmt.Errorf("%s: step %d (%s) has run but no shell, which composite actions require", path, i+1, s.Name)
		case s.Shell != "bash":
			continue
		}
		// The runner runs bash -e -o pipefail; expressions become a placeholder word.
		script := "#!/usr/bin/env bash\nset -eo pipefail\n" + expr.ReplaceAllString(s.Run, "EXPR")
		if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("step-%02d.sh", i+1)), []byte(script), 0o644); err != nil {
			return err
		}
	}
	return nil
}
