package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"github.com/rtmock/rtmock/internal/rttest"
	"net/http"
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

// TestPreviewTranscriptionSession: the preview dialect's transcription
// sessions (Azure's /openai/realtime?intent=transcription, and the retired
// OpenAI beta) start with transcription_session.created, take
// transcription_session.update, answer transcription_session.updated, and
// transcribe each spoken turn without a response. A deployment in Azure's
// URL is refused; a conversation session refuses the update.
func TestPreviewTranscriptionSession(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	speech := append(speechFixture(t), make([]byte, 48*1500)...)
	for _, d := range []dialectCase{
		{name: "azure-preview", path: "/openai/realtime?api-version=2025-04-01-preview&intent=transcription"},
		{name: "openai-beta", path: "/v1/realtime?intent=transcription", header: http.Header{"OpenAI-Beta": {"realtime=v1"}}},
	} {
		c := dial(t, srv, d)
		created := c.next()
		if created.Type != "transcription_session.created" || created.str("session.object") != "realtime.transcription_session" {
			t.Fatalf("%s: first event %s", d.name, created.Raw)
		}
		if _, ok := created.M["session"].(map[string]any)["voice"]; ok {
			t.Errorf("%s: a transcription session has a voice: %s", d.name, created.Raw)
		}
		c.send(`{"type":"transcription_session.update","session":{"input_audio_format":"pcm16","input_audio_transcription":{"model":"gpt-4o-transcribe","language":"en"},"turn_detection":{"type":"server_vad","silence_duration_ms":500}}}`)
		up := c.until("transcription_session.updated")
		if got := up[len(up)-1]; got.str("session.input_audio_transcription.model") != "gpt-4o-transcribe" || got.num("session.turn_detection.silence_duration_ms") != 500 {
			t.Errorf("%s: transcription_session.updated %s", d.name, got.Raw)
		}
		c.appendAudio(speech, 4800)
		evs := c.until("conversation.item.input_audio_transcription.completed")
		for _, want := range []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.created"} {
			if count(evs, want) != 1 {
				t.Errorf("%s: %d %s in %v", d.name, count(evs, want), want, types(evs))
			}
		}
		c.send(`{"type":"response.create"}`)
		if e := c.until("error"); e[len(e)-1].str("error.code") != "invalid_value" {
			t.Errorf("%s: response.create in a transcription session: %s", d.name, e[len(e)-1].Raw)
		}
	}
	if _, resp, err := rttest.TryDial(t, srv.URL()+"/openai/realtime?api-version=2025-04-01-preview&intent=transcription&deployment=whisper", nil); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a deployment in the transcription URL: %v, %v; want HTTP 400", err, resp)
	}
	c := dial(t, srv, dialects[0])
	c.next()
	c.send(`{"type":"transcription_session.update","session":{"input_audio_format":"pcm16"}}`)
	if e := c.until("error"); e[len(e)-1].str("error.param") != "type" {
		t.Errorf("transcription_session.update in a conversation session: %s", e[len(e)-1].Raw)
	}
}
