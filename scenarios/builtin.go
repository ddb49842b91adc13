package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// The built-in scenarios are the YAML files next to this one: in a
// checkout, "rtmock serve scenarios/barge-in.yaml" serves the file and
// "rtmock serve barge-in" the same scenario, embedded.
//
//go:embed *.yaml
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
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= maxFileSize {
		buf.Grow(int(fi.Size()) + bytes.MinRead) // read once, without growing
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	data := buf.Bytes()
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("load scenario %s: larger than %d MiB", path, maxFileSize>>20)
	}
	return Parse(path, data)
}

// builtinNames returns the names of the built-in scenarios, sorted.
func builtinNames() []string {
	entries, err := fs.ReadDir(builtinFS, ".")
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
	file := name + ".yaml"
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
	if err := checkBuiltin(name); err != nil {
		return nil, err
	}
	return parseBuiltin(name)
}

// BuiltinFile returns the YAML file of the built-in scenario called name,
// comments and all: a template to copy and edit. An unknown name gives the
// error of [Builtin].
func BuiltinFile(name string) ([]byte, error) {
	if err := checkBuiltin(name); err != nil {
		return nil, err
	}
	return builtinFS.ReadFile(name + ".yaml")
}

func checkBuiltin(name string) error {
	names := builtinNames()
	if slices.Contains(names, name) {
		return nil
	}
	hint := didYouMean(name, names)
	if hint == "" {
		hint = "rtmock scenarios lists them"
	}
	return fmt.Errorf("built-in scenario %q: %w (%s)", name, ErrUnknownScenario, hint)
}

// Resolve returns the scenario arg names: "builtin:NAME" or a bare NAME (no
// path separator, no .yaml or .yml extension) is a built-in; anything else
// is a path to [Load]. A path that does not exist but names a built-in
// ("scenarios/builtin/barge-in.yaml", "barge-in.yml") gets an error that
// wraps [fs.ErrNotExist] and ends in "did you mean `barge-in`?".
func Resolve(arg string) (*Scenario, error) {
	if name, ok := strings.CutPrefix(arg, "builtin:"); ok {
		return Builtin(name)
	}
	if !isPath(arg) {
		sc, err := Builtin(arg)
		if err != nil {
			return nil, fmt.Errorf("%w; a path needs a \"/\" or a .yaml extension", err)
		}
		return sc, nil
	}
	sc, err := Load(arg)
	if errors.Is(err, fs.ErrNotExist) {
		if name := Suggest(arg); name != "" {
			return nil, fmt.Errorf("%w; did you mean `%s`?", err, name)
		}
	}
	return sc, err
}

// isPath reports whether Resolve takes arg as a path.
func isPath(arg string) bool {
	return strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml")
}

// Suggest returns the built-in scenario that arg most likely means, or ""
// when none is close: arg is a name or a path that does not exist, whose
// file name, without its directory and a .yaml or .yml extension, is
// compared with the built-ins' names. "scenarios/builtin/barge-in.yaml",
// "./barge-in.yml" and "bargein" all give "barge-in".
func Suggest(arg string) string {
	base := arg[strings.LastIndexAny(arg, `/\`)+1:]
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	names := builtinNames()
	if slices.Contains(names, base) {
		return base
	}
	return suggest(base, names)
}
