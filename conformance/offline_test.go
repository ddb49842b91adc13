package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"github.com/rtmock/rtmock/cassette"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

func TestWrittenSessionReadsBackToTheSameVerdicts(t *testing.T) {
	t.Parallel()
	s := interrupted(cli(650, truncate("2000")))
	s.Path, s.Provider = "/openai/realtime", "azure"
	var b bytes.Buffer
	if err := conformance.WriteSession(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `{"rtcassette":1`) {
		t.Fatalf("not a cassette:\n%s", b.String())
	}
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := conformance.LoadSession(path)
	if err != nil {
		t.Fatal(err)
	}
	// The close is written as a frame of its own and read back as one.
	if back.Dialect != realtime.Preview || back.Close != s.Close || len(back.Frames) != len(s.Frames)+1 || back.Frames[len(s.Frames)].Kind != cassette.KindClose {
		t.Fatalf("read back dialect %s, close %+v, %d frames; want %s, %+v, %d and the close", back.Dialect, back.Close, len(back.Frames), s.Dialect, s.Close, len(s.Frames))
	}
	status := func(vs []conformance.Verdict) map[string]conformance.Status {
		m := map[string]conformance.Status{}
		for _, v := range vs {
			m[v.Rule] = v.Status
		}
		return m
	}
	if diff := cmp.Diff(status(conformance.Check(nil, s)), status(conformance.Check(nil, back))); diff != "" {
		t.Errorf("verdicts differ after a round trip (-written +read):\n%s", diff)
	}
}

func TestFrameLinesWithoutHeaderAreRead(t *testing.T) {
	t.Parallel()
	lines := `{"t":0.001,"dir":"server","event":{"type":"session.created","event_id":"e","session":{"id":"sess_9","type":"realtime","output_modalities":["audio"]}}}
{"t":0.010,"dir":"client","event":{"type":"ping"}}
{"t":0.020,"dir":"server","event":{"type":"conversation.item.added","event_id":"e2","item":{"id":"i"}}}
{"t":1.000,"dir":"client","close":{"code":1000,"reason":""}}
`
	s, err := conformance.ReadSession(strings.NewReader(lines), "frames.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	// Three messages and the close, which is kept as a frame too.
	if s.Dialect != realtime.GA || s.ID != "sess_9" || s.Close.Code != 1000 || len(s.Frames) != 4 {
		t.Errorf("dialect %q, id %q, close %+v, %d frames; want ga, sess_9, 1000, 4", s.Dialect, s.ID, s.Close, len(s.Frames))
	}
	if v := conformance.Check([]*conformance.Rule{conformance.RuleByID(conformance.RuleEventTypes)}, s)[0]; v.Status != conformance.Fail {
		t.Errorf("the ping was not caught: %+v", v)
	}
}

func TestBadRecordingIsAnErrorNamingTheLine(t *testing.T) {
	t.Parallel()
	_, err := conformance.ReadSession(strings.NewReader(`{"t":0.001,"dir":"server","event":{"type":"x"}}`+"\n"+`{"t":"soon"}`+"\n"), "bad.jsonl")
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Errorf("err = %v, want one naming bad.jsonl:2", err)
	}
}

func TestReportsInEveryFormat(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Builtin("barge-in")
	if err != nil {
		t.Fatal(err)
	}
	rep := conformance.Judge("barge-in.jsonl", sc, nil, interrupted())

	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAIL barge-in.jsonl [preview]", "fail  RT-BARGEIN-TRUNCATE", `0.600s server {"type":"input_audio_buffer.speech_started"`, "expected: one conversation.item.truncate", "fail  EXPECT-1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Passed bool
		Runs   []struct {
			Verdicts []struct {
				Rule, Status string
				Findings     []struct {
					T      float64
					Frames []struct{ Dir, Frame string }
				}
			}
		}
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Passed || len(got.Runs) != 1 || got.Runs[0].Verdicts[0].Rule != conformance.RuleBargeInTruncate ||
		got.Runs[0].Verdicts[0].Status != "fail" || got.Runs[0].Verdicts[0].Findings[0].T != 0.6 {
		t.Errorf("JSON report: %s", js.String())
	}

	var x bytes.Buffer
	if err := rep.WriteJUnit(&x); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x.Bytes(), &suites); err != nil {
		t.Fatalf("JUnit report does not parse: %v\n%s", err, x.String())
	}
	if len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != len(conformance.Rules())+len(sc.Expect) || suites.Suites[0].Failures != 2 {
		t.Errorf("JUnit report: %d suites, want 1 with a case per rule and expectation and 2 failures:\n%s", len(suites.Suites), x.String())
	}
}

func FuzzCheckNeverPanics(f *testing.F) {
	f.Add([]byte(created), []byte(truncate("1.5")))
	f.Add([]byte(createdGA), []byte(`{"type":"session.update","session":{"audio":{"input":7}}}`))
	f.Add([]byte(`{"type":"response.done","response":{"output":[{"type":"function_call"}]}}`), []byte(`{"type":"input_audio_buffer.append","audio":"==="}`))
	f.Fuzz(func(t *testing.T, server, client []byte) {
		s := &conformance.Session{Dialect: realtime.GA, Frames: []cassette.Frame{
			{Dir: cassette.Server, Kind: cassette.KindText, Data: server},
			{T: 1, Dir: cassette.Client, Kind: cassette.KindText, Data: client},
			{T: 2, Dir: cassette.Server, Kind: cassette.KindText, Data: []byte(speech)},
			{T: 3, Dir: cassette.Client, Kind: cassette.KindText, Data: client},
		}}
		for i := range s.Frames {
			if h, err := realtime.Peek(s.Frames[i].Data); err == nil {
				s.Frames[i].Type = h.Type
			}
		}
		conformance.Check(nil, s)
	})
}
