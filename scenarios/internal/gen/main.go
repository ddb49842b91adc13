// Command gen writes what is generated from the table of the scenario
// language (scenarios/internal/spec): scenarios/schema.json, and the key
// reference and the list of built-in scenarios in docs/scenarios.md. It
// runs from the scenarios directory:
//
//	go generate ./scenarios
//
// Its test fails when a committed file differs from what it would write.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
)

func main() {
	schema := flag.String("schema", "schema.json", "the JSON Schema to write")
	docs := flag.String("docs", "../docs/scenarios.md", "the Markdown page whose generated sections to rewrite")
	flag.Parse()
	changed, err := generate(*schema, *docs, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, f := range changed {
		fmt.Println("gen: wrote", f)
	}
}

// generate computes the generated files and returns those whose content on
// disk differs; with write, it rewrites them.
func generate(schemaPath, docsPath string, write bool) ([]string, error) {
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		return nil, err
	}
	newDoc, err := spliceSections(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", docsPath, err)
	}
	var changed []string
	for _, f := range []struct {
		path string
		data []byte
	}{{schemaPath, schemaJSON()}, {docsPath, newDoc}} {
		old, err := os.ReadFile(f.path)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		if bytes.Equal(old, f.data) {
			continue
		}
		changed = append(changed, f.path)
		if write {
			if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
				return nil, err
			}
		}
	}
	return changed, nil
}
