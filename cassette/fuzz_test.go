package cassette

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// addTestdata seeds f with every cassette under testdata.
func addTestdata(f *testing.F) {
	files, err := filepath.Glob("testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed cassettes in testdata: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReader feeds the reader arbitrary files. It must never panic, every
// error must be a *ParseError (the input is in memory, so there are no I/O
// errors), and whatever it accepts must survive a write and a second read
// unchanged.
func FuzzReader(f *testing.F) {
	addTestdata(f)
	f.Add([]byte(`{"rtcassette":1}` + "\n" + `{"t":1e400,"dir":"client","dropped":1}`))
	f.Add([]byte(`{"rtcassette":1}` + "\n" + `{"t":0.02,"dir":"server","audio":{"rtp_ts":4294967295,"seq":65535,"pcm":"AAAA"}}`))
	f.Add([]byte(`{"rtcassette":1}` + "\n" + `{"t":0.04,"dir":"client","audio":{"rtp_ts":960,"seq":1,"pcm":"rtmock-elided:pcm16:960"}}`))
	f.Add([]byte(`{"rtcassette":1}` + "\n" + `{"t":0,"dir":"client","text":"\ud800\udc00\u00e9\\"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(bytes.NewReader(in), "fuzz.jsonl")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if pe.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, c.Header(), nil)
		if err != nil {
			t.Fatalf("header that parsed does not write: %v", err)
		}
		var frames []Frame
		for _, fr := range c.All() {
			frames = append(frames, fr)
			if err := w.WriteFrame(fr); err != nil {
				t.Fatalf("frame that parsed does not write: %v", err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(bytes.NewReader(buf.Bytes()), "rewritten.jsonl")
		if err != nil {
			t.Fatalf("rewritten cassette does not parse: %v\n%s", err, buf.Bytes())
		}
		if c2.Truncated() != nil {
			t.Fatalf("rewritten cassette is truncated: %v", c2.Truncated())
		}
		var again []Frame
		for _, fr := range c2.All() {
			again = append(again, fr)
		}
		// Time is kept to the microsecond; a text event's Type may change
		// when escapes differ, so compare the payloads.
		if diff := cmp.Diff(frames, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("frames changed in a round trip (-first +second):\n%s", diff)
		}
		// Streaming gives the same frames as Parse.
		r, err := NewReader(bytes.NewReader(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			fr, err := r.Next()
			if err == io.EOF {
				if i != c.Len() {
					t.Fatalf("Reader gave %d frames, Parse %d", i, c.Len())
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fr.Data, c.Frame(i).Data) {
				t.Fatalf("frame %d differs between Reader and Parse", i)
			}
		}
	})
}

// FuzzValidLine checks the fast scanner against encoding/json: a payload
// is embedded verbatim exactly when it is valid JSON without line breaks.
func FuzzValidLine(f *testing.F) {
	for _, s := range []string{
		`{"type":"x","a":[1,2.5e-3,-0,true,false,null,{"b":"\u00e9\n"}]}`,
		`{"a":1,}`, `[1,}`, `"\x"`, `01`, `1.`, `-`, `1e`, `{"a" 1}`, "\"\x01\"", `{"a":"b"} `, " \t{}", "{}\n",
		`"\ud800"`, `{"key":"` + b64(100, 7) + `"}`, `"abcdefgh\"ijklmnop"`, `"abcdefg\\"`, "\"abcdefgh\x1f\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := json.Valid(b) && !bytes.ContainsAny(b, "\r\n")
		if got := validLine(b); got != want {
			t.Fatalf("validLine(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

func TestAppendUnquotedMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u20ac"`, `"\ud83d\ude00"`, `"\ud800x"`, `"\udc00"`, `"\ud800\u0041"`} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatal(err)
		}
		got, err := appendUnquoted(nil, []byte(s))
		if err != nil || string(got) != want {
			t.Errorf("appendUnquoted(%s) = %q, %v; want %q", s, got, err, want)
		}
	}
}
