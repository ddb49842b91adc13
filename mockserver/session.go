package mockserver

import (
	"container/heap"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// session is one simulated realtime session. A single goroutine (run) owns
// all of its state; a second one reads frames from the socket into inbox.
type session struct {
	cfg     *config
	conn    *websocket.Conn
	hs      *handshakeInfo
	ctx     context.Context
	cancel  context.CancelFunc
	clock   Clock
	started time.Time
	dialect realtime.Dialect
	rng     *rand.Rand
	ids     ids
	tr      *Transcript
	buf     []byte // reused for every outgoing frame

	inbox  chan inbound
	steps  stepQueue
	seq    uint64
	closed bool

	scn             *scenarios.Scenario
	used            []bool
	conf            sessionConfig
	convID          string
	items           []*item
	byID            map[string]*item
	active          *response // the response writing to the default conversation
	oob             map[*response]bool
	audioOutPresent bool

	// Input audio on the session's cumulative timeline.
	inFormat     audio.Format
	totalBytes   int64 // every byte ever appended
	bufferStart  int64 // timeline byte where the uncommitted buffer starts
	vad          *audio.VAD
	vadBaseMs    int // timeline ms at which vad was created
	speechItemID string

	// What happened since the last response, for turn matching.
	itemSinceResponse, commitSinceResponse bool
	lastUserTranscript                     string

	replay *replayState // nil unless replaying a cassette
	faults *faultState  // nil without faults
	seed   int64

	// wctx bounds writes. It is not s.ctx: coder/websocket closes the
	// socket when a write's context ends, and at shutdown the session must
	// still send its close frame. It ends with the session, or 3 s after a
	// shutdown began, so a client that stopped reading cannot hold a
	// session forever. One context for all writes keeps the hot path free
	// of per-frame timers.
	wctx      context.Context
	wcancel   context.CancelFunc
	stopGrace func() bool
}

type inbound struct {
	typ  websocket.MessageType
	data []byte
	at   time.Time
	err  error
}

// step is something the session does at a time: send the next event of a
// response, fire a simulated barge-in, expire the session.
type step struct {
	at   time.Time
	seq  uint64
	resp *response // nil for session-level steps
	fn   func()
}

type stepQueue []*step

func (q stepQueue) Len() int { return len(q) }
func (q stepQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q stepQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)   { *q = append(*q, x.(*step)) }
func (q *stepQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return s
}

func newSession(parent context.Context, cfg *config, conn *websocket.Conn, hs *handshakeInfo, n int64) *session {
	ctx, cancel := context.WithCancel(parent)
	seed := cfg.Seed + n - 1
	if cfg.Scenario != nil && cfg.Scenario.Seed != 0 {
		seed = cfg.Scenario.Seed + n - 1
	}
	s0 := seed
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32^0x9e3779b97f4a7c15))
	s := &session{
		cfg: cfg, conn: conn, hs: hs, ctx: ctx, cancel: cancel,
		clock: cfg.Clock, dialect: hs.dialect, rng: rng, ids: ids{rng},
		inbox: make(chan inbound, 16), scn: cfg.Scenario,
		byID: map[string]*item{}, oob: map[*response]bool{}, seed: s0,
	}
	s.wctx, s.wcancel = context.WithCancel(context.Background())
	s.stopGrace = context.AfterFunc(ctx, func() { time.AfterFunc(3*time.Second, s.wcancel) })
	s.started = s.clock.Now()
	s.tr = &Transcript{ID: n, Provider: hs.provider, Dialect: hs.dialect, Path: hs.path, Query: hs.query, Started: s.started}
	if s.scn != nil {
		s.used = make([]bool, len(s.scn.Turns))
	}
	return s
}

// run serves the session until either side closes it, and returns its
// transcript.
func (s *session) run() *Transcript {
	defer s.cancel()
	// The reader has its own context: coder/websocket closes the socket at
	// once when a Read's context ends, and on shutdown the session must
	// still send its 1001 close frame.
	readerCtx, stopReader := context.WithCancel(context.Background())
	readerDone := make(chan struct{})
	go s.readLoop(readerCtx, readerDone)
	defer func() {
		s.attributeClose()
		s.conn.CloseNow()
		s.stopGrace()
		s.wcancel()
		stopReader()
		<-readerDone
		s.tr.Ended = s.clock.Now()
	}()

	if f := s.hs.fatal; f != nil {
		// The OpenAI service upgrades, reports the problem and closes.
		s.sendError(f, "")
		s.closeWith(websocket.StatusCode(s.hs.closeCode), s.hs.closeWhy)
		return s.tr
	}
	s.initFaults(s.seed)
	if s.cfg.replay != nil {
		s.startReplay()
	} else {
		s.start()
	}
	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for !s.closed {
		s.runDue()
		if s.closed {
			break
		}
		if len(s.steps) > 0 {
			timer.Reset(s.steps[0].at.Sub(s.clock.Now()))
		} else {
			timer.Stop()
		}
		select {
		case in := <-s.inbox:
			// What is due by now happens before a frame that arrives now.
			s.runDue()
			s.receive(in)
		case <-timer.C():
		case <-s.ctx.Done():
			s.closeWith(websocket.StatusGoingAway, "server shutting down")
		}
	}
	return s.tr
}

// runDue runs every step whose time has come, letting client frames that
// are already waiting in between so that, for example, a response.cancel is
// seen mid-stream even in instant pace.
func (s *session) runDue() {
	for len(s.steps) > 0 && !s.closed {
		if s.steps[0].at.After(s.clock.Now()) {
			return
		}
		st := heap.Pop(&s.steps).(*step)
		if st.resp != nil && st.resp.finished {
			continue
		}
		st.fn()
		if s.closed {
			return
		}
		select {
		case in := <-s.inbox:
			s.receive(in)
		default:
		}
	}
}

func (s *session) readLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		typ, data, err := s.conn.Read(ctx)
		in := inbound{typ: typ, data: data, at: s.clock.Now(), err: err}
		select {
		case s.inbox <- in:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// schedule runs fn after d (on the session's clock), tied to resp when
// non-nil so that finishing resp drops it.
func (s *session) schedule(at time.Time, resp *response, fn func()) {
	s.seq++
	heap.Push(&s.steps, &step{at: at, seq: s.seq, resp: resp, fn: fn})
}

// latency scales a live-service latency by the pace.
func (s *session) latency(d time.Duration, p scenarios.Pace) time.Duration {
	switch p.Mode {
	case scenarios.PaceInstant:
		return 0
	case scenarios.PaceLive, scenarios.PaceRealtime:
		return time.Duration(float64(d) / p.Factor)
	}
	return d
}

func (s *session) pace() scenarios.Pace { return s.cfg.Pace }

// start sends session.created and runs the connect turn, if any.
func (s *session) start() {
	s.conf = defaultSessionConfig(s.dialect, s.hs.model)
	if s.hs.provider == OpenAI && s.hs.model != "" {
		s.conf.Model = s.hs.model
	}
	if s.scn != nil {
		s.conf.applyScenario(s.scn.Session)
	}
	s.conf.ID = s.ids.make("sess_")
	s.tr.SessionID = s.conf.ID
	maxDur := s.cfg.SessionMaxDuration
	if s.scn != nil && s.scn.ExpiresAfter > 0 {
		maxDur = s.scn.ExpiresAfter
	}
	s.conf.ExpiresAt = s.started.Add(maxDur).Unix()
	s.convID = s.ids.make("conv_")
	s.resetInput()
	s.emit("session.created", kv{"session", s.conf.render(s.dialect)})
	s.schedule(s.started.Add(maxDur), nil, func() { s.expire(maxDur) })
	if t := s.takeTurn(scenarios.OnConnect); t != nil {
		s.runTurn(t, "", scenarios.OnConnect, nil)
	}
}

// attributeClose corrects who closed the session when a write failed
// because the client's close frame had just arrived: the reader has it.
func (s *session) attributeClose() {
	if s.tr.ClosedBy != FromClient || s.tr.CloseCode > 0 {
		return
	}
	for {
		select {
		case in := <-s.inbox:
			if in.err != nil {
				if code := websocket.CloseStatus(in.err); code > 0 {
					s.tr.CloseCode = int(code)
					var ce websocket.CloseError
					if errors.As(in.err, &ce) {
						s.tr.CloseReason = ce.Reason
					}
				}
				return
			}
		default:
			return
		}
	}
}

// expire ends the session as the service does at its maximum duration:
// a session_expired error, then a close.
func (s *session) expire(after time.Duration) {
	e := realtime.ErrSessionExpired(int(after / time.Minute))
	if after%time.Minute != 0 {
		e.Message = "Your session hit the maximum duration of " + after.String() + "."
	}
	s.sendError(e, "")
	s.closeWith(websocket.StatusNormalClosure, "session_expired")
}

// receive handles one inbound frame.
func (s *session) receive(in inbound) {
	if s.closed {
		return
	}
	if in.err == nil && s.delayInbound(in) {
		return
	}
	s.receiveNow(in)
}

func (s *session) receiveNow(in inbound) {
	if s.closed {
		return
	}
	if in.err != nil {
		s.closed = true
		s.tr.ClosedBy = FromClient
		s.tr.CloseCode = int(websocket.CloseStatus(in.err))
		var ce websocket.CloseError
		if errors.As(in.err, &ce) {
			s.tr.CloseReason = ce.Reason
		}
		return
	}
	if in.typ == websocket.MessageBinary {
		s.record(FromClient, "", in.data, true, in.at)
		s.sendError(realtime.ErrBinaryFrame(), "")
		return
	}
	h, err := realtime.Peek(in.data)
	s.record(FromClient, h.Type, in.data, false, in.at)
	if err != nil {
		switch {
		case errors.Is(err, realtime.ErrMissingType):
			s.sendError(realtime.ErrMissingTypeField(), h.EventID)
		case errors.Is(err, realtime.ErrTypeNotText):
			s.sendError(realtime.ErrInvalidType("type", "a string", "another type"), h.EventID)
		default:
			detail := err.Error()
			var se *realtime.SyntaxError
			if errors.As(err, &se) {
				detail = "expected a JSON object, error at byte " + strconv.Itoa(se.Offset)
			}
			s.sendError(realtime.ErrInvalidJSON(detail), "")
		}
		return
	}
	if s.replay != nil {
		s.replayReceive(h, in.data)
		return
	}
	if e := s.dispatch(h, in.data); e != nil {
		s.sendError(e, h.EventID)
	}
}

// allowedKeys lists the top-level members of each client event.
var allowedKeys = map[string][]string{
	realtime.ClientSessionUpdate:  {"session"},
	realtime.ClientInputAppend:    {"audio"},
	realtime.ClientInputCommit:    {},
	realtime.ClientInputClear:     {},
	realtime.ClientItemCreate:     {"previous_item_id", "item"},
	realtime.ClientItemRetrieve:   {"item_id"},
	realtime.ClientItemDelete:     {"item_id"},
	realtime.ClientItemTruncate:   {"item_id", "content_index", "audio_end_ms"},
	realtime.ClientResponseCreate: {"response"},
	realtime.ClientResponseCancel: {"response_id"},
}

func checkKeys(typ string, data []byte) *realtime.Error {
	keys, err := realtime.Keys(data)
	if err != nil {
		return realtime.ErrInvalidJSON(err.Error())
	}
	allowed := allowedKeys[typ]
	for _, k := range keys {
		if k == "type" || k == "event_id" {
			continue
		}
		ok := false
		for _, a := range allowed {
			if a == k {
				ok = true
				break
			}
		}
		if !ok {
			return realtime.ErrUnknownParameter(k)
		}
	}
	return nil
}

func (s *session) dispatch(h realtime.Header, data []byte) *realtime.Error {
	if !realtime.IsClientType(s.dialect, h.Type) || h.Type == realtime.ClientSessionClose ||
		h.Type == realtime.ClientSessionInputAppend || h.Type == realtime.ClientTranscriptionSessionUpdate {
		if realtime.IsClientType(s.dialect, h.Type) {
			return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: "type",
				Message: "rtmock does not simulate '" + h.Type + "' (translation and transcription-only sessions are not supported)."}
		}
		return realtime.ErrUnknownEventType(s.dialect, h.Type)
	}
	if e := checkKeys(h.Type, data); e != nil {
		return e
	}
	switch h.Type {
	case realtime.ClientInputAppend:
		return s.onAppend(data)
	case realtime.ClientSessionUpdate:
		return s.onSessionUpdate(data)
	case realtime.ClientInputCommit:
		return s.onCommit(h.EventID)
	case realtime.ClientInputClear:
		return s.onClear()
	case realtime.ClientItemCreate:
		return s.onItemCreate(data)
	case realtime.ClientItemRetrieve:
		return s.onItemRetrieve(data)
	case realtime.ClientItemDelete:
		return s.onItemDelete(data)
	case realtime.ClientItemTruncate:
		return s.onItemTruncate(data)
	case realtime.ClientResponseCreate:
		return s.onResponseCreate(h.EventID, data)
	case realtime.ClientResponseCancel:
		return s.onResponseCancel(data)
	}
	return realtime.ErrUnknownEventType(s.dialect, h.Type)
}

func (s *session) onSessionUpdate(data []byte) *realtime.Error {
	var ev struct {
		Session json.RawMessage `json:"session"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return realtime.ErrInvalidJSON(err.Error())
	}
	next, e := parseSessionUpdate(s.dialect, s.hs.provider, s.conf, ev.Session, s.audioOutPresent)
	if e != nil {
		return e
	}
	inputChanged := next.InputFormat != s.conf.InputFormat || !sameTurnDetection(next.TurnDetection, s.conf.TurnDetection)
	s.conf = next
	if inputChanged {
		s.resetInput()
	}
	rendered := s.conf.render(s.dialect)
	s.schedule(s.clock.Now().Add(s.latency(s.cfg.lat.SessionUpdated, s.pace())), nil, func() {
		s.emit("session.updated", kv{"session", rendered})
	})
	return nil
}

func sameTurnDetection(a, b *turnDetection) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.Threshold == b.Threshold && a.PrefixPaddingMs == b.PrefixPaddingMs && a.SilenceDurationMs == b.SilenceDurationMs
}

// kv is one member of an event, in order.
type kv struct {
	k string
	v any
}

// emit sends a server event: {"type":…,"event_id":…, members…}.
func (s *session) emit(typ string, members ...kv) {
	b := s.buf[:0]
	b = append(b, `{"type":`...)
	b = realtime.AppendJSONString(b, typ)
	b = append(b, `,"event_id":"`...)
	b = s.ids.appendEventID(b)
	b = append(b, '"')
	for _, m := range members {
		b = append(b, ',', '"')
		b = append(b, m.k...)
		b = append(b, '"', ':')
		switch v := m.v.(type) {
		case json.RawMessage:
			b = append(b, orNull(v)...)
		case string:
			b = realtime.AppendJSONString(b, v)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case nil:
			b = append(b, "null"...)
		default:
			j, err := json.Marshal(v)
			if err != nil {
				panic("mockserver: cannot encode " + typ + "." + m.k + ": " + err.Error())
			}
			b = append(b, j...)
		}
	}
	b = append(b, '}')
	s.buf = b
	s.write(typ, b)
}

// emitKind sends the server event of kind k under its dialect's name.
func (s *session) emitKind(k realtime.Kind, members ...kv) {
	s.emit(s.dialect.Name(k), members...)
}

func (s *session) write(typ string, b []byte) {
	if s.faults != nil {
		s.writeFaulty(typ, b)
		return
	}
	s.rawWrite(typ, b)
}

// rawWrite sends a frame now.
func (s *session) rawWrite(typ string, b []byte) {
	if s.closed {
		return
	}
	s.record(FromServer, typ, b, false, s.clock.Now())
	err := s.conn.Write(s.wctx, websocket.MessageText, b)
	if err != nil {
		s.closed = true
		if s.tr.ClosedBy == "" {
			s.tr.ClosedBy = FromClient
			s.tr.CloseCode = int(websocket.CloseStatus(err))
		}
		return
	}
	if s.faults != nil {
		s.afterWrite(typ)
	}
}

func (s *session) record(dir Direction, typ string, data []byte, binary bool, at time.Time) {
	if !s.cfg.KeepTranscripts {
		return
	}
	s.tr.Frames = append(s.tr.Frames, Frame{At: at.Sub(s.started), Dir: dir, Type: typ, Data: append([]byte(nil), data...), Binary: binary})
}

func (s *session) sendError(e *realtime.Error, clientEventID string) {
	if clientEventID != "" {
		e = e.WithEventID(clientEventID)
	}
	s.tr.Errors++
	b := s.buf[:0]
	id := s.ids.appendEventID(nil)
	b = e.AppendEvent(b, string(id))
	s.buf = b
	s.cfg.Logger.Debug("error event", "session", s.conf.ID, "code", e.Code, "message", e.Message)
	s.write("error", b)
}

// closeWith closes the socket with a close frame, as the server.
func (s *session) closeWith(code websocket.StatusCode, reason string) {
	if s.closed {
		return
	}
	s.closed = true
	s.tr.ClosedBy, s.tr.CloseCode, s.tr.CloseReason = FromServer, int(code), reason
	s.conn.Close(code, reason)
}

// ---- input audio ----

func (s *session) resetInput() {
	s.inFormat = s.conf.InputFormat
	s.vad = nil
	s.speechItemID = ""
	if td := s.conf.TurnDetection; td != nil && td.Type != "" {
		th, pre, sil := td.Threshold, td.PrefixPaddingMs, td.SilenceDurationMs
		v, err := audio.NewVAD(audio.VADConfig{Format: s.inFormat, Threshold: &th, PrefixPaddingMs: &pre, SilenceDurationMs: &sil})
		if err == nil {
			s.vad = v
			s.vadBaseMs = s.timelineMs()
		}
	}
}

func (s *session) timelineMs() int {
	return int(s.totalBytes / int64(s.inFormat.BytesPerMs()))
}

func (s *session) bufferedMs() float64 {
	return float64(s.totalBytes-s.bufferStart) / float64(s.inFormat.BytesPerMs())
}

func (s *session) formatDesc() string {
	switch s.inFormat {
	case audio.G711ULaw:
		return "G.711 u-law at 8kHz"
	case audio.G711ALaw:
		return "G.711 A-law at 8kHz"
	}
	return "mono PCM16 at 24kHz"
}

func (s *session) onAppend(data []byte) *realtime.Error {
	raw, ok, err := realtime.StringField(data, "audio")
	if err != nil {
		return realtime.ErrInvalidJSON(err.Error())
	}
	if !ok {
		if keys, _ := realtime.Keys(data); slices.Contains(keys, "audio") {
			return realtime.ErrInvalidType("audio", "a string", "another type")
		}
		return realtime.ErrMissingParameter("audio")
	}
	raw, uerr := realtime.Unquote(raw)
	if uerr != nil {
		return realtime.ErrInvalidAudio(s.formatDesc())
	}
	pcm := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, derr := base64.StdEncoding.Decode(pcm, raw)
	if derr != nil || n%s.inFormat.BytesPerSample() != 0 {
		return realtime.ErrInvalidAudio(s.formatDesc())
	}
	pcm = pcm[:n]
	s.totalBytes += int64(n)
	if s.vad == nil {
		return nil
	}
	for _, ev := range s.vad.Feed(pcm) {
		switch ev.Type {
		case audio.SpeechStarted:
			s.speechStarted(s.vadBaseMs + ev.AudioStartMs)
		case audio.SpeechStopped:
			s.speechStopped(s.vadBaseMs+ev.AudioEndMs, "")
		}
	}
	return nil
}

// speechStarted reports the user starting to talk and interrupts the
// active response when the session asks for it.
func (s *session) speechStarted(startMs int) {
	s.speechItemID = s.ids.make("item_")
	s.emitKind(realtime.KindSpeechStarted, kv{"audio_start_ms", startMs}, kv{"item_id", s.speechItemID})
	if td := s.conf.TurnDetection; td != nil && td.InterruptResponse && s.active != nil {
		s.finishResponse(s.active, "cancelled", "turn_detected")
	}
}

// speechStopped ends the user's turn: commit, the user item, transcription
// and, with create_response, the answer.
func (s *session) speechStopped(endMs int, transcript string) {
	id := s.speechItemID
	if id == "" {
		id = s.ids.make("item_")
	}
	s.speechItemID = ""
	s.emitKind(realtime.KindSpeechStopped, kv{"audio_end_ms", endMs}, kv{"item_id", id})
	endByte := int64(endMs) * int64(s.inFormat.BytesPerMs())
	if endByte < s.bufferStart {
		endByte = s.bufferStart
	}
	audioBytes := endByte - s.bufferStart
	if endByte > s.totalBytes {
		audioBytes = s.totalBytes - s.bufferStart
		endByte = s.totalBytes
	}
	s.bufferStart = endByte
	s.commitItem(id, int(audioBytes), scenarios.OnUserSpeech, transcript)
	if td := s.conf.TurnDetection; td != nil && td.CreateResponse && s.active == nil && s.conf.Type != "transcription" {
		t := s.takeTurn(scenarios.OnUserSpeech)
		s.runTurn(t, "", scenarios.OnUserSpeech, nil)
	}
}

// commitItem sends committed and the user audio item, then schedules the
// item's transcription when it is enabled.
func (s *session) commitItem(id string, audioBytes int, trigger scenarios.Trigger, transcript string) {
	prev := s.lastItemID()
	s.emitKind(realtime.KindInputCommitted, kv{"previous_item_id", nullable(prev)}, kv{"item_id", id})
	it := &item{ID: id, Type: "message", Role: "user", Status: "completed",
		Content: []contentPart{{Kind: partInputAudio, AudioBytes: audioBytes, format: s.inFormat}}}
	s.insertItem(it, prev)
	s.announceItem(it, prev)
	s.commitSinceResponse = true
	if !s.conf.transcriptionEnabled() {
		return
	}
	if transcript == "" {
		transcript = s.userTranscript(trigger)
	}
	fails := false
	if t := s.peekTurn(trigger); t != nil && t.User != nil && t.User.TranscriptionFails {
		fails = true
	}
	now := s.clock.Now()
	p := s.pace()
	if !fails && s.dialect == realtime.GA {
		s.schedule(now.Add(s.latency(s.cfg.lat.TranscriptionDelta, p)), nil, func() {
			s.emitKind(realtime.KindInputTranscriptionDelta, kv{"item_id", id}, kv{"content_index", 0}, kv{"delta", transcript})
		})
	}
	s.schedule(now.Add(s.latency(s.cfg.lat.TranscriptionDone, p)), nil, func() {
		if fails {
			s.emitKind(realtime.KindInputTranscriptionFailed, kv{"item_id", id}, kv{"content_index", 0},
				kv{"error", map[string]any{"type": "transcription_error", "code": "audio_unintelligible", "message": "Audio could not be transcribed.", "param": nil}})
			return
		}
		if it, ok := s.byID[id]; ok && len(it.Content) > 0 {
			t := transcript
			it.Content[0].Transcript = &t
		}
		members := []kv{{"item_id", id}, {"content_index", 0}, {"transcript", transcript}}
		if s.dialect == realtime.GA {
			members = append(members, kv{"usage", map[string]any{"type": "duration", "seconds": float64(audioBytes) / float64(s.inFormat.BytesPerMs()) / 1000}})
		}
		s.emitKind(realtime.KindInputTranscriptionCompleted, members...)
	})
}

// userTranscript is what the simulated transcription says the user said.
func (s *session) userTranscript(trigger scenarios.Trigger) string {
	if s.lastUserTranscript != "" {
		t := s.lastUserTranscript
		s.lastUserTranscript = ""
		return t
	}
	if t := s.peekTurn(trigger); t != nil && t.User != nil && t.User.Transcript != "" {
		return t.User.Transcript
	}
	return "Hello."
}

func (s *session) onCommit(eventID string) *realtime.Error {
	if ms := s.bufferedMs(); ms < 100 {
		return realtime.ErrCommitEmpty(ms)
	}
	id := s.speechItemID
	if id == "" {
		id = s.ids.make("item_")
	}
	s.speechItemID = ""
	n := int(s.totalBytes - s.bufferStart)
	s.bufferStart = s.totalBytes
	if s.vad != nil {
		s.vad.Reset()
	}
	at := s.clock.Now().Add(s.latency(s.cfg.lat.Committed, s.pace()))
	s.schedule(at, nil, func() { s.commitItem(id, n, scenarios.OnCommit, "") })
	return nil
}

func (s *session) onClear() *realtime.Error {
	s.bufferStart = s.totalBytes
	s.speechItemID = ""
	if s.vad != nil {
		s.vad.Reset()
	}
	s.emitKind(realtime.KindInputCleared)
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
