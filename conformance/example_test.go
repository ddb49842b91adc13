package conformance_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/refclient"
	"github.com/rtmock/rtmock/realtime"
)

// A recorded session is judged offline: here a client that truncates an
// assistant item at 900 ms although the user interrupted it after 300 ms
// of playback.
func Example() {
	recording := strings.Join([]string{
		`{"t":0.000,"dir":"server","event":{"type":"session.created","event_id":"e1","session":{"id":"sess_1","object":"realtime.session","voice":"alloy","input_audio_format":"pcm16","output_audio_format":"pcm16","turn_detection":{"type":"server_vad"}}}}`,
		`{"t":0.010,"dir":"client","event":{"type":"response.create"}}`,
		`{"t":0.200,"dir":"server","event":{"type":"response.created","event_id":"e2","response":{"id":"resp_1","status":"in_progress","conversation_id":"conv_1"}}}`,
		`{"t":0.300,"dir":"server","event":{"type":"response.audio.delta","event_id":"e3","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"rtmock-elided:pcm16:96000"}}`,
		`{"t":0.400,"dir":"server","event":{"type":"response.done","event_id":"e4","response":{"id":"resp_1","status":"completed","output":[]}}}`,
		`{"t":0.600,"dir":"server","event":{"type":"input_audio_buffer.speech_started","event_id":"e5","audio_start_ms":0,"item_id":"item_2"}}`,
		`{"t":0.650,"dir":"client","event":{"type":"conversation.item.truncate","item_id":"item_1","content_index":0,"audio_end_ms":900}}`,
		`{"t":1.000,"dir":"client","close":{"code":1000,"reason":""}}`,
	}, "\n")
	s, err := conformance.ReadSession(strings.NewReader(recording), "recording.jsonl")
	if err != nil {
		panic(err)
	}
	for _, v := range conformance.Check(nil, s) {
		if v.Status != conformance.NA {
			fmt.Println(v.Status, v.Rule)
		}
	}
	// Output:
	// pass RT-BARGEIN-TRUNCATE
	// fail RT-TRUNCATE-PLAYED
	// pass RT-TRUNCATE-VALUE
	// pass RT-TRUNCATE-SPURIOUS
	// pass RT-BARGEIN-REACTION
	// pass RT-ACTIVE-RESPONSE
	// pass RT-DIALECT
	// pass RT-EVENT-TYPES
	// pass RT-CLOSE-NORMAL
}

// A client written in Go, here the reference client, runs through a
// built-in scenario against an in-process mock.
func ExampleRun() {
	rep, err := conformance.Run(context.Background(), &conformance.Options{
		Func:      refclient.New(nil),
		Scenarios: []string{"hello"},
		Dialects:  []realtime.Dialect{realtime.GA},
	})
	if err != nil {
		panic(err)
	}
	for _, run := range rep.Runs {
		v, _ := run.Verdict(conformance.RuleActiveResponse)
		fmt.Println(run.Name(), "failed:", run.Failed(), "|", v.Rule, v.Status)
	}
	// Output:
	// hello [ga] failed: false | RT-ACTIVE-RESPONSE pass
}
