package scenarios

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/faults"

	"github.com/google/go-cmp/cmp"

	"github.com/rtmock/rtmock/realtime"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s is out of date (-want +got), run go test -update:\n%s", path, diff)
	}
}

func TestBuiltinsLoad(t *testing.T) {
	t.Parallel()
	names := builtinNames()
	if len(names) < 12 {
		t.Errorf("%d built-in scenarios, want at least 12", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc, err := Builtin(name)
			if err != nil {
				t.Fatalf("Builtin(%q): %v", name, err)
			}
			if sc.Name != name {
				t.Errorf("name: %q, want the file name %q", sc.Name, name)
			}
			if sc.Source != "builtin:"+name {
				t.Errorf("Source = %q, want builtin:%s", sc.Source, name)
			}
			if sc.Description == "" || strings.Contains(sc.Description, "\n") {
				t.Errorf("description %q: want one line", sc.Description)
			}
			if len(sc.Turns) == 0 {
				t.Errorf("no turns")
			}
		})
	}
}

func TestBuiltinsRequired(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"hello", "audio-turn", "manual-commit", "barge-in", "barge-in-late", "function-call",
		"transcription", "g711", "active-response-race", "invalid-events", "long-monologue", "session-expired"} {
		if _, err := Builtin(name); err != nil {
			t.Errorf("required built-in: %v", err)
		}
	}
}

// TestBuiltinList pins what `rtmock scenarios` prints.
func TestBuiltinList(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	list := List()
	for i, sc := range list {
		if i > 0 && list[i-1].Name >= sc.Name {
			t.Errorf("List not sorted: %q before %q", list[i-1].Name, sc.Name)
		}
		b.WriteString(sc.Name + "\t" + sc.Description + "\n")
	}
	golden(t, "testdata/builtins.golden", b.Bytes())
}

// TestBuiltinSemantics checks what the built-ins promise in their
// descriptions and in the server's contract.
func TestBuiltinSemantics(t *testing.T) {
	t.Parallel()
	get := func(name string) *Scenario {
		sc, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}

	hello := get("hello").Turns[0]
	if hello.When != OnResponseCreate || hello.Reply.Transcript != "Hello! How can I help you today?" {
		t.Errorf("hello: turn %+v", hello)
	}
	a := hello.Reply.Audio
	if a.Duration != 1750*time.Millisecond || !cmp.Equal(a.Chunks, []time.Duration{100 * time.Millisecond, 150 * time.Millisecond, 250 * time.Millisecond}) {
		t.Errorf("hello: audio %+v", a)
	}
	// 24 kHz PCM16 is 48 bytes per ms: 4800, 7200, 12000, then 12000s.
	if got := []int{int(a.Chunks[0].Milliseconds()) * 48, int(a.Chunks[1].Milliseconds()) * 48, int(a.Chunks[2].Milliseconds()) * 48}; !cmp.Equal(got, []int{4800, 7200, 12000}) {
		t.Errorf("hello: chunk bytes %v", got)
	}

	barge := get("barge-in")
	in := barge.Turns[0].Interrupt
	if in == nil || in.AfterPlayed != 1200*time.Millisecond || barge.Turns[0].Reply.AudioDuration() != 5*time.Second {
		t.Errorf("barge-in: turn %+v", barge.Turns[0])
	}
	e := barge.Expect[0]
	if e.Client != realtime.ClientItemTruncate || e.After != AfterInterrupt || e.Within != 500*time.Millisecond ||
		e.Match["content_index"].Equals != 0.0 || *e.Match["audio_end_ms"].Between != [2]float64{1000, 1400} {
		t.Errorf("barge-in: expectation %+v", e)
	}
	if barge.Turns[0].When != OnResponse || !slices.Equal(barge.Premise, []string{PremiseAudioInput, PremiseServerVAD}) {
		t.Errorf("barge-in: turn 1 is taken by %q (want any response), premise %v", barge.Turns[0].When, barge.Premise)
	}

	late := get("barge-in-late")
	var cancelNever bool
	for _, e := range late.Expect {
		if e.Client == realtime.ClientResponseCancel && e.Never {
			cancelNever = true
		}
	}
	if !cancelNever {
		t.Errorf("barge-in-late: no never-cancel expectation")
	}

	if td := get("manual-commit").Session.TurnDetection; td == nil || td.Type != "none" {
		t.Errorf("manual-commit: turn detection %+v, want none", td)
	}
	if s := get("g711").Session; s.InputAudioFormat != "g711_ulaw" || s.OutputAudioFormat != "g711_ulaw" {
		t.Errorf("g711: formats %q %q", s.InputAudioFormat, s.OutputAudioFormat)
	}
	if d := get("long-monologue").Turns[0].Reply.AudioDuration(); d < time.Minute {
		t.Errorf("long-monologue: %v of audio, want at least 1m", d)
	}
	if d := get("session-expired").ExpiresAfter; d <= 0 || d > 10*time.Second {
		t.Errorf("session-expired: expires_after %v", d)
	}
	fc := get("function-call")
	if len(fc.Session.Tools) != 1 || fc.Turns[0].Reply.FunctionCalls[0].Arguments != `{"city":"Paris","unit":"celsius"}` {
		t.Errorf("function-call: %+v", fc.Turns[0].Reply)
	}
	if e := fc.Expect[0]; e.Before != realtime.ClientResponseCreate || e.Match["item.type"].Equals != "function_call_output" {
		t.Errorf("function-call: expectation %+v", e)
	}
	race := get("active-response-race").Expect[0]
	if !race.Never || race.After != "response.created" || race.Until != "response.done" || race.UntilKind() != realtime.KindResponseDone {
		t.Errorf("active-response-race: expectation %+v", race)
	}
	if s := get("transcription").Session; s.InputTranscription == nil || get("transcription").Turns[0].User.Transcript == "" {
		t.Errorf("transcription: %+v", s)
	}
}

// TestKitchenSink decodes files that use every key and compares the result
// field by field.
func TestKitchenSink(t *testing.T) {
	t.Parallel()
	sc, err := Load("testdata/kitchen-sink.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := func(x float64) *float64 { return &x }
	i := func(x int) *int { return &x }
	b := func(x bool) *bool { return &x }
	s := func(x string) *string { return &x }
	ms := time.Millisecond
	want := &Scenario{
		Name:        "kitchen-sink",
		Description: "Every key at least once.",
		Source:      "testdata/kitchen-sink.yaml",
		Dialects:    []string{"preview", "ga"},
		Premise:     []string{PremiseAudioInput, PremiseServerVAD},
		Session: &Session{
			Instructions:      s("Be brief."),
			Voice:             "coral",
			Modalities:        []string{"text", "audio"},
			InputAudioFormat:  "g711_ulaw",
			OutputAudioFormat: "g711_alaw",
			TurnDetection: &TurnDetection{Type: "server_vad", Threshold: f(0.6), PrefixPaddingMs: i(250), SilenceDurationMs: i(400), IdleTimeoutMs: i(6000),
				CreateResponse: b(true), InterruptResponse: b(false)},
			InputTranscription: &Transcription{Model: "gpt-4o-transcribe", Language: "en", Prompt: "Weather words."},
			Tools: []Tool{
				{Name: "get_weather", Description: "Get the weather.", Parameters: map[string]any{
					"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}}},
				{Name: "hang_up"},
			},
			Temperature: f(0.7),
		},
		Pace:         Pace{Mode: PaceLive, Factor: 4},
		Seed:         42,
		ExpiresAfter: 90 * time.Second,
		DefaultReply: &Reply{Text: "I did not catch that.", Status: "completed"},
		Turns: []Turn{
			{When: OnConnect, Reply: &Reply{Transcript: "Welcome.", Status: "completed", Pace: Pace{Mode: PaceRealtime, Factor: 1},
				Audio: &AudioSpec{ToneHz: 1200, Amplitude: 0.25, Duration: 1500 * ms, Chunks: []time.Duration{20 * ms, 40 * ms}}}},
			{When: OnUserSpeech, Repeat: true,
				User:      &UserSpeech{Transcript: "Weather in Paris?", TranscriptionFails: true},
				Reply:     &Reply{Transcript: "Let me check.", Status: "completed", FunctionCalls: []FunctionCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`, CallID: "call_1"}}},
				Interrupt: &Interrupt{AfterPlayed: 300 * ms, Speech: 800 * ms, Transcript: "Hold on."}},
			{When: OnItemCreate, Reply: &Reply{Status: "incomplete", StatusReason: "content_filter", FunctionCalls: []FunctionCall{
				{Name: "get_weather", Arguments: `{"city":"Rome","days":[1,2],"metric":true,"note":null}`},
				{Name: "hang_up", Arguments: "{}"},
			}}},
			{When: OnResponseCreate,
				Error: &ErrorSpec{Type: "invalid_request_error", Code: "invalid_value", Message: "Nope.", Param: "type"},
				Fault: &Fault{CloseCode: 4000, CloseReason: "going away", Delay: 2 * time.Second}},
			{When: OnCommit, User: &UserSpeech{Transcript: "Push to talk."}},
		},
		Expect: []Expectation{
			{Client: "conversation.item.truncate", After: "input_audio_buffer.speech_started", Until: "response.done", Before: "response.create",
				Within: 500 * ms, Description: "Truncate after barge-in.", Match: map[string]Matcher{
					"content_index":       {Equals: 0.0},
					"audio_end_ms":        {Between: &[2]float64{100, 400}},
					"item_id":             {Equals: nil},
					"item.content.0.type": {Equals: []any{"a", "b"}},
				}},
			{Client: "response.create", After: "response.output_audio.delta", Never: true},
		},
		Faults: []faults.Fault{
			{Kind: faults.Drop, Dir: faults.Server, Nth: 1, Match: "response.*audio.delta", Probability: 0.1},
			{Kind: faults.Latency, Dir: faults.Client, Nth: 1, Delay: 50 * ms, Jitter: 10 * ms},
			{Kind: faults.Disconnect, Dir: faults.Server, On: "response.audio.delta", Nth: 3, Code: 1006},
		},
	}
	if diff := cmp.Diff(want, sc); diff != "" {
		t.Errorf("kitchen-sink.yaml (-want +got):\n%s", diff)
	}

	sc2, err := Load("testdata/kitchen-sink-2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if td := sc2.Session.TurnDetection; td.Type != "semantic_vad" || td.Eagerness != "high" {
		t.Errorf("kitchen-sink-2.yaml: turn detection %+v", td)
	}
}

// roundTrip marshals sc and parses it back.
func roundTrip(t *testing.T, sc *Scenario) {
	t.Helper()
	out, err := Marshal(sc)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	back, err := Parse(sc.Source, out)
	if err != nil {
		t.Fatalf("Parse(Marshal(%s)): %v\n%s", sc.Name, err, out)
	}
	if diff := cmp.Diff(sc, back); diff != "" {
		t.Fatalf("round trip of %s (-before +after):\n%s\n%s", sc.Name, diff, out)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, sc := range List() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			roundTrip(t, sc)
		})
	}
	for _, path := range []string{"testdata/kitchen-sink.yaml", "testdata/kitchen-sink-2.yaml"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			sc, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, sc)
		})
	}
}

// TestBadFiles parses every testdata/bad/*.yaml and compares all its errors
// with the .golden file next to it.
func TestBadFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			_, err := Load(path)
			if err == nil {
				t.Fatalf("%s loads without error", path)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList: %v", err, err)
			}
			for _, e := range list {
				if e.Line < 1 || e.File != path {
					t.Errorf("error without a place: %+v", e)
				}
			}
			golden(t, strings.TrimSuffix(path, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

// TestErrors pins the place and wording of the errors people meet first.
func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // the whole error, one line per error
	}{
		{
			name: "unknown top-level key suggests the closest",
			in:   "name: x\ntrun: []\n",
			want: `f.yaml:2:1: unknown key "trun" (did you mean "turns"?)`,
		},
		{
			name: "lines end in CR LF or CR alone",
			in:   "name: x\r\ndescription: y\rtrun: []\r\n",
			want: `f.yaml:3:1: unknown key "trun" (did you mean "turns"?)`,
		},
		{
			name: "key in the wrong mapping names its home",
			in:   "turns:\n  - when: response.create\n    reply:\n      transcript: hi\n      tone: 440Hz\n",
			want: `f.yaml:5:7: turns[0].reply: unknown key "tone" ("tone" is a key of turns[].reply.audio)`,
		},
		{
			name: "camel case key",
			in:   "turns:\n  - when: response.create\n    reply: {transcript: hi, audio: {duration: 5s}}\n    interrupt: {afterPlayed: 1s}\n",
			want: "f.yaml:4:16: turns[0].interrupt: missing required key \"after_played\"\n" +
				`f.yaml:4:17: turns[0].interrupt: unknown key "afterPlayed" (did you mean "after_played"?)`,
		},
		{
			name: "duplicate key points at the first",
			in:   "name: a\ndescription: b\nname: c\n",
			want: `f.yaml:3:1: duplicate key "name" (the first is at line 1:1)`,
		},
		{
			name: "duration without unit",
			in:   "expires_after: 500\n",
			want: `f.yaml:1:16: expires_after: 500 has no unit (write 500ms or 500s)`,
		},
		{
			name: "chunk below 10ms",
			in:   "turns:\n  - when: response.create\n    reply: {audio: {chunk: [100ms, 5ms]}}\n",
			want: `f.yaml:3:36: turns[0].reply.audio.chunk[1]: must be at least 10ms, got 5ms`,
		},
		{
			name: "threshold as a percentage",
			in:   "session:\n  turn_detection: {type: server_vad, threshold: 50}\n",
			want: `f.yaml:2:49: session.turn_detection.threshold: must be between 0 and 1, got 50 (threshold is a fraction; did you mean 0.5?)`,
		},
		{
			name: "milliseconds key given a duration",
			in:   "session:\n  turn_detection: {silence_duration_ms: 200ms}\n",
			want: `f.yaml:2:41: session.turn_detection.silence_duration_ms: want an integer, got a string (silence_duration_ms counts milliseconds: write 200)`,
		},
		{
			name: "hyphenated audio format",
			in:   "session: {input_audio_format: g711-ulaw}\n",
			want: `f.yaml:1:31: session.input_audio_format: unknown input_audio_format "g711-ulaw" (did you mean "g711_ulaw"?)`,
		},
		{
			name: "trigger spelled as the client event",
			in:   "turns:\n  - when: conversation.item.create\n    reply: {text: hi}\n",
			want: `f.yaml:2:11: turns[0].when: unknown when "conversation.item.create" (did you mean "item.create"?)`,
		},
		{
			name: "interrupt after the audio ended",
			in:   "turns:\n  - when: response.create\n    reply: {transcript: hi, audio: {duration: 1s}}\n    interrupt: {after_played: 1200ms}\n",
			want: `f.yaml:4:31: turns[0].interrupt.after_played: after_played 1200ms is not shorter than the reply's 1s of audio: the user would start talking after the audio ended (shorten after_played, or lengthen reply.audio.duration)`,
		},
		{
			name: "user speech in manual mode",
			in:   "session: {turn_detection: null}\nturns:\n  - when: user_speech\n    reply: {text: hi}\n",
			want: `f.yaml:3:11: turns[0].when: a user_speech turn needs voice activity detection, but session.turn_detection is none (use when: commit for push-to-talk, or set session.turn_detection.type to server_vad)`,
		},
		{
			name: "function call without a name",
			in:   "turns:\n  - when: response.create\n    reply: {function_call: {arguments: {a: 1}}}\n",
			want: `f.yaml:3:28: turns[0].reply.function_call: missing required key "name"`,
		},
		{
			name: "server event as the expected client event",
			in:   "expect:\n  - client: response.done\n",
			want: `f.yaml:2:13: expect[0].client: "response.done" is a server event; client names a client event (to start the clock at it, write after: response.done)`,
		},
		{
			name: "yaml syntax error has a line",
			in:   "name: x\ndescription: a: b\n",
			want: `f.yaml:2: invalid YAML: mapping values are not allowed in this context (quote values that contain ": ")`,
		},
		{
			name: "a value that does not decode is not used by later checks",
			in:   "session:\n  turn_detection: {create_response: yes}\nturns:\n  - when: user_speech\n    reply: {text: hi}\n",
			want: `f.yaml:2:37: session.turn_detection.create_response: want true or false, got a string (write true)`,
		},
		{
			name: "a tone out of range is not also checked against G.711",
			in:   "session: {output_audio_format: g711_ulaw}\nturns:\n  - when: response.create\n    reply: {text: hi, audio: {tone: 40kHz}}\n",
			want: `f.yaml:4:37: turns[0].reply.audio.tone: must be between 20Hz and 11000Hz, got 40kHz`,
		},
		{
			name: "value hints belong to their key",
			in:   "session:\n  tools: [{type: server, name: a}]\n",
			want: `f.yaml:2:18: session.tools[0].type: unknown type "server" (one of function)`,
		},
		{
			name: "every error of the file",
			in:   "name: 'bad name'\nseed: x\npace: 4\n",
			want: "f.yaml:1:7: name: \"bad name\" is not a valid name (use letters, digits, '.', '_' and '-', starting with a letter or digit)\n" +
				"f.yaml:2:7: seed: want an integer, got a string\n" +
				"f.yaml:3:7: pace: 4 is not a pace (write 4x for 4 times the live speed)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("f.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error, want:\n%s", tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestManyErrors checks that a file full of errors reports the first ones
// and says there are more, in time linear in the file.
func TestManyErrors(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("turns:\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "  - when: bogus%d\n    reply: {text: 1}\n", i)
	}
	_, err := Parse("f.yaml", []byte(b.String()))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v", err)
	}
	if len(list) != maxErrors+1 || list[maxErrors].Msg != "too many errors" || list[0].Line != 2 {
		t.Errorf("%d errors, first %v, last %v", len(list), list[0], list[len(list)-1])
	}
}

func TestErrorFields(t *testing.T) {
	t.Parallel()
	_, err := Parse("x.yaml", []byte("turns:\n  - when: response.create\n    reply: {transcript: hi, audio: {tone: 40kHz}}\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*Error) failed on %v", err)
	}
	want := &Error{File: "x.yaml", Line: 3, Column: 43, Path: "turns[0].reply.audio.tone", Msg: "must be between 20Hz and 11000Hz, got 40kHz"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseNameDefaultsToFile(t *testing.T) {
	t.Parallel()
	sc, err := Parse("dir/my-scenario.yaml", []byte("turns: [{when: response.create, reply: {text: hi}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "my-scenario" || sc.Source != "dir/my-scenario.yaml" {
		t.Errorf("Name %q Source %q", sc.Name, sc.Source)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"1200ms", 1200 * time.Millisecond, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"2m", 2 * time.Minute, ""},
		{"1m30s", 90 * time.Second, ""},
		{"0", 0, ""},
		{"1200", 0, "invalid duration: 1200 has no unit (write 1200ms or 1200s)"},
		{"1.5", 0, "invalid duration: 1.5 has no unit (write 1.5ms or 1.5s)"},
		{"-5s", 0, "invalid duration: -5s is negative"},
		{"5 s", 0, `invalid duration: "5 s" has a space (write 5s)`},
		{"5sec", 0, `invalid duration: "5sec" is not a duration (units are ms, s, m and h; write durations like 1200ms, 1.5s or 2m)`},
		{"", 0, "invalid duration: empty duration (write durations like 1200ms, 1.5s or 2m)"},
		{"99999999999h", 0, "invalid duration: 99999999999h is out of range (durations go up to about 290 years)"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("ParseDuration(%q) = %v, %q; want %v, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
		}
		if err == nil {
			if back, err := ParseDuration(formatDuration(got)); err != nil || back != got {
				t.Errorf("ParseDuration(formatDuration(%v)) = %v, %v", got, back, err)
			}
		}
	}
}

func TestParsePace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Pace
		wantErr string
	}{
		{"live", Pace{Mode: PaceLive, Factor: 1}, ""},
		{"realtime", Pace{Mode: PaceRealtime, Factor: 1}, ""},
		{"instant", Pace{Mode: PaceInstant, Factor: 1}, ""},
		{"4x", Pace{Mode: PaceLive, Factor: 4}, ""},
		{"0.5x", Pace{Mode: PaceLive, Factor: 0.5}, ""},
		{"4", Pace{}, "invalid pace: 4 is not a pace (write 4x for 4 times the live speed)"},
		{"4X", Pace{}, "invalid pace: 4X is not a pace (write 4x)"},
		{"0x", Pace{}, "invalid pace: the factor of 0x must be between 0.01 and 1000"},
		{"real-time", Pace{}, `invalid pace: unknown pace "real-time" (did you mean "realtime"?)`},
		{"fast", Pace{}, `invalid pace: unknown pace "fast" (use live, realtime, instant or a factor such as 4x)`},
		{"", Pace{}, "invalid pace: empty pace (use live, realtime, instant or a factor such as 4x)"},
	}
	for _, tt := range tests {
		got, err := ParsePace(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("ParsePace(%q) = %+v, %q; want %+v, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("ParsePace(%q).String() = %q", tt.in, got.String())
		}
	}
	var p Pace
	if err := p.Set("2x"); err != nil || p != (Pace{Mode: PaceLive, Factor: 2}) || p.Type() != "pace" {
		t.Errorf("Set(2x): %+v, %v", p, err)
	}
	if (Pace{}).String() != "" {
		t.Errorf("default pace renders as %q", Pace{}.String())
	}
}

func TestParseFrequency(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"440Hz": 440, "440hz": 440, "440": 440, "1.2kHz": 1200, "0.5khz": 500} {
		if got, msg, _ := parseFrequency(in); msg != "" || got != want {
			t.Errorf("parseFrequency(%q) = %v, %q; want %v", in, got, msg, want)
		}
	}
	for _, in := range []string{"440 Hz", "Hz", "abc", "-5Hz", "1e400Hz"} {
		if _, msg, _ := parseFrequency(in); msg == "" {
			t.Errorf("parseFrequency(%q): no error", in)
		}
	}
}

func TestAudioDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply Reply
		want  time.Duration
	}{
		{"explicit duration wins", Reply{Transcript: "Hello", Audio: &AudioSpec{Duration: 3 * time.Second}}, 3 * time.Second},
		{"70ms per character", Reply{Transcript: "Hello! How can I help you today?"}, 32 * 70 * time.Millisecond},
		{"characters, not bytes", Reply{Transcript: "héllo wörld"}, 11 * 70 * time.Millisecond},
		{"at least 500ms", Reply{Transcript: "Hi"}, 500 * time.Millisecond},
		{"text stands in for the transcript", Reply{Text: "0123456789"}, 700 * time.Millisecond},
		{"audio without duration derives too", Reply{Transcript: "0123456789", Audio: &AudioSpec{ToneHz: 300}}, 700 * time.Millisecond},
		{"no message, no audio", Reply{FunctionCalls: []FunctionCall{{Name: "f"}}}, 0},
	}
	for _, tt := range tests {
		if got := tt.reply.AudioDuration(); got != tt.want {
			t.Errorf("%s: AudioDuration() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"hello", "builtin:hello"} {
		sc, err := Resolve(arg)
		if err != nil || sc.Name != "hello" {
			t.Errorf("Resolve(%q) = %v, %v", arg, sc, err)
		}
	}
	sc, err := Resolve("testdata/kitchen-sink.yaml")
	if err != nil || sc.Name != "kitchen-sink" {
		t.Errorf("Resolve(path) = %v, %v", sc, err)
	}
	_, err = Resolve("bargein")
	if !errors.Is(err, ErrUnknownScenario) || !strings.Contains(err.Error(), `did you mean "barge-in"?`) {
		t.Errorf("Resolve(bargein) error = %v", err)
	}
	_, err = Resolve("testdata/missing.yaml")
	if !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("Resolve(missing) error = %v, want not exist without a hint", err)
	}
	// In a checkout, the built-ins are files too.
	if sc, err := Resolve("barge-in.yaml"); err != nil || sc.Name != "barge-in" || sc.Source != "barge-in.yaml" {
		t.Errorf("Resolve(barge-in.yaml) = %v, %v", sc, err)
	}
}

// TestResolveMissingBuiltinPath resolves paths that do not exist but name
// a built-in, as people write them after reading old docs or guessing.
func TestResolveMissingBuiltinPath(t *testing.T) {
	t.Parallel()
	for arg, name := range map[string]string{
		"scenarios/builtin/barge-in.yaml": "barge-in",
		"builtin/barge-in.yaml":           "barge-in",
		"barge-in.yml":                    "barge-in",
		"./barge-in.yml":                  "barge-in",
		`testdata\hello.yaml`:             "hello",
		"testdata/bargein.yaml":           "barge-in",
	} {
		_, err := Resolve(arg)
		if !errors.Is(err, os.ErrNotExist) || !strings.HasSuffix(err.Error(), "; did you mean `"+name+"`?") {
			t.Errorf("Resolve(%q) error = %v, want one ending in did you mean `%s`?", arg, err, name)
		}
	}
	for arg, want := range map[string]string{"scenarios/builtin/barge-in.yaml": "barge-in", "bargein": "barge-in", "x/no-such-thing-at-all.yaml": ""} {
		if got := Suggest(arg); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", arg, got, want)
		}
	}
}

func TestBuiltinFile(t *testing.T) {
	t.Parallel()
	data, err := BuiltinFile("barge-in")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("barge-in.yaml")
	if err != nil || !bytes.Equal(data, file) {
		t.Errorf("BuiltinFile(barge-in) differs from barge-in.yaml: %v", err)
	}
	if _, err := BuiltinFile("bargein"); !errors.Is(err, ErrUnknownScenario) || !strings.Contains(err.Error(), `did you mean "barge-in"?`) {
		t.Errorf("BuiltinFile(bargein) error = %v", err)
	}
}

func TestServes(t *testing.T) {
	t.Parallel()
	both := &Scenario{}
	ga := &Scenario{Dialects: []string{"ga"}}
	if !both.Serves(realtime.Preview) || !both.Serves(realtime.GA) || ga.Serves(realtime.Preview) || !ga.Serves(realtime.GA) {
		t.Error("Serves")
	}
}

func TestMatcher(t *testing.T) {
	t.Parallel()
	between := Matcher{Between: &[2]float64{1000, 1400}}
	tests := []struct {
		m    Matcher
		v    any
		want bool
	}{
		{between, 1200.0, true},
		{between, 1000, true},
		{between, 1400.0, true},
		{between, 999.0, false},
		{between, "1200", false},
		{Matcher{Equals: 0.0}, 0.0, true},
		{Matcher{Equals: 0.0}, 0, true},
		{Matcher{Equals: "function_call_output"}, "function_call_output", true},
		{Matcher{Equals: "a"}, "b", false},
		{Matcher{Equals: nil}, nil, true},
		{Matcher{Equals: []any{"a", 1.0}}, []any{"a", 1.0}, true},
		{Matcher{Equals: []any{"a"}}, []any{"b"}, false},
	}
	for _, tt := range tests {
		if got := tt.m.Matches(tt.v); got != tt.want {
			t.Errorf("%+v.Matches(%v) = %v, want %v", tt.m, tt.v, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics, that every error has a place,
// that reading the file in pieces gives what reading it whole does, and
// that what parses survives Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	for _, data := range seedFiles(f) {
		f.Add(data)
	}
	for _, c := range piecesEdgeCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		samePieceWise(t, "fuzz.yaml", data)
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
			}
			lines := countLines(data)
			for _, e := range list {
				if e.Line < 1 || e.Line > lines || e.File != "fuzz.yaml" || e.Msg == "" {
					t.Fatalf("error without a proper place: %+v (file has %d lines)", e, lines)
				}
			}
			return
		}
		out, err := Marshal(sc)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Parse(Marshal(…)): %v\ninput:\n%s\nmarshalled:\n%s", err, data, out)
		}
		if diff := cmp.Diff(sc, back); diff != "" {
			t.Fatalf("round trip (-before +after):\n%s\ninput:\n%s\nmarshalled:\n%s", diff, data, out)
		}
	})
}
