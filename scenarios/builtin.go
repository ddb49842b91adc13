package scenarios

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// maxFileSize bounds what Load reads; scenario files are hand-written.
const maxFileSize = 16 << 20

// Load reads and parses the scenario file at path. A file that cannot be
// read gives an error saying so; a file that does not decode or validate
// gives the [ErrorList] of [Parse], whose entries name path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("load scenario %s: larger than %d MiB", path, maxFileSize>>20)
	}
	return Parse(path, data)
}

// builtinNames returns the names of the built-in scenarios, sorted.
func builtinNames() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		panic("scenarios: built-in scenarios missing: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// parseBuiltin parses the embedded file of a built-in scenario.
func parseBuiltin(name string) (*Scenario, error) {
	file := path.Join("builtin", name+".yaml")
	data, err := builtinFS.ReadFile(file)
	if err != nil {
		return nil, err
	}
	sc, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	sc.Source = "builtin:" + name
	return sc, nil
}

// List returns the built-in scenarios sorted by name. Each call returns
// fresh values that the caller may keep or change.
func List() []*Scenario {
	names := builtinNames()
	list := make([]*Scenario, 0, len(names))
	for _, n := range names {
		sc, err := parseBuiltin(n)
		if err != nil {
			// The tests load every built-in; this cannot ship.
			panic("scenarios: built-in " + n + ": " + err.Error())
		}
		list = append(list, sc)
	}
	return list
}

// Builtin returns the built-in scenario called name. An unknown name gives
// an error wrapping [ErrUnknownScenario] that suggests the closest name.
func Builtin(name string) (*Scenario, error) {
	names := builtinNames()
	if !slices.Contains(names, name) {
		hint := didYouMean(name, names)
		if hint == "" {
			hint = "rtmock scenarios lists them"
		}
		return nil, fmt.Errorf("built-in scenario %q: %w (%s)", name, ErrUnknownScenario, hint)
	}
	return parseBuiltin(name)
}

// Resolve returns the scenario arg names: "builtin:NAME" or a bare NAME (no
// path separator, no .yaml or .yml extension) is a built-in; anything else
// is a path to [Load].
func Resolve(arg string) (*Scenario, error) {
	if name, ok := strings.CutPrefix(arg, "builtin:"); ok {
		return Builtin(name)
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return Load(arg)
	}
	sc, err := Builtin(arg)
	if err != nil {
		return nil, fmt.Errorf("%w; a path needs a \"/\" or a .yaml extension", err)
	}
	return sc, nil
}
