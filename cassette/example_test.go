package cassette_test

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// A recorder writes a header and then one line per frame; a replayer
// reads them back.
func Example() {
	var file bytes.Buffer
	w, err := cassette.NewWriter(&file, cassette.Header{
		Created:  time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Dialect:  "preview",
		Endpoint: cassette.Endpoint{Path: "/openai/realtime", Query: map[string]string{"api-key": "s3cr3t-key", "deployment": "gpt-4o-realtime-preview"}},
	}, &cassette.WriterOptions{
		Redactor:   cassette.NewRedactor("s3cr3t-key"),
		ElideAudio: true,
	})
	if err != nil {
		panic(err)
	}
	w.WriteFrame(cassette.Frame{T: 4123 * time.Microsecond, Dir: cassette.Server, Kind: cassette.KindText,
		Data: []byte(`{"type":"session.created","event_id":"event_1"}`)})
	w.WriteFrame(cassette.Frame{T: 120 * time.Millisecond, Dir: cassette.Client, Kind: cassette.KindText,
		Data: []byte(`{"type":"input_audio_buffer.append","audio":"AAAAAAAA"}`)})
	w.WriteFrame(cassette.Frame{T: 9870 * time.Millisecond, Dir: cassette.Client, Kind: cassette.KindClose, Code: 1000})
	if err := w.Flush(); err != nil {
		panic(err)
	}
	fmt.Print(file.String())

	r, err := cassette.NewReader(&file, nil)
	if err != nil {
		panic(err)
	}
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		fmt.Println(f.T, f.Dir, f.Kind, f.Type)
	}
	// Output:
	// {"rtcassette":1,"created":"2026-11-25T12:00:00Z","dialect":"preview","endpoint":{"path":"/openai/realtime","query":{"api-key":"[REDACTED]","deployment":"gpt-4o-realtime-preview"}}}
	// {"t":0.004123,"dir":"server","event":{"type":"session.created","event_id":"event_1"}}
	// {"t":0.120000,"dir":"client","event":{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:6"}}
	// {"t":9.870000,"dir":"client","close":{"code":1000,"reason":""}}
	// 4.123ms server text session.created
	// 120ms client text input_audio_buffer.append
	// 9.87s client close
}

func ExampleRestoreAudio() {
	event := []byte(`{"type":"response.audio.delta","delta":"rtmock-elided:pcm16:6"}`)
	out, _, _ := cassette.RestoreAudio(event, nil) // silence of the same size
	fmt.Println(string(out))
	// Output:
	// {"type":"response.audio.delta","delta":"AAAAAAAA"}
}

func ExampleSummarize() {
	c, err := cassette.Load("testdata/session.jsonl")
	if err != nil {
		panic(err)
	}
	s := cassette.Summarize(c)
	fmt.Printf("%d responses, %v of audio out, %d problem(s)\n", len(s.Responses), s.AudioOut.Duration, len(s.Problems))
	// Output:
	// 1 responses, 100ms of audio out, 1 problem(s)
}
