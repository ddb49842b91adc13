// Package scenarios is the scenario language of rtmock: YAML files that
// script what the mock Realtime API server says and does, and what the
// client under test must send.
//
// A scenario is written once, dialect-neutral, and served to preview and GA
// sessions alike:
//
//	name: barge-in
//	description: The assistant talks for 5 s; the user interrupts 1.2 s into playback.
//	session: {turn_detection: {type: server_vad, silence_duration_ms: 200}}
//	turns:
//	  - when: response.create
//	    reply:
//	      transcript: "Let me tell you a long story about the sea."
//	      audio: {tone: 440Hz, duration: 5s, chunk: 100ms}
//	    interrupt: {after_played: 1200ms}
//	expect:
//	  - client: conversation.item.truncate
//	    after: input_audio_buffer.speech_started
//	    within: 500ms
//	    match: {content_index: 0, audio_end_ms: {between: [1000, 1400]}}
//
// [Load] and [Parse] decode strictly, walking the YAML nodes along the
// table of the language (scenarios/internal/spec: every mapping, its keys,
// what each accepts): unknown and duplicated keys, wrong types, bad
// durations, values out of range and scenarios that contradict themselves
// are reported together as an [ErrorList] of [*Error] values that say
// FILE:LINE:COL, the path of the value, what is wrong and, where it can
// tell, how to fix it. A large file is read a piece at a time, a turn at a
// time, so that its memory stays a few times its size.
//
// The built-in scenarios are the YAML files of this directory
// (scenarios/barge-in.yaml in a checkout), embedded in the package: [List]
// returns them, [Builtin] fetches one by name, [BuiltinFile] returns its
// file as a template, and [Resolve] takes either a built-in name or a path,
// as the rtmock command line does; a missing path that names a built-in
// gets an error that suggests it ([Suggest]).
//
// The reference of every key is docs/scenarios.md; [Schema] returns a JSON
// Schema of the language for editors. Both are generated from the same
// table as the decoder's checks by "go generate ./scenarios"
// (scenarios/internal/gen), and a test fails when either has drifted.
//
// Turning a recorded cassette into a scenario is internal/toscenario's
// job ("rtmock cassette to-scenario"); this package does not read
// cassettes.
package scenarios

//go:generate go run ./internal/gen
