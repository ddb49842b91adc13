package mockserver_test

import (
	"testing"

	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// Input transcription: the user item gets the scenario's transcript in
// conversation.item.input_audio_transcription.completed (after a .delta on
// GA, which preview clients such as rt-client do not know), matched by item
// id; a turn can make it fail instead.
func TestInputTranscription(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)
	failing, err := scenarios.Parse("failing", []byte(`
name: failing
session: {input_audio_transcription: {model: whisper-1}}
turns:
  - when: user_speech
    user: {transcript: "never heard", transcription: failed}
`))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := scenarios.Builtin("transcription")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []dialectCase{dialects[0], dialects[1]} {
		for _, tc := range []struct {
			sc   *scenarios.Scenario
			want string
		}{{ok, "completed"}, {failing, "failed"}} {
			t.Run(d.name+"/"+tc.want, func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, &mockserver.Options{Scenario: tc.sc})
				c := dial(t, srv, d)
				c.next()
				c.appendAudio(speech, 4800)
				evs := c.until("conversation.item.input_audio_transcription." + tc.want)
				var userItem string
				sawDelta := false
				for _, e := range evs {
					switch e.Type {
					case "input_audio_buffer.committed":
						userItem = e.str("item_id")
					case "conversation.item.input_audio_transcription.delta":
						sawDelta = true
					}
				}
				last := evs[len(evs)-1]
				if last.str("item_id") != userItem || last.num("content_index") != 0 {
					t.Errorf("%s for item %q, want the committed item %q", last.Type, last.str("item_id"), userItem)
				}
				if tc.want == "completed" && last.str("transcript") != "What's the weather like tomorrow?" {
					t.Errorf("transcript = %q", last.str("transcript"))
				}
				if tc.want == "failed" && last.str("error.message") == "" {
					t.Errorf("failed event without an error: %s", last.Raw)
				}
				if wantDelta := d.ga && tc.want == "completed"; sawDelta != wantDelta {
					t.Errorf("saw a transcription delta: %v, want %v", sawDelta, wantDelta)
				}
			})
		}
	}
}
