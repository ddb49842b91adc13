package cassette

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var testHeader = Header{
	Version:  Version,
	Created:  time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	ID:       "s1",
	Dialect:  "preview",
	Provider: "azure",
	Endpoint: Endpoint{
		Path:  "/openai/realtime",
		Query: map[string]string{"api-version": "2024-10-01-preview", "deployment": "gpt-4o-realtime-preview"},
	},
	Recorder: "rtrecord test",
}

// write renders frames as a cassette.
func write(t *testing.T, h Header, opts *WriterOptions, frames ...Frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLineFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		frame Frame
		want  string
	}{
		{"a JSON event is kept verbatim", Frame{T: 4123 * time.Microsecond, Dir: Server, Kind: KindText, Data: []byte(`{"type":"session.created", "event_id":"e1"}`)},
			`{"t":0.004123,"dir":"server","event":{"type":"session.created", "event_id":"e1"}}`},
		{"text that is not JSON is a string", Frame{T: time.Second, Dir: Client, Kind: KindText, Data: []byte(`hello "you"`)},
			`{"t":1.000000,"dir":"client","text":"hello \"you\""}`},
		{"JSON spread over lines is a string", Frame{Dir: Client, Kind: KindText, Data: []byte("{\n\"type\":\"x\"}\n")},
			`{"t":0.000000,"dir":"client","text":"{\n\"type\":\"x\"}\n"}`},
		{"binary is base64", Frame{T: 1500 * time.Millisecond, Dir: Client, Kind: KindBinary, Data: []byte{0, 1, 2}},
			`{"t":1.500000,"dir":"client","binary":"AAEC"}`},
		{"close", Frame{T: 9870 * time.Millisecond, Dir: Client, Kind: KindClose, Code: 1000},
			`{"t":9.870000,"dir":"client","close":{"code":1000,"reason":""}}`},
		{"transport error", Frame{T: 2 * time.Second, Dir: Server, Kind: KindError, Reason: "EOF"},
			`{"t":2.000000,"dir":"server","error":"EOF"}`},
		{"failed handshake", Frame{Dir: Server, Kind: KindHTTP, Code: 401, Header: map[string]string{"Retry-After": "3", "Content-Type": "text/plain"}, Data: []byte("denied")},
			`{"t":0.000000,"dir":"server","http":{"status":401,"headers":{"Content-Type":"text/plain","Retry-After":"3"},"body":"denied"}}`},
		{"dropped frames", Frame{T: time.Minute, Dir: Server, Kind: KindDropped, Code: 17},
			`{"t":60.000000,"dir":"server","dropped":17}`},
		{"time rounds to the microsecond", Frame{T: 1499 * time.Nanosecond, Dir: Server, Kind: KindDropped, Code: 1},
			`{"t":0.000001,"dir":"server","dropped":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := write(t, testHeader, nil, tt.frame)
			lines := strings.SplitAfter(string(out), "\n")
			if got := lines[1]; got != tt.want+"\n" {
				t.Errorf("line:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestHeaderLine(t *testing.T) {
	t.Parallel()
	out := write(t, testHeader, nil)
	want := `{"rtcassette":1,"created":"2026-11-25T12:00:00Z","id":"s1","dialect":"preview","provider":"azure","endpoint":{"path":"/openai/realtime","query":{"api-version":"2024-10-01-preview","deployment":"gpt-4o-realtime-preview"}},"recorder":"rtrecord test"}` + "\n"
	if string(out) != want {
		t.Errorf("header:\n got %s\nwant %s", out, want)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	frames := []Frame{
		{T: 4123 * time.Microsecond, Dir: Server, Kind: KindText, Data: []byte(`{"type":"session.created","event_id":"e1","session":{}}`), Type: "session.created"},
		{T: 120 * time.Millisecond, Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"AAAA"}`), Type: "input_audio_buffer.append"},
		{T: 121 * time.Millisecond, Dir: Client, Kind: KindText, Data: []byte("not json \xff\x00 \u2028")},
		{T: 122 * time.Millisecond, Dir: Client, Kind: KindText, Data: []byte("{\"type\":\"x\"}\r\n"), Type: "x"},
		{T: 130 * time.Millisecond, Dir: Client, Kind: KindBinary, Data: []byte{0, 1, 2, 255}},
		{T: 131 * time.Millisecond, Dir: Client, Kind: KindBinary, Data: []byte{}},
		{T: 2 * time.Second, Dir: Server, Kind: KindDropped, Code: 3},
		{T: 3 * time.Second, Dir: Server, Kind: KindError, Reason: "read: connection reset by peer"},
		{T: 4 * time.Second, Dir: Server, Kind: KindHTTP, Code: 429, Header: map[string]string{"Retry-After": "1"}, Data: []byte(`{"error":"slow down"}`)},
		{T: 5 * time.Second, Dir: Client, Kind: KindAudio, Data: []byte{1, 0, 255, 255}, RTP: RTPStamp{Timestamp: 4294967295, Seq: 65535}},
		{T: 5020 * time.Millisecond, Dir: Server, Kind: KindAudio, Data: []byte{}, RTP: RTPStamp{Timestamp: 960}},
		{T: 9 * time.Second, Dir: Client, Kind: KindClose, Code: 4000, Reason: "bye \"now\""},
	}
	out := write(t, testHeader, nil, frames...)
	c, err := Parse(bytes.NewReader(out), "rt.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testHeader, c.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var got []Frame
	for _, f := range c.All() {
		got = append(got, f)
	}
	if diff := cmp.Diff(frames, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
	if c.Truncated() != nil {
		t.Errorf("Truncated() = %v, want nil", c.Truncated())
	}
}

func TestReaderErrors(t *testing.T) {
	t.Parallel()
	const hdr = `{"rtcassette":1,"created":"2026-11-25T12:00:00Z","endpoint":{"path":"/v1/realtime"}}` + "\n"
	tests := []struct {
		name    string
		in      string
		wantErr string
		is      error
	}{
		{"empty file", "", "cassette x.jsonl:1: empty file, expected a header line", nil},
		{"audio without its timing", hdr + `{"t":1,"dir":"client","audio":{"pcm":"AAAA"}}` + "\n", `cassette x.jsonl:2:31: audio must be {"rtp_ts":N,"seq":N,"pcm":"<base64 PCM16>"}`, nil},
		{"audio of half a sample", hdr + `{"t":1,"dir":"client","audio":{"rtp_ts":1,"seq":2,"pcm":"AA=="}}` + "\n", `cassette x.jsonl:2:31: audio must be {"rtp_ts":N,"seq":N,"pcm":"<base64 PCM16>"}`, nil},
		{"header is not JSON", "hello\n", "cassette x.jsonl:1:1: bad header: invalid character 'h' looking for beginning of value", nil},
		{"header without version", `{"created":"2026-11-25T12:00:00Z"}` + "\n", `cassette x.jsonl:1:1: not a cassette: the header has no "rtcassette" version`, nil},
		{"unknown version", `{"rtcassette":2}` + "\n", "cassette x.jsonl:1:2: unknown cassette version 2 (this build reads version 1)", ErrUnknownVersion},
		{"frame is not an object", hdr + "[1]\n", "cassette x.jsonl:2:1: a frame must be a JSON object", nil},
		{"bad JSON in a frame", hdr + `{"t":0.1,"dir":"client","event":{"type":}}` + "\n", `cassette x.jsonl:2:41: invalid character '}' looking for a value`, nil},
		{"bad direction", hdr + `{"t":0.1,"dir":"sideways","dropped":1}` + "\n", `cassette x.jsonl:2:16: dir must be "client" or "server", not "sideways"`, nil},
		{"negative time", hdr + `{"t":-1,"dir":"client","dropped":1}` + "\n", "cassette x.jsonl:2:6: t must be >= 0 seconds, not -1", nil},
		{"no time", hdr + `{"dir":"client","dropped":1}` + "\n", `cassette x.jsonl:2:1: the frame has no time "t"`, nil},
		{"no kind", hdr + `{"t":1,"dir":"client"}` + "\n", "cassette x.jsonl:2:1: the frame has none of event, text, binary, close, error, http, dropped, fault, audio", nil},
		{"two kinds", hdr + `{"t":1,"dir":"client","dropped":1,"error":"x"}` + "\n", "cassette x.jsonl:2:43: a frame has exactly one of event, text, binary, close, error, http, dropped, fault, audio; this one has dropped and error", nil},
		{"bad base64", hdr + `{"t":1,"dir":"client","binary":"!!"}` + "\n", "cassette x.jsonl:2:32: binary: illegal base64 data at input byte 0", nil},
		{"bad line in the middle", hdr + "{\"t\":1\n" + `{"t":1,"dir":"client","dropped":1}` + "\n", "cassette x.jsonl:2:8: unexpected end of input in object", nil},
		{"time past the largest duration", hdr + `{"t":1e12,"dir":"client","dropped":1}` + "\n", "cassette x.jsonl:2:6: t is 1e12 seconds, more than the largest time a cassette can hold (9223372036 seconds, about 292 years)", nil},
		{"time far past it", hdr + `{"t":1e400,"dir":"client","dropped":1}` + "\n", "cassette x.jsonl:2:6: t is 1e400 seconds, more than the largest time a cassette can hold (9223372036 seconds, about 292 years)", nil},
		{"time that is not a number", hdr + `{"t":"soon","dir":"client","dropped":1}` + "\n", `cassette x.jsonl:2:6: t must be a number of seconds, not "soon"`, nil},
		{"no direction", hdr + `  {"t":1,"dropped":1}` + "\n", `cassette x.jsonl:2:3: the frame has no direction "dir"`, nil},
		{"a byte order mark before a bad header", "\uFEFF" + `{"created":1}` + "\n", `cassette x.jsonl:1:1: not a cassette: the header has no "rtcassette" version`, nil},
		{"data after the frame", hdr + `{"t":1,"dir":"client","dropped":1} x` + "\n", "cassette x.jsonl:2:36: unexpected data after the frame", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(strings.NewReader(tt.in), "x.jsonl")
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error:\n got %s\nwant %s", err, tt.wantErr)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
		})
	}
}

func TestTruncatedLastLine(t *testing.T) {
	t.Parallel()
	full := write(t, testHeader, nil,
		Frame{T: time.Millisecond, Dir: Server, Kind: KindText, Data: []byte(`{"type":"session.created"}`)},
		Frame{T: 2 * time.Millisecond, Dir: Client, Kind: KindText, Data: []byte(`{"type":"response.create"}`)},
	)
	// Cut the file at every byte of the last line: the first frame always
	// survives and the cut is a warning, not an error.
	lastStart := bytes.LastIndexByte(full[:len(full)-1], '\n') + 1
	for cut := lastStart + 1; cut < len(full)-1; cut++ {
		c, err := Parse(bytes.NewReader(full[:cut]), "cut.jsonl")
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if c.Len() != 1 {
			t.Fatalf("cut at %d: %d frames, want 1", cut, c.Len())
		}
		tr := c.Truncated()
		if tr == nil || tr.Line != 3 || !strings.Contains(tr.Error(), "truncated last line") {
			t.Fatalf("cut at %d: Truncated() = %v, want a warning for line 3", cut, tr)
		}
	}
	// Without only its final line break, the last frame is complete.
	c, err := Parse(bytes.NewReader(full[:len(full)-1]), "nonl.jsonl")
	if err != nil || c.Len() != 2 || c.Truncated() != nil {
		t.Errorf("file without final newline: %d frames, truncated %v, err %v; want 2, nil, nil", c.Len(), c.Truncated(), err)
	}
}

func TestReaderSkipsBlankLinesAndCRLF(t *testing.T) {
	t.Parallel()
	in := `{"rtcassette":1,"endpoint":{"path":"/v1/realtime"}}` + "\r\n\r\n" + `{"t":1,"dir":"client","dropped":1}` + "\r\n   \n"
	c, err := Parse(strings.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1 || c.Frame(0).Code != 1 {
		t.Errorf("got %d frames, want the one dropped frame", c.Len())
	}
}

func TestReaderLongLine(t *testing.T) {
	t.Parallel()
	payload := `{"type":"input_audio_buffer.append","audio":"` + strings.Repeat("A", 300<<10) + `"}`
	out := write(t, testHeader, nil, Frame{Dir: Client, Kind: KindText, Data: []byte(payload)})
	c, err := Parse(bytes.NewReader(out), "")
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Frame(0).Data) != payload {
		t.Error("long frame changed in a round trip")
	}
	r, err := NewReader(bytes.NewReader(out), &ReaderOptions{MaxLine: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || err.Error() != "cassette line 2: line longer than 1000 bytes" {
		t.Errorf("Next with a line over MaxLine = %v, want the line refused", err)
	}
}

func TestReaderDataValidUntilNext(t *testing.T) {
	t.Parallel()
	out := write(t, testHeader, nil,
		Frame{Dir: Client, Kind: KindText, Data: []byte("first")},
		Frame{Dir: Client, Kind: KindText, Data: []byte(`{"type":"second"}`)},
	)
	r, err := NewReader(bytes.NewReader(out), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(f.Data)+"/"+f.Type)
	}
	if diff := cmp.Diff([]string{"first/", `{"type":"second"}/second`}, got); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestWriterRejects(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, Header{Version: 7}, nil); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("NewWriter(version 7) = %v, want ErrUnknownVersion", err)
	}
	w, err := NewWriter(&buf, Header{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(Frame{Dir: "up", Kind: KindText}); err == nil {
		t.Error("WriteFrame accepted direction \"up\"")
	}
	if err := w.WriteFrame(Frame{Dir: Client}); err == nil {
		t.Error("WriteFrame accepted a frame without kind")
	}
}

// oneWrite records each Write call.
type oneWrite struct{ calls [][]byte }

func (o *oneWrite) Write(p []byte) (int, error) {
	o.calls = append(o.calls, bytes.Clone(p))
	return len(p), nil
}

func TestWriterWritesWholeLines(t *testing.T) {
	t.Parallel()
	var o oneWrite
	w, err := NewWriter(&o, testHeader, &WriterOptions{FlushSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := w.WriteFrame(Frame{T: time.Duration(i) * time.Millisecond, Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"AAAA"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(o.calls) < 3 {
		t.Fatalf("%d Write calls, want the buffer flushed several times", len(o.calls))
	}
	for i, p := range o.calls {
		if len(p) == 0 || p[len(p)-1] != '\n' {
			t.Errorf("Write call %d does not end with a whole line: %q", i, p)
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestWriterErrorIsSticky(t *testing.T) {
	t.Parallel()
	w, err := NewWriter(&failWriter{n: 1}, testHeader, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteFrame(Frame{Dir: Client, Kind: KindDropped})
	if err := w.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush = %v, want disk full", err)
	}
	if err := w.WriteFrame(Frame{Dir: Client, Kind: KindDropped}); err == nil {
		t.Error("WriteFrame after a failed flush succeeded")
	}
}

func TestLoadAndSave(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(src, write(t, testHeader, nil,
		Frame{T: time.Millisecond, Dir: Client, Kind: KindText, Data: []byte(`{"type":"session.update","session":{"instructions":"call sk-secret-1"}}`)},
	), 0o640); err != nil {
		t.Fatal(err)
	}
	c, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(src, &WriterOptions{Redactor: NewRedactor("sk-secret-1")}); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("sk-secret-1")) || !bytes.Contains(out, []byte(`call [REDACTED]`)) {
		t.Errorf("saved cassette not scrubbed:\n%s", out)
	}
	if st, _ := os.Stat(src); st.Mode().Perm() != 0o640 {
		t.Errorf("mode after save = %v, want the original 0640", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after save, want 1 (no temporary file left)", len(entries))
	}
	if _, err := Load(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestSaveFailureLeavesOriginal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.jsonl")
	orig := write(t, testHeader, nil)
	os.WriteFile(path, orig, 0o600)
	c := &Cassette{header: Header{Version: 9}}
	if err := c.Save(path, nil); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("Save = %v, want ErrUnknownVersion", err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, orig) {
		t.Error("failed save changed the original")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("failed save left %d entries, want 1", len(entries))
	}
}

func TestTestdata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		frames    int
		truncated bool
		wantErr   error
	}{
		{"session.jsonl", 11, false, nil},
		{"failed.jsonl", 1, false, nil},
		{"truncated.jsonl", 4, true, nil},
		{"version2.jsonl", 0, false, ErrUnknownVersion},
		{"badheader.jsonl", 0, false, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c, err := Load(filepath.Join("testdata", tt.file))
			switch {
			case tt.wantErr == errAny && err != nil:
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Load = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if c.Len() != tt.frames || (c.Truncated() != nil) != tt.truncated {
				t.Errorf("%d frames, truncated %v; want %d, %v", c.Len(), c.Truncated(), tt.frames, tt.truncated)
			}
		})
	}
}

var errAny = errors.New("any error")

// A cassette saved by an editor that starts UTF-8 files with a byte order
// mark reads as it would without one.
func TestReaderSkipsAByteOrderMark(t *testing.T) {
	t.Parallel()
	plain := write(t, testHeader, nil, Frame{T: time.Second, Dir: Client, Kind: KindText, Data: []byte(`{"type":"response.create"}`)})
	c, err := Parse(bytes.NewReader(append([]byte("\uFEFF"), plain...)), "bom.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1 || c.Frame(0).Type != "response.create" || c.Header().ID != testHeader.ID {
		t.Errorf("%d frames, header %+v", c.Len(), c.Header())
	}
}
