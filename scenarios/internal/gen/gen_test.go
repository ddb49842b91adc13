package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const (
	schemaPath = "../../schema.json"
	docsPath   = "../../../docs/scenarios.md"
)

// TestGeneratedUpToDate fails when schema.json or the generated sections of
// docs/scenarios.md are not what the table and the built-ins give.
func TestGeneratedUpToDate(t *testing.T) {
	t.Parallel()
	changed, err := generate(schemaPath, docsPath, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) > 0 {
		t.Errorf("%s differ from what scenarios/internal/spec generates: run go generate ./scenarios", strings.Join(changed, " and "))
	}
}

// TestGenerateFindsDrift edits copies of the generated files and checks
// that generate notices, and that writing puts them back.
func TestGenerateFindsDrift(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	schema, docs := filepath.Join(dir, "schema.json"), filepath.Join(dir, "scenarios.md")
	for _, c := range []struct{ from, to, edit string }{{schemaPath, schema, `"title"`}, {docsPath, docs, "| `barge-in` |"}} {
		data, err := os.ReadFile(c.from)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), c.edit) {
			t.Fatalf("%s has no %s to edit", c.from, c.edit)
		}
		if err := os.WriteFile(c.to, []byte(strings.Replace(string(data), c.edit, c.edit+" edited", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	changed, err := generate(schema, docs, true)
	if err != nil || !slices.Equal(changed, []string{schema, docs}) {
		t.Fatalf("generate found %q, %v; want both files", changed, err)
	}
	if changed, err := generate(schema, docs, false); err != nil || len(changed) > 0 {
		t.Errorf("after writing, generate still finds %q, %v", changed, err)
	}
}

func TestMissingMarkers(t *testing.T) {
	t.Parallel()
	if _, err := spliceSections([]byte("# A page without markers\n")); err == nil {
		t.Error("no error for a page without markers")
	}
}

// TestExamplesAreYAML keeps the reference's examples valid YAML values.
func TestExamplesAreYAML(t *testing.T) {
	t.Parallel()
	for _, o := range spec.Objects {
		for _, f := range o.Fields {
			if _, ok := exampleValue(f.Example); !ok {
				t.Errorf("%s.%s: example %q is not a YAML value", o.Name, f.Key, f.Example)
			}
		}
	}
}
