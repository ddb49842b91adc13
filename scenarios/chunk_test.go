package scenarios

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedFiles returns every scenario file of the package: the built-ins,
// testdata and the bad files.
func seedFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, glob := range []string{"*.yaml", "testdata/*.yaml", "testdata/bad/*.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[p] = data
		}
	}
	return files
}

// samePieceWise fails when reading data in pieces (every list an item at a
// time) gives anything else than reading it whole.
func samePieceWise(t testing.TB, name string, data []byte) {
	t.Helper()
	whole, werr := parse(name, data, false, 0)
	pieces, perr := parse(name, data, true, 0)
	if (werr == nil) != (perr == nil) || werr != nil && werr.Error() != perr.Error() {
		t.Fatalf("%s: errors differ\nwhole:\n%v\npieces:\n%v\ninput:\n%s", name, werr, perr, data)
	}
	if diff := cmp.Diff(whole, pieces); diff != "" {
		t.Fatalf("%s: scenarios differ (-whole +pieces):\n%s\ninput:\n%s", name, diff, data)
	}
}

// inPieces reports whether data is read in pieces, not sent back whole.
func inPieces(data []byte) bool {
	d := newDecoder("f.yaml", data)
	root := d.pieces(data, 0)
	if root == nil {
		return false
	}
	d.scenario(root)
	d.readRest()
	return !d.abandoned
}

// piecesEdgeCases are files whose lines look like cuts but are not, and
// other shapes a cut must respect, with whether they can be read in pieces
// (every list cut into items) or go back to being read whole.
var piecesEdgeCases = []struct {
	pieces bool
	in     string
}{
	{false, "turns:\n  - when: response.create\n    reply: {text: \"one\n  - when: commit\n    two\"}\n"},
	{true, "turns:\n  - when: response.create\n    reply: {text: \"one\n  - when: commit\n  two\"}\n"},
	{false, "turns:\n  - when: response.create\n    reply: {text: 'a\n  - b'}\n  - when: commit\n    user: {transcript: x}\n"},
	{false, "turns: [\n  {when: response.create, reply: {text: a}},\n  {when: commit, user: {transcript: b}}\n]\n"},
	{true, "turns:\n- when: response.create\n  reply: {text: a}\n- when: commit\n  user: {transcript: b}\nname: zero-indented\n"},
	{true, "# a comment\n\nname: x\n# between\nturns:\n  # before the first item\n  - when: response.create\n\n    reply:\n      text: |\n        line one\n        - not an item\n      # a comment in the item\n  - when: commit\n    user: {transcript: y}\n"},
	{true, "turns:\n  - when: response.create\n    reply:\n      text: >\n        folded\n  - when: commit\n    user: {transcript: y}\n"},
	{false, "turns:\n  - when: response.create\n    reply: {text: a}\n  foo: bar\n"},
	{false, "turns:\n    - when: response.create\n      reply: {text: a}\n  - when: commit\n"},
	{true, "turns:\n  -\n    when: response.create\n    reply: {text: a}\n  -   when: commit\n      user: {transcript: b}\n"},
	{false, "name: x\n---\nname: y\n"},
	{false, "turns:\n\t- when: commit\n"},
	{false, "turns:\r\n  - when: commit\r\n    user: {transcript: b}\r\n"},
	{false, "turns: &a\n  - when: response.create\n    reply: {text: a}\nexpect: *a\n"},
	{true, "name: a\nname: b\nturns:\n  - when: commit\n    user: {transcript: b}\n  - when: commit\n    user: {transcript: c}\n"},
	{false, "turns:\n  - when: response.create\n    reply: {text: a}\n  - when: response.create\n    reply: {text: \"unterminated}\n"},
	{false, "- when: commit\n"},
	{false, "\"turns\":\n  - when: commit\n    user: {transcript: b}\n"},
	{true, "turns: # the list\n  - when: commit\n    user: {transcript: b}\n"},
	{true, "turns:\n  - when: commit\n    user: {transcript: b}\n  - when: commit\n    user: {transcript: c}\nturns: []\n"},
	{true, "turns:\n  - when: connect\n    reply: {text: a}\n  - when: connect\n    reply: {text: b}\n  - when: response.create\n    repeat: true\n    reply: {text: c}\n  - when: response.create\n    reply: {text: d}\n"},
	{true, "expect:\n  - client: response.create\n    after: response.function_call_arguments.done\nturns:\n  - when: response.create\n    reply: {function_call: {name: f}}\n"},
	{true, "session: {turn_detection: null}\nexpect:\n  - client: conversation.item.truncate\n    after: input_audio_buffer.speech_started\n"},
}

// TestPiecesReadAsWhole reads every scenario file, edge cases and
// thousands of mutations of them both whole and in pieces, and wants the
// same scenario or the same errors.
func TestPiecesReadAsWhole(t *testing.T) {
	t.Parallel()
	files := seedFiles(t)
	var seeds []string
	for name, data := range files {
		samePieceWise(t, name, data)
		seeds = append(seeds, string(data))
	}
	for _, c := range piecesEdgeCases {
		samePieceWise(t, "edge.yaml", []byte(c.in))
		seeds = append(seeds, c.in)
	}
	r := rand.New(rand.NewSource(1))
	for range 3000 {
		samePieceWise(t, "f.yaml", []byte(mutate(r, seeds[r.Intn(len(seeds))])))
	}
}

// TestPiecesAreUsed makes sure the files above are read in pieces, so that
// TestPiecesReadAsWhole compares two ways of reading and not one with
// itself, and that the edge cases that cannot be cut are read whole.
func TestPiecesAreUsed(t *testing.T) {
	t.Parallel()
	for name, data := range seedFiles(t) {
		if !strings.HasPrefix(name, "testdata/bad/") && !inPieces(data) {
			t.Errorf("%s is not read in pieces", name)
		}
	}
	if !inPieces(largeScenario(1<<20, 3)) {
		t.Error("a large scenario is not read in pieces")
	}
	for i, c := range piecesEdgeCases {
		if got := inPieces([]byte(c.in)); got != c.pieces {
			t.Errorf("edge case %d is read in pieces: %v, want %v:\n%s", i, got, c.pieces, c.in)
		}
	}
}

// valuePool is what mutate writes in place of a value.
var valuePool = []string{"null", "5", "abc", "[1, 2]", "{a: 1}", "-1s", "true", "1e400", "server", "", "0", "1200ms",
	"none", "yes", `"x y"`, "*a", "&a b", "!foo x", "40kHz", "1h", "4x", "[]", "{}", "response.create", "user_speech",
	"commit", "connect", "failed", "incomplete", "0.5", "1011", "1006", "g711_ulaw", "audio/pcmu", "semantic_vad",
	"{type: none}", "{after_played: 10s}", "{name: x}", `"{\"a\": 1}"`, "[100ms, 5ms]", "{between: [3, 1]}",
	"response.done", "conversation.item.truncate", "get_weather", "\"a\n  - b\"", "|\n  x", "[\n  1,\n  2]"}

// mutate changes one to three lines of src: a value replaced, a line
// dropped or doubled.
func mutate(r *rand.Rand, src string) string {
	lines := strings.Split(src, "\n")
	for n := r.Intn(3) + 1; n > 0; n-- {
		i := r.Intn(len(lines))
		l := lines[i]
		switch r.Intn(5) {
		case 0, 1, 2:
			if j := strings.LastIndex(l, ": "); j >= 0 {
				lines[i] = l[:j+2] + valuePool[r.Intn(len(valuePool))]
			} else if j := strings.Index(l, "- "); j >= 0 {
				lines[i] = l[:j+2] + valuePool[r.Intn(len(valuePool))]
			}
		case 3:
			lines = append(lines[:i], lines[i+1:]...)
		case 4:
			lines = append(lines[:i+1], lines[i:]...)
		}
		if len(lines) == 0 {
			lines = []string{""}
		}
	}
	return strings.Join(lines, "\n")
}

// TestLargeScenarioKeepsLittle checks what bounds the memory of a large
// file (BenchmarkParseLarge measures it): it is read in pieces, and the
// decoder keeps no position for the values of the turns it has checked.
func TestLargeScenarioKeepsLittle(t *testing.T) {
	t.Parallel()
	data := largeScenario(2<<20, 3)
	d := newDecoder("large.yaml", data)
	root := d.pieces(data, splitMin)
	if root == nil {
		t.Fatal("not read in pieces")
	}
	sc := d.scenario(root)
	d.readRest()
	if d.abandoned || d.result() != nil {
		t.Fatalf("abandoned %v, errors %v", d.abandoned, d.result())
	}
	if len(sc.Turns) < 5000 || len(d.pos) > 50 || d.scoped != nil {
		t.Errorf("%d turns, %d positions kept (want few), scoped %v", len(sc.Turns), len(d.pos), d.scoped)
	}
	whole, err := parse("large.yaml", data, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	sc.Source = "large.yaml"
	if diff := cmp.Diff(whole, sc); diff != "" {
		t.Errorf("(-whole +pieces):\n%s", diff)
	}
}
