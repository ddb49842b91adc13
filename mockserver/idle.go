package mockserver

import (
	"time"

	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// GA server_vad's idle_timeout_ms, as the API reference describes it: the
// time counts from response.done plus the time the response's audio takes
// to play; when it passes without speech the service sends
// input_audio_buffer.timeout_triggered with the silent stretch of the
// input timeline (audio_start_ms to audio_end_ms, about the timeout
// apart), commits that audio as an input_audio item (committed, the item)
// and, with create_response, answers it: the mock with an idle_timeout
// turn, or its default reply. Speech, a new response or a change of turn
// detection disarms it; the next response arms it again.

// armIdle starts the idle timeout after response r, when the session has
// one.
func (m *sim) armIdle(r *response) {
	m.disarmIdle()
	td := m.conf.TurnDetection
	if td == nil || td.Type != "server_vad" || td.IdleTimeoutMs == nil || m.conf.Type == "transcription" || r.oob {
		return
	}
	now := m.clock.Now()
	played := now
	if !r.firstAudioAt.IsZero() {
		ms := r.audioSent / r.format.BytesPerMs()
		played = later(now, r.firstAudioAt.Add(time.Duration(ms)*time.Millisecond))
	}
	life := &lifetime{}
	m.idle = life
	idle := *td.IdleTimeoutMs
	m.at(played.Add(time.Duration(idle)*time.Millisecond), life, func() { m.idleTimeout(life, idle) })
}

// disarmIdle cancels a pending idle timeout.
func (m *sim) disarmIdle() {
	if m.idle != nil {
		m.idle.over = true
		m.idle = nil
	}
}

// idleTimeout fires the timeout: the event, the commit of the silent audio
// and the answer.
func (m *sim) idleTimeout(life *lifetime, idleMs int) {
	if m.idle != life || m.active != nil || (m.vad != nil && m.vad.Speaking()) {
		return
	}
	m.idle = nil
	id := m.ids.make("item_")
	endMs := m.timelineMs()
	startMs := max(endMs-idleMs, int(m.bufferStart/int64(m.inFormat.BytesPerMs())))
	m.emitKind(realtime.KindInputTimeoutTriggered, kv{"audio_start_ms", startMs}, kv{"audio_end_ms", endMs}, kv{"item_id", id})
	n := int(min(m.totalBytes-m.bufferStart, maxAppendBytes))
	pcm := m.heard.take(m.bufferStart, m.totalBytes)
	m.bufferStart = m.totalBytes
	if m.vad != nil {
		m.vad.Reset()
	}
	m.commitItem(id, n, pcm, scenarios.OnIdleTimeout, "")
	if td := m.conf.TurnDetection; td != nil && td.CreateResponse {
		m.runTurn(m.takeTurn(scenarios.OnIdleTimeout), "", scenarios.OnIdleTimeout, nil)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
