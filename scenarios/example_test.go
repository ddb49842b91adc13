package scenarios_test

import (
	"fmt"

	"github.com/rtmock/rtmock/scenarios"
)

func ExampleParse() {
	sc, err := scenarios.Parse("barge-in.yaml", []byte(`
name: barge-in
description: The user interrupts 1.2 s into a 5 s reply.
turns:
  - when: response.create
    reply:
      transcript: "Let me tell you a long story about the sea."
      audio: {tone: 440Hz, duration: 5s, chunk: 100ms}
    interrupt: {after_played: 1200ms}
expect:
  - client: conversation.item.truncate
    after: input_audio_buffer.speech_started
    within: 500ms
    match: {content_index: 0, audio_end_ms: {between: [1000, 1400]}}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	turn := sc.Turns[0]
	fmt.Println(sc.Name, turn.When, turn.Reply.AudioDuration(), turn.Interrupt.AfterPlayed)
	e := sc.Expect[0]
	fmt.Println(e.Client, "within", e.Within, "of", e.After, *e.Match["audio_end_ms"].Between)
	// Output:
	// barge-in response.create 5s 1.2s
	// conversation.item.truncate within 500ms of input_audio_buffer.speech_started [1000 1400]
}

// Parse reports every problem of a file, each with its line and column.
func ExampleParse_errors() {
	_, err := scenarios.Parse("barge-in.yaml", []byte(`
name: barge-in
trun:
  - when: response.create
turns:
  - when: response.create
    reply:
      transcript: "Let me tell you a long story about the sea."
      audio: {duration: 5, chunk: 100ms}
    interrupt: {after_played: 6s}
`))
	fmt.Println(err)
	// Output:
	// barge-in.yaml:3:1: unknown key "trun" (did you mean "turns"?)
	// barge-in.yaml:9:25: turns[0].reply.audio.duration: 5 has no unit (write 5ms or 5s)
}

func ExampleParsePace() {
	for _, s := range []string{"live", "realtime", "4x"} {
		p, _ := scenarios.ParsePace(s)
		fmt.Printf("%s: mode %s, factor %g\n", p, p.Mode, p.Factor)
	}
	// Output:
	// live: mode live, factor 1
	// realtime: mode realtime, factor 1
	// 4x: mode live, factor 4
}

func ExampleReply_AudioDuration() {
	r := scenarios.Reply{Transcript: "Hello! How can I help you today?"}
	fmt.Println(r.AudioDuration()) // 32 characters at 70ms
	// Output: 2.24s
}

func ExampleResolve() {
	sc, err := scenarios.Resolve("hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Source, sc.Turns[0].Reply.Audio.Chunks)
	// Output: builtin:hello [100ms 150ms 250ms]
}
