package scenarios

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// FromCassette turns a recorded session into an editable scenario: the
// session configuration the server reported, and one turn per recorded
// response — its trigger (response.create, or user speech when server VAD
// started it), its words, the length and chunking of its audio, its
// function calls and its final status — plus the error events the server
// sent in answer to client events. The result is a starting point to edit:
// the audio becomes a tone of the recorded length, and timing becomes the
// scenario's pace.
func FromCassette(c *cassette.Cassette) (*Scenario, error) {
	h := c.Header()
	d := h.Dialect
	if d == "" {
		d = realtime.GA
	}
	name := strings.TrimSuffix(filepath.Base(c.Path()), filepath.Ext(c.Path()))
	if !validName(name) {
		name = "recorded"
	}
	sc := &Scenario{
		Name:        name,
		Description: fmt.Sprintf("Recorded %s from %s%s (%s dialect).", h.Created.Format(time.RFC3339), h.Provider, h.Endpoint.Path, d),
	}
	type pending struct {
		turn      Turn
		audioByte int
		chunks    []time.Duration
		bpm       int
		text      strings.Builder
		calls     map[string]*FunctionCall
		order     []string
	}
	var cur *pending
	trigger := OnResponseCreate
	outBPM := 48
	finish := func(status, reason string) {
		if cur == nil {
			return
		}
		r := cur.turn.Reply
		if cur.audioByte > 0 {
			r.Audio = &AudioSpec{ToneHz: 440, Duration: time.Duration(cur.audioByte/cur.bpm) * time.Millisecond, Chunks: dedupeChunks(cur.chunks)}
		} else if r.Transcript != "" {
			r.Text, r.Transcript = r.Transcript, ""
		}
		if r.Transcript == "" && r.Text == "" && cur.text.Len() > 0 {
			r.Text = cur.text.String()
		}
		for _, id := range cur.order {
			r.FunctionCalls = append(r.FunctionCalls, *cur.calls[id])
		}
		if status != "" && status != "completed" {
			r.Status, r.StatusReason = status, reason
		}
		if r.Status == "cancelled" {
			r.Status, r.StatusReason = "", "" // a cancellation is the client's or VAD's doing, not the reply's
		}
		sc.Turns = append(sc.Turns, cur.turn)
		cur = nil
	}
	for _, f := range c.All() {
		if f.Kind != cassette.KindText {
			continue
		}
		var ev map[string]any
		if json.Unmarshal(f.Data, &ev) != nil {
			continue
		}
		str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
		if f.Dir == cassette.Client {
			if f.Type == realtime.ClientResponseCreate {
				trigger = OnResponseCreate
			}
			continue
		}
		switch realtime.KindOf(d, f.Type) {
		case realtime.KindSessionCreated, realtime.KindSessionUpdated:
			if s, ok := ev["session"].(map[string]any); ok {
				sc.Session = sessionFromRecording(d, s)
				if sc.Session.OutputAudioFormat != "" && sc.Session.OutputAudioFormat != "pcm16" {
					outBPM = 8
				}
			}
		case realtime.KindSpeechStopped:
			trigger = OnUserSpeech
		case realtime.KindInputTranscriptionCompleted:
			if n := len(sc.Turns); n > 0 && sc.Turns[n-1].When == OnUserSpeech && sc.Turns[n-1].User == nil {
				sc.Turns[n-1].User = &UserSpeech{Transcript: str(ev, "transcript")}
			} else if cur != nil && cur.turn.When == OnUserSpeech {
				cur.turn.User = &UserSpeech{Transcript: str(ev, "transcript")}
			}
		case realtime.KindResponseCreated:
			finish("", "")
			cur = &pending{turn: Turn{When: trigger, Reply: &Reply{}}, bpm: outBPM, calls: map[string]*FunctionCall{}}
		case realtime.KindAudioDelta:
			if cur != nil {
				b, _ := base64.StdEncoding.DecodeString(str(ev, "delta"))
				n := len(b)
				if el, ok := cassette.ParseElision(str(ev, "delta")); ok {
					n = el.Bytes
				}
				cur.audioByte += n
				if len(cur.chunks) < 8 {
					cur.chunks = append(cur.chunks, time.Duration(n/cur.bpm)*time.Millisecond)
				}
			}
		case realtime.KindAudioTranscriptDone:
			if cur != nil {
				cur.turn.Reply.Transcript = str(ev, "transcript")
			}
		case realtime.KindTextDelta:
			if cur != nil {
				cur.text.WriteString(str(ev, "delta"))
			}
		case realtime.KindFunctionCallArgumentsDone:
			if cur != nil {
				id := str(ev, "call_id")
				if _, seen := cur.calls[id]; !seen {
					cur.order = append(cur.order, id)
				}
				cur.calls[id] = &FunctionCall{Name: str(ev, "name"), Arguments: str(ev, "arguments"), CallID: id}
			}
		case realtime.KindResponseDone:
			r, _ := ev["response"].(map[string]any)
			details, _ := r["status_details"].(map[string]any)
			finish(str(r, "status"), str(details, "reason"))
			trigger = OnResponseCreate
		case realtime.KindError:
			e, _ := ev["error"].(map[string]any)
			code := str(e, "code")
			if code == "" || code == realtime.CodeActiveResponse || code == realtime.CodeCancelNotActive || code == realtime.CodeCommitEmpty {
				continue // the client's doing, which the mock reproduces by itself
			}
			if code == realtime.CodeSessionExpired {
				sc.ExpiresAfter = f.T.Round(time.Second)
				continue
			}
			sc.Turns = append(sc.Turns, Turn{When: OnResponseCreate, Error: &ErrorSpec{Type: str(e, "type"), Code: code, Message: str(e, "message"), Param: str(e, "param")}})
		}
	}
	finish("", "")
	if len(sc.Turns) == 0 {
		return nil, fmt.Errorf("cassette %s has no responses to turn into a scenario", c.Path())
	}
	// Round-trip through the language so the result is exactly what a file
	// would load as (defaults filled in, values validated).
	data, err := Marshal(sc)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

func validName(s string) bool { return s != "" && patterns[patName].MatchString(s) }

// dedupeChunks keeps the chunk plan short: a run of equal durations is
// written once, since the last chunk repeats.
func dedupeChunks(in []time.Duration) []time.Duration {
	var out []time.Duration
	for _, d := range in {
		if d < MinChunk {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == d {
			continue
		}
		out = append(out, d)
	}
	if len(out) > 4 {
		out = out[:4]
	}
	return out
}

// sessionFromRecording reads the parts of a recorded session object that
// the scenario language describes.
func sessionFromRecording(d realtime.Dialect, s map[string]any) *Session {
	out := &Session{}
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	obj := func(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }
	if v := str(s, "instructions"); v != "" {
		out.Instructions = &v
	}
	var td map[string]any
	var tdSet bool
	if d == realtime.GA {
		a := obj(s, "audio")
		in, outp := obj(a, "input"), obj(a, "output")
		out.Voice = str(outp, "voice")
		out.InputAudioFormat = normalizeFormat(str(obj(in, "format"), "type"))
		out.OutputAudioFormat = normalizeFormat(str(obj(outp, "format"), "type"))
		td, tdSet = in["turn_detection"].(map[string]any), in != nil
		if m, ok := s["output_modalities"].([]any); ok && len(m) == 1 && m[0] == "text" {
			out.Modalities = []string{"text"}
		}
		if t := obj(in, "transcription"); t != nil {
			out.InputTranscription = &Transcription{Model: str(t, "model"), Language: str(t, "language")}
		}
	} else {
		out.Voice = str(s, "voice")
		out.InputAudioFormat = normalizeFormat(str(s, "input_audio_format"))
		out.OutputAudioFormat = normalizeFormat(str(s, "output_audio_format"))
		_, tdSet = s["turn_detection"]
		td = obj(s, "turn_detection")
		if m, ok := s["modalities"].([]any); ok && len(m) == 1 && m[0] == "text" {
			out.Modalities = []string{"text"}
		}
		if t := obj(s, "input_audio_transcription"); t != nil {
			out.InputTranscription = &Transcription{Model: str(t, "model"), Language: str(t, "language")}
		}
	}
	switch {
	case td != nil && str(td, "type") != "":
		t := &TurnDetection{Type: str(td, "type")}
		if v, ok := td["threshold"].(float64); ok {
			t.Threshold = &v
		}
		if v, ok := td["prefix_padding_ms"].(float64); ok {
			n := int(v)
			t.PrefixPaddingMs = &n
		}
		if v, ok := td["silence_duration_ms"].(float64); ok {
			n := int(v)
			t.SilenceDurationMs = &n
		}
		out.TurnDetection = t
	case tdSet:
		out.TurnDetection = &TurnDetection{Type: "none"}
	}
	if tools, ok := s["tools"].([]any); ok {
		for _, x := range tools {
			m, _ := x.(map[string]any)
			params, _ := m["parameters"].(map[string]any)
			out.Tools = append(out.Tools, Tool{Name: str(m, "name"), Description: str(m, "description"), Parameters: params})
		}
	}
	if !voiceKnown(out.Voice) {
		out.Voice = ""
	}
	return out
}

func voiceKnown(v string) bool {
	for _, x := range voices {
		if x == v {
			return true
		}
	}
	return false
}
