package mockserver

import (
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// sim simulates the service: the mode of every session that does not replay
// a cassette. It owns the conversation, the input audio buffer with its
// voice activity detection, and the responses; scenarios decide what the
// assistant says and when the simulated user interrupts.
type sim struct {
	*session
	used []bool
	conf realtime.SessionConfig

	convID          string
	conv            conversation
	active          *response // the response writing to the default conversation
	oob             map[*response]bool
	audioOutPresent bool

	// Input audio on the session's cumulative timeline.
	inFormat     audio.Format
	totalBytes   int64     // every byte ever appended
	bufferStart  int64     // timeline byte where the uncommitted buffer starts
	heard        heard     // the input audio items keep, for retrieval
	idle         *lifetime // the pending idle timeout (idle.go), if any
	vad          *audio.VAD
	vadBaseMs    int // timeline ms at which vad was created
	speechItemID string

	// What happened since the last response, for turn matching.
	itemSinceResponse, commitSinceResponse bool
	lastUserTranscript                     string
}

func newSim(s *session) *sim {
	m := &sim{session: s}
	if m.scn != nil {
		m.used = make([]bool, len(m.scn.Turns))
	}
	m.conv.init()
	return m
}

// start sends session.created and runs the connect turn, if any.
func (m *sim) start() {
	hs := m.hs
	m.conf = realtime.DefaultSessionConfig(m.dialect, hs.model)
	if hs.query["intent"] == "transcription" {
		m.conf.BecomeTranscription()
	}
	if hs.provider == OpenAI && hs.model != "" {
		m.conf.Model = hs.model
	}
	if m.dialect == realtime.Preview {
		m.conf.Model = realtime.VersionedModel(m.conf.Model)
	}
	if m.scn != nil {
		applyScenario(&m.conf, m.scn.Session)
	}
	m.applyAccepted()
	m.conf.ID = m.ids.make("sess_")
	m.setID(m.conf.ID)
	maxDur := m.cfg.SessionMaxDuration
	if m.scn != nil && m.scn.ExpiresAfter > 0 {
		maxDur = m.scn.ExpiresAfter
	}
	m.conf.ExpiresAt = m.started.Add(maxDur).Unix()
	m.convID = m.ids.make("conv_")
	m.resetInput()
	created := realtime.KindSessionCreated
	if m.dialect == realtime.Preview && m.conf.Type == "transcription" {
		created = realtime.KindTranscriptionSessionCreated
	}
	m.emitKind(created, kv{"session", rawJSON(m.conf.AppendJSON(nil, m.dialect))})
	if m.sipCallOver() {
		return
	}
	m.scheduleExpiry(maxDur)
	if t := m.takeTurn(scenarios.OnConnect); t != nil {
		m.runTurn(t, "", scenarios.OnConnect, nil)
	}
}

// latency is how long after its arrival the service answers a client
// event, at the session's pace.
func (m *sim) latency(ev *realtime.ClientEvent) time.Duration {
	lat := m.cfg.lat
	d := lat.Reply
	switch ev.Kind {
	case realtime.ClientKindInputAppend:
		// Audio is taken as it arrives: VAD runs on the audio timeline,
		// and a barge-in is heard as soon as the audio is there.
		d = 0
	case realtime.ClientKindSessionUpdate, realtime.ClientKindTranscriptionSessionUpdate:
		d = lat.SessionUpdated
	case realtime.ClientKindResponseCreate:
		d = lat.ResponseCreated
	case realtime.ClientKindInputCommit:
		d = lat.Committed
	}
	return m.scale(d, m.pace())
}

// handle processes one client event in arrival order.
func (m *sim) handle(ev *realtime.ClientEvent, verr *realtime.Error) {
	if verr != nil {
		m.sendError(verr, "")
		return
	}
	if e := m.dispatch(ev); e != nil {
		m.sendError(e, ev.EventID)
	}
}

// handlers are the simulator's answers to each client event kind.
var handlers = map[realtime.ClientKind]func(*sim, *realtime.ClientEvent) *realtime.Error{
	realtime.ClientKindInputAppend:   (*sim).onAppend,
	realtime.ClientKindSessionUpdate: (*sim).onSessionUpdate,

	realtime.ClientKindTranscriptionSessionUpdate: (*sim).onTranscriptionSessionUpdate,
	realtime.ClientKindInputCommit:                (*sim).onCommit,
	realtime.ClientKindInputClear:                 (*sim).onClear,
	realtime.ClientKindItemCreate:                 (*sim).onItemCreate,
	realtime.ClientKindItemRetrieve:               (*sim).onItemRetrieve,
	realtime.ClientKindItemDelete:                 (*sim).onItemDelete,
	realtime.ClientKindItemTruncate:               (*sim).onItemTruncate,
	realtime.ClientKindResponseCreate:             (*sim).onResponseCreate,
	realtime.ClientKindResponseCancel:             (*sim).onResponseCancel,

	realtime.ClientKindOutputAudioBufferClear: (*sim).onOutputAudioBufferClear,
}

func (m *sim) dispatch(ev *realtime.ClientEvent) *realtime.Error {
	h := handlers[ev.Kind]
	if h == nil {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: "type",
			Message: "rtmock does not simulate '" + ev.Type + "'."}
	}
	return h(m, ev)
}

// audio takes microphone audio that came outside events.
func (m *sim) audio(pcm []byte) { m.feed(pcm) }

func (m *sim) onSessionUpdate(ev *realtime.ClientEvent) *realtime.Error {
	return m.update(ev, false, realtime.KindSessionUpdated)
}

// onTranscriptionSessionUpdate answers the preview
// transcription_session.update, which only a transcription session
// (?intent=transcription) takes.
func (m *sim) onTranscriptionSessionUpdate(ev *realtime.ClientEvent) *realtime.Error {
	if m.conf.Type != "transcription" {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: "type",
			Message: "transcription_session.update is only valid in a transcription session (connect with ?intent=transcription)."}
	}
	return m.update(ev, true, realtime.KindTranscriptionSessionUpdated)
}

// update applies a session update and answers it with the kind.
func (m *sim) update(ev *realtime.ClientEvent, transcription bool, answer realtime.Kind) *realtime.Error {
	next, e := realtime.ParseSessionUpdate(m.dialect, m.conf, ev.Member("session"), &realtime.SessionUpdateOptions{
		AzureFormats: m.hs.provider == Azure, AudioOutPresent: m.audioOutPresent, Transcription: transcription,
	})
	if e != nil {
		return e
	}
	inputChanged := next.InputFormat != m.conf.InputFormat || !next.TurnDetection.Same(m.conf.TurnDetection)
	m.conf = next
	if inputChanged {
		m.resetInput()
	}
	m.emitKind(answer, kv{"session", rawJSON(m.conf.AppendJSON(nil, m.dialect))})
	return nil
}

// scale scales a live-service latency by the pace.
func (s *session) scale(d time.Duration, p scenarios.Pace) time.Duration {
	switch p.Mode {
	case scenarios.PaceInstant:
		return 0
	case scenarios.PaceLive, scenarios.PaceRealtime:
		return time.Duration(float64(d) / p.Factor)
	}
	return d
}

// pace is the session's pace: the server's, or the scenario's when the
// server was given none.
func (s *session) pace() scenarios.Pace { return s.pc }
