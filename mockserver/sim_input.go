package mockserver

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// maxAppendBytes is the most audio one input_audio_buffer.append may carry,
// and the most a committed audio item may hold: 15 MiB (§6).
const maxAppendBytes = 15 << 20

// resetInput restarts voice activity detection for the current input
// format and turn detection.
func (m *sim) resetInput() {
	m.disarmIdle()
	m.inFormat = m.conf.InputFormat
	m.vad = nil
	m.speechItemID = ""
	td := m.conf.TurnDetection
	if td == nil || td.Type == "" {
		return
	}
	th, pre, sil := td.Threshold, td.PrefixPaddingMs, td.SilenceDurationMs
	if td.Type == "semantic_vad" {
		// Speech is found as server_vad finds it by default; when a
		// pause ends the turn is the eagerness's (semantic.go).
		d := realtime.DefaultTurnDetection()
		th, pre, sil = d.Threshold, d.PrefixPaddingMs, m.semanticSilenceMs()
	}
	v, err := audio.NewVAD(audio.VADConfig{Format: m.inFormat, Threshold: &th, PrefixPaddingMs: &pre, SilenceDurationMs: &sil})
	if err == nil {
		m.vad = v
		m.vadBaseMs = m.timelineMs()
	}
}

func (m *sim) timelineMs() int {
	return int(m.totalBytes / int64(m.inFormat.BytesPerMs()))
}

func (m *sim) bufferedMs() float64 {
	return float64(m.totalBytes-m.bufferStart) / float64(m.inFormat.BytesPerMs())
}

func (m *sim) formatDesc() string {
	switch m.inFormat {
	case audio.G711ULaw:
		return "G.711 u-law at 8kHz"
	case audio.G711ALaw:
		return "G.711 A-law at 8kHz"
	}
	return "mono PCM16 at 24kHz"
}

func (m *sim) onAppend(ev *realtime.ClientEvent) *realtime.Error {
	raw, _ := ev.Member("audio").Bytes()
	if base64.StdEncoding.DecodedLen(len(raw))-padding(raw) > maxAppendBytes {
		e := realtime.NewInvalidAudioError(m.formatDesc())
		e.Message = "Invalid 'audio': an append may carry at most 15 MiB of audio."
		return e
	}
	pcm := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(pcm, raw)
	if err != nil || n%m.inFormat.BytesPerSample() != 0 {
		return realtime.NewInvalidAudioError(m.formatDesc())
	}
	m.feed(pcm[:n])
	return nil
}

// feed puts input audio on the timeline and through the VAD.
func (m *sim) feed(pcm []byte) {
	m.totalBytes += int64(len(pcm))
	m.heard.add(pcm, m.totalBytes)
	if m.vad == nil {
		return
	}
	for _, ev := range m.vad.Feed(pcm) {
		switch ev.Type {
		case audio.SpeechStarted:
			m.speechStarted(m.vadBaseMs + ev.AudioStartMs)
		case audio.SpeechStopped:
			m.speechStopped(m.vadBaseMs+ev.AudioEndMs, "")
		}
	}
}

// speechStarted reports the user starting to talk and interrupts the
// active response when the session asks for it.
func (m *sim) speechStarted(startMs int) {
	m.tuneSemantic()
	m.disarmIdle()
	m.speechItemID = m.ids.make("item_")
	m.emitKind(realtime.KindSpeechStarted, kv{"audio_start_ms", startMs}, kv{"item_id", m.speechItemID})
	td := m.conf.TurnDetection
	if td == nil || !td.InterruptResponse {
		return
	}
	// A WebRTC call's playout buffer outlives its response (the service
	// sends output_audio_buffer.stopped after response.done): speech cuts
	// the audio still going out even when the response is over.
	m.clearPlayback()
	if m.active != nil {
		m.finishResponse(m.active, "cancelled", "turn_detected")
	}
}

// speechStopped ends the user's turn: commit, the user item, transcription
// and, with create_response, the answer.
func (m *sim) speechStopped(endMs int, transcript string) {
	id := m.speechItemID
	if id == "" {
		id = m.ids.make("item_")
	}
	m.speechItemID = ""
	m.emitKind(realtime.KindSpeechStopped, kv{"audio_end_ms", endMs}, kv{"item_id", id})
	endByte := max(int64(endMs)*int64(m.inFormat.BytesPerMs()), m.bufferStart)
	endByte = min(endByte, m.totalBytes)
	audioBytes := endByte - m.bufferStart
	pcm := m.heard.take(m.bufferStart, endByte)
	m.bufferStart = endByte
	m.commitItem(id, int(min(audioBytes, maxAppendBytes)), pcm, scenarios.OnUserSpeech, transcript)
	if td := m.conf.TurnDetection; td != nil && td.CreateResponse && m.active == nil && m.conf.Type != "transcription" {
		t := m.takeTurn(scenarios.OnUserSpeech)
		m.runTurn(t, "", scenarios.OnUserSpeech, nil)
	}
}

// commitItem sends committed and the user audio item, then schedules the
// item's transcription when it is enabled.
func (m *sim) commitItem(id string, audioBytes int, pcm []byte, trigger scenarios.Trigger, transcript string) {
	prev := m.conv.lastID()
	m.emitKind(realtime.KindInputCommitted, kv{"previous_item_id", nullable(prev)}, kv{"item_id", id})
	it := &item{ID: id, Type: "message", Role: "user", Status: "completed",
		Content: []contentPart{{Kind: partInputAudio, AudioBytes: audioBytes, format: m.inFormat, pcm: pcm}}}
	m.conv.insert(it, prev)
	m.announceItem(it, prev)
	m.commitSinceResponse = true
	if !m.conf.TranscriptionEnabled() {
		return
	}
	if transcript == "" {
		transcript = m.userTranscript(trigger)
	}
	fails := false
	if t := m.peekTurn(trigger); t != nil && t.User != nil && t.User.TranscriptionFails {
		fails = true
	}
	m.scheduleTranscription(id, audioBytes, transcript, fails)
}

// scheduleTranscription sends the input transcription events of item id,
// as the configured model does (docs/live-service.md, item 4): the
// gpt-4o transcribe models stream word-sized deltas and report token
// usage; whisper-1 sends the whole text in one delta and reports the
// audio's duration. The OpenAI beta sent the deltas too, without
// obfuscation [L2] [L9]; Azure preview sessions get completed alone:
// rt-client, the Azure preview SDK, refuses every event type it does not
// know, these deltas among them.
func (m *sim) scheduleTranscription(id string, audioBytes int, transcript string, fails bool) {
	now := m.clock.Now()
	p := m.pace()
	byTokens := strings.Contains(m.conf.TranscriptionModel(), "transcribe")
	if !fails && (m.dialect == realtime.GA || m.hs.provider == OpenAI) {
		deltas := []string{transcript}
		if byTokens {
			deltas = splitTokens(transcript)
		}
		at := now.Add(m.scale(m.cfg.lat.TranscriptionDelta, p))
		for _, d := range deltas {
			m.at(at, nil, func() {
				members := []kv{{"item_id", id}, {"content_index", 0}, {"delta", d}}
				if m.dialect == realtime.GA {
					members = append(members, kv{"obfuscation", m.ids.obfuscation()})
				}
				m.emitKind(realtime.KindInputTranscriptionDelta, members...)
			})
			at = at.Add(m.scale(transcriptionDeltaGap, p))
		}
	}
	m.at(now.Add(m.scale(m.cfg.lat.TranscriptionDone, p)), nil, func() {
		if fails {
			m.emitKind(realtime.KindInputTranscriptionFailed, kv{"item_id", id}, kv{"content_index", 0},
				kv{"error", rawJSON(`{"type":"transcription_error","code":"audio_unintelligible","message":"Audio could not be transcribed.","param":null}`)})
			return
		}
		if it := m.conv.get(id); it != nil && len(it.Content) > 0 {
			t := transcript
			it.Content[0].Transcript = &t
			m.conv.retoken(it)
		}
		members := []kv{{"item_id", id}, {"content_index", 0}, {"transcript", transcript}}
		if m.dialect == realtime.GA {
			members = append(members, kv{"usage", rawJSON(m.transcriptionUsage(byTokens, audioBytes, transcript))})
		}
		m.emitKind(realtime.KindInputTranscriptionCompleted, members...)
	})
}

// transcriptionDeltaGap is the time between two word deltas of a gpt-4o
// transcribe model.
const transcriptionDeltaGap = 30 * time.Millisecond

// transcriptionUsage is a completed transcription's usage: tokens for the
// gpt-4o transcribe models (audio at one token per 100 ms, text at four
// characters a token), the audio's seconds for whisper-1.
func (m *sim) transcriptionUsage(byTokens bool, audioBytes int, transcript string) string {
	ms := audioBytes / m.inFormat.BytesPerMs()
	if !byTokens {
		return `{"type":"duration","seconds":` + formatFloat(float64(ms)/1000) + `}`
	}
	audioTok, out := ms/100, (len(transcript)+3)/4
	return fmt.Sprintf(`{"type":"tokens","total_tokens":%d,"input_tokens":%d,"input_token_details":{"text_tokens":0,"audio_tokens":%d},"output_tokens":%d}`,
		audioTok+out, audioTok, audioTok, out)
}

// userTranscript is what the simulated transcription says the user said.
func (m *sim) userTranscript(trigger scenarios.Trigger) string {
	if m.lastUserTranscript != "" {
		t := m.lastUserTranscript
		m.lastUserTranscript = ""
		return t
	}
	if t := m.peekTurn(trigger); t != nil && t.User != nil && t.User.Transcript != "" {
		return t.User.Transcript
	}
	return "Hello."
}

func (m *sim) onCommit(*realtime.ClientEvent) *realtime.Error {
	if ms := m.bufferedMs(); ms < 100 {
		return realtime.NewCommitEmptyError(ms)
	}
	id := m.speechItemID
	if id == "" {
		id = m.ids.make("item_")
	}
	m.speechItemID = ""
	n := int(min(m.totalBytes-m.bufferStart, maxAppendBytes))
	pcm := m.heard.take(m.bufferStart, m.totalBytes)
	m.bufferStart = m.totalBytes
	if m.vad != nil {
		m.vad.Reset()
	}
	m.commitItem(id, n, pcm, scenarios.OnCommit, "")
	return nil
}

func (m *sim) onClear(*realtime.ClientEvent) *realtime.Error {
	m.bufferStart = m.totalBytes
	m.speechItemID = ""
	if m.vad != nil {
		m.vad.Reset()
	}
	m.emitKind(realtime.KindInputCleared)
	return nil
}

// InterruptNote is the reason of the fault-kind frame that marks, in
// transcripts and to observers, where the simulated user starts to
// talk over a reply.
const InterruptNote = "interrupt: the simulated user talks over the reply"

// scheduleInterrupt makes the simulated user talk over r once the client
// has played in.AfterPlayed of its audio (playback assumed to start at the
// first delta and run in real time).
func (m *sim) scheduleInterrupt(r *response, in *scenarios.Interrupt) {
	m.at(r.firstAudioAt.Add(in.AfterPlayed), nil, func() {
		if m.conf.TurnDetection == nil {
			return // no VAD, so nobody would notice the user
		}
		start := m.timelineMs()
		// Marked so that a judge tells this speech_started from one the
		// client's own audio causes (scenarios.AfterInterrupt).
		m.note(cassette.Server, InterruptNote)
		m.speechStarted(start)
		speech := in.Speech
		if speech <= 0 {
			speech = scenarios.DefaultInterruptSpeech
		}
		m.at(m.clock.Now().Add(speech), nil, func() {
			m.lastUserTranscript = in.Transcript
			end := start + int(speech/time.Millisecond) + m.conf.TurnDetection.SilenceDurationMs
			m.speechStopped(end, in.Transcript)
		})
	})
}

// clearPlayback stops a WebRTC call's assistant audio at once (barge-in,
// or the client's output_audio_buffer.clear): the audio queued is dropped,
// the item keeps only what was played, and output_audio_buffer.cleared
// says so. Nothing happens on other transports, or with nothing queued.
func (m *sim) clearPlayback() {
	if m.sink == nil {
		return
	}
	respID, itemID, playedMs := m.sink.ClearAudio()
	if respID == "" {
		return
	}
	m.emitKind(realtime.KindOutputAudioBufferCleared, kv{"response_id", respID})
	m.truncatePlayed(itemID, playedMs)
}

// truncatePlayed cuts a cleared item to the audio that played, and says so
// with conversation.item.truncated: the service does this itself on a
// WebRTC call, without a truncate from the client (docs/live-service.md,
// [L2]).
func (m *sim) truncatePlayed(itemID string, playedMs int) {
	it := m.conv.get(itemID)
	if it == nil || len(it.Content) == 0 {
		return
	}
	p := &it.Content[0]
	have := p.audioMs()
	if playedMs >= have {
		return
	}
	if p.Transcript != nil && have > 0 {
		t := cutTranscript(*p.Transcript, float64(playedMs)/float64(have))
		p.Transcript = &t
	}
	p.AudioBytes = playedMs * p.format.BytesPerMs()
	m.conv.retoken(it)
	m.emitKind(realtime.KindItemTruncated, kv{"item_id", itemID}, kv{"content_index", 0}, kv{"audio_end_ms", playedMs})
}

// onOutputAudioBufferClear is the client cutting the assistant off
// (WebRTC): the audio stops, and the response ends as cancelled.
func (m *sim) onOutputAudioBufferClear(*realtime.ClientEvent) *realtime.Error {
	m.clearPlayback()
	if m.active != nil {
		m.finishResponse(m.active, "cancelled", "client_cancelled")
	}
	return nil
}
