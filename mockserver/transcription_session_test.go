package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/internal/livedata"
)

// TestTranscriptionIntent: a GA ?intent=transcription session is a
// transcription session, shaped as the recorded one: input audio only; a
// spoken turn is committed, added and transcribed with the model the
// client names, and no response follows.
func TestTranscriptionIntent(t *testing.T) {
	t.Parallel()
	shapes, err := livedata.Load(filepath.Join("..", "testdata", "live", "shapes.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, nil)
	c := dial(t, srv, dialectCase{name: "ga-transcription", path: "/v1/realtime?intent=transcription", ga: true})
	created := c.next()
	if created.str("session.type") != "transcription" || created.str("session.object") != "realtime.transcription_session" {
		t.Fatalf("session.created: %s", created.Raw)
	}
	diffs, err := shapes.Event("ga", "session.created", "session.type=transcription").Check(created.Raw)
	if err != nil || len(diffs) > 0 {
		t.Errorf("session.created differs from the recording: %v %v\n%s", diffs, err, created.Raw)
	}
	c.send(`{"type":"session.update","session":{"type":"transcription","audio":{"input":{"transcription":{"model":"gpt-4o-mini-transcribe"}}}}}`)
	if up := c.until("session.updated"); up[len(up)-1].str("session.audio.input.transcription.model") != "gpt-4o-mini-transcribe" {
		t.Errorf("session.updated: %s", up[len(up)-1].Raw)
	}
	raw, err := os.ReadFile(filepath.Join("..", "audio", "testdata", "speech-24k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audio.ReadWAV(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	pcm := append(w.Convert(audio.PCM16), make([]byte, 48*1500)...)
	for len(pcm) > 0 {
		n := min(4800, len(pcm))
		c.send(`{"type":"input_audio_buffer.append","audio":"` + base64.StdEncoding.EncodeToString(pcm[:n]) + `"}`)
		pcm = pcm[n:]
	}
	evs := c.until("conversation.item.input_audio_transcription.completed")
	for _, want := range []string{"input_audio_buffer.committed", "conversation.item.added", "conversation.item.done", "conversation.item.input_audio_transcription.delta"} {
		if count(evs, want) == 0 {
			t.Errorf("no %s in %v", want, types(evs))
		}
	}
	if n := count(evs, "response.created"); n != 0 {
		t.Errorf("a transcription session started %d responses", n)
	}
}
