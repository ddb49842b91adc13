package recorder

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBadInputDocNamesRealTests checks that every test the hand-written
// sections of docs/bad-input.md name exists, so that the table cannot
// point at a test that was renamed or never written.
func TestBadInputDocNamesRealTests(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/bad-input.md")
	if err != nil {
		t.Fatal(err)
	}
	_, handwritten, ok := strings.Cut(string(doc), "\n## Recorder")
	if !ok {
		t.Fatal(`docs/bad-input.md has no "## Recorder" section`)
	}
	var sources strings.Builder
	for _, dir := range []string{".", "../cassette", "../internal/roundtrip"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sources.Write(b)
		}
	}
	names := regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(handwritten, -1)
	if len(names) < 20 {
		t.Fatalf("only %d tests named in the hand-written sections", len(names))
	}
	for _, m := range names {
		if !strings.Contains(sources.String(), "func "+m[1]+"(") {
			t.Errorf("docs/bad-input.md names %s, which no test file defines", m[1])
		}
	}
}
