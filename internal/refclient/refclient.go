// Package refclient is a well-behaved realtime voice agent: the client the
// conformance rules are proven against. It passes every rule on every
// built-in scenario in both dialects, and each of its deliberate [Bug]s
// breaks exactly one rule.
//
// It is a generic voice-agent loop over one WebSocket, written with
// nothing but the protocol reference:
//
//   - connect to the Azure endpoint of the dialect asked for, wait for
//     session.created, send session.update and wait for session.updated;
//   - stream the user's speech (RTMOCK_INPUT_WAV) in real time, in the
//     format asked for, and in manual mode commit it and ask for a
//     response; or send the user's text as an item and response.create;
//   - track responses by response.created and response.done, ask for a
//     response only when none is active, retry one an error refused;
//   - answer function calls with function_call_output items, then
//     response.create once the call's response is done;
//   - play assistant audio in real time from its first delta (simulated);
//     on speech_started during playback stop and send one truncate with
//     the ms played;
//   - survive error events; reconnect when the server ends the session;
//   - close with 1000 when the call is over (the context is done).
package refclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
)

// Bug is a deliberate mistake, each one of the pitfalls of the protocol
// reference §8; the comment names the rule that catches it.
type Bug string

// The bugs.
const (
	NoBug                 Bug = ""
	NoTruncate            Bug = "no-truncate"             // RT-BARGEIN-TRUNCATE: stops playback on barge-in but never truncates
	TruncateReceived      Bug = "truncate-received"       // RT-TRUNCATE-PLAYED: truncates at what was received, not what was played
	TruncateZero          Bug = "truncate-zero"           // RT-TRUNCATE-VALUE: truncates with audio_end_ms 0
	TruncateAfterResponse Bug = "truncate-after-response" // RT-TRUNCATE-SPURIOUS: truncates every finished reply, interrupted or not
	SlowTruncate          Bug = "slow-truncate"           // RT-BARGEIN-REACTION: truncates 2 s after speech_started
	RaceResponseCreate    Bug = "race-response-create"    // RT-ACTIVE-RESPONSE: asks again without waiting for the active response
	QuitOnCancel          Bug = "quit-on-cancel"          // RT-CANCEL-HANDLING: cancels on barge-in and gives up on response_cancel_not_active or a cancelled response
	QuitOnError           Bug = "quit-on-error"           // RT-ERROR-RECOVERY: closes the session on any error event
	NoRetry               Bug = "no-retry"                // RT-ERROR-RECOVERY: never asks again when a response.create was refused
	OddTail               Bug = "odd-tail"                // RT-AUDIO-FORMAT: the last pcm16 chunk has an odd byte count
	BigEndian             Bug = "big-endian"              // RT-AUDIO-FORMAT: sends pcm16 samples big-endian
	Burst                 Bug = "burst"                   // RT-AUDIO-PACING: sends the whole recording at once
	NoWaitForUpdated      Bug = "no-wait-for-updated"     // RT-CONFIG-FIRST: starts right after session.update
	IgnoreRejectedUpdate  Bug = "ignore-rejected-update"  // RT-CONFIG-REJECTED: its session.update is refused and it carries on
	ChangeVoice           Bug = "change-voice"            // RT-VOICE-CHANGE: changes the voice after the first reply
	MixDialect            Bug = "mix-dialect"             // RT-DIALECT: sends the other dialect's field in a second session.update
	CommitAfterVAD        Bug = "commit-after-vad"        // RT-COMMIT: commits after server VAD already committed the turn
	Ping                  Bug = "ping"                    // RT-EVENT-TYPES: sends {"type":"ping"} keep-alives
	IgnoreServerClose     Bug = "ignore-server-close"     // RT-SESSION-END: neither reconnects nor ends when the server closes
	ResponseBeforeOutput  Bug = "response-before-output"  // RT-FUNCTION-CALL: asks for the next response before returning the call's output
	DropConnection        Bug = "drop-connection"         // RT-CLOSE-NORMAL: drops the connection without a close frame when hung up
)

// Bugs lists every bug with the id of the rule that catches it.
func Bugs() map[Bug]string {
	return map[Bug]string{
		NoTruncate:            conformance.RuleBargeInTruncate,
		TruncateReceived:      conformance.RuleTruncatePlayed,
		TruncateZero:          conformance.RuleTruncateValue,
		TruncateAfterResponse: conformance.RuleTruncateSpurious,
		SlowTruncate:          conformance.RuleBargeInReaction,
		RaceResponseCreate:    conformance.RuleActiveResponse,
		QuitOnCancel:          conformance.RuleCancelHandling,
		QuitOnError:           conformance.RuleErrorRecovery,
		NoRetry:               conformance.RuleErrorRecovery,
		OddTail:               conformance.RuleAudioFormat,
		BigEndian:             conformance.RuleAudioFormat,
		Burst:                 conformance.RuleAudioPacing,
		NoWaitForUpdated:      conformance.RuleConfigFirst,
		IgnoreRejectedUpdate:  conformance.RuleConfigRejected,
		ChangeVoice:           conformance.RuleVoiceChange,
		MixDialect:            conformance.RuleDialect,
		CommitAfterVAD:        conformance.RuleCommit,
		Ping:                  conformance.RuleEventTypes,
		IgnoreServerClose:     conformance.RuleSessionEnd,
		ResponseBeforeOutput:  conformance.RuleFunctionCall,
		DropConnection:        conformance.RuleCloseNormal,
	}
}

// Options configure the client. A nil *Options is the well-behaved client.
type Options struct {
	// Bug makes the client commit one deliberate mistake.
	Bug Bug
	// Profile is the kind of client it is; "" adapts to what the runner
	// gives it (speech or text) and declares its tool.
	Profile Profile
}

// Profile is a kind of client, as conformance.Profiles names them.
type Profile string

// The profiles.
const (
	Adaptive   Profile = ""             // speaks when given speech, types otherwise; declares its tool
	VoiceAgent Profile = "voice-agent"  // speaks when given speech, leaves turns to server VAD; no tools
	PushToTalk Profile = "push-to-talk" // turns server VAD off: commits its audio and asks for each response; no tools
	Text       Profile = "text"         // always types, asks for each response; no tools
	Tools      Profile = "tools"        // types, asks for each response, declares its tool
)

// New returns the client as a conformance.Func.
func New(opts *Options) conformance.Func {
	var o Options
	if opts != nil {
		o = *opts
	}
	return func(ctx context.Context, env conformance.Env) error {
		if o.Profile == Text || o.Profile == Tools {
			env.InputWAV = "" // it types whatever the scenario offers
		}
		a := &agent{bug: o.Bug, env: env, profile: o.Profile}
		return a.run(ctx)
	}
}

const (
	instructions  = "You are a helpful voice assistant."
	voice         = "alloy"
	otherVoice    = "verse"
	maxReconnects = 3
	maxRetries    = 3
)

// agent is the client across the sessions of one call.
type agent struct {
	bug       Bug
	profile   Profile
	env       conformance.Env
	chunks    []string // the speech, base64, one chunk per append
	chunkDur  time.Duration
	inputDone bool // the user's turn was delivered; a reconnect does not repeat it
}

// errQuit ends a session on the client's own decision (the quitting bugs).
var errQuit = errors.New("quit")

func (a *agent) run(ctx context.Context) error {
	if a.env.InputWAV != "" {
		if err := a.loadSpeech(); err != nil {
			return err
		}
	}
	for reconnects := 0; ; reconnects++ {
		err := a.session(ctx)
		var sc serverClosed
		switch {
		case ctx.Err() != nil, errors.Is(err, errQuit):
			return nil
		case !errors.As(err, &sc):
			return err
		case sc.code >= 3000 && sc.code < 5000:
			return fmt.Errorf("refclient: the service refused the session: %w", err)
		case a.bug == IgnoreServerClose:
			<-ctx.Done()
			return nil
		case reconnects == maxReconnects:
			return fmt.Errorf("refclient: the server closed %d sessions in a row: %w", reconnects+1, err)
		}
	}
}

// serverClosed is a session the server ended.
type serverClosed struct {
	code   int
	reason string
}

func (e serverClosed) Error() string {
	return fmt.Sprintf("the server closed the session (%d %q)", e.code, e.reason)
}

// loadSpeech cuts the input into chunks of the format asked for: 100 ms of
// pcm16, 20 ms (a telephony frame) of G.711.
func (a *agent) loadSpeech() error {
	f, err := os.Open(a.env.InputWAV)
	if err != nil {
		return fmt.Errorf("refclient: %w", err)
	}
	defer f.Close()
	w, err := audio.ReadWAV(f)
	if err != nil {
		return fmt.Errorf("refclient: %w", err)
	}
	format := a.env.InputFormat
	data := w.Convert(format)
	a.chunkDur = 100 * time.Millisecond
	if format != audio.PCM16 {
		a.chunkDur = 20 * time.Millisecond
	}
	if a.bug == BigEndian && format == audio.PCM16 {
		for i := 0; i+1 < len(data); i += 2 {
			data[i], data[i+1] = data[i+1], data[i]
		}
	}
	n := format.Bytes(a.chunkDur)
	for off := 0; off < len(data); off += n {
		chunk := data[off:min(off+n, len(data))]
		if a.bug == OddTail && format == audio.PCM16 && off+n >= len(data) {
			chunk = append(bytes.Clone(chunk), 0)
		}
		a.chunks = append(a.chunks, base64.StdEncoding.EncodeToString(chunk))
	}
	return nil
}

// session is one WebSocket session.
type session struct {
	a    *agent
	bug  Bug
	conn *websocket.Conn
	ctx  context.Context
	seq  int

	// The configuration the server announced.
	vad, interrupt bool
	outFormat      audio.Format
	updateID       string
	configured     bool

	// The user's turn.
	streaming   bool
	streamStart time.Time
	next        int
	buffered    time.Duration // audio appended since the last commit
	committing  bool          // a manual commit waits for input_audio_buffer.committed

	// Responses.
	active     map[string]bool
	pending    string // event_id of a response.create not answered yet
	wantCreate bool
	retries    int
	completed  int
	spoke      bool // assistant audio has been received

	play *playback

	streamTimer, delayTimer, pingTicker *time.Timer
	delayed                             []byte
}

// playback is the assistant audio the client is playing, simulated: real
// time from the item's first delta.
type playback struct {
	item, resp string
	first      time.Time
	bytes, bpm int
	stopped    bool
}

func (p *playback) received() time.Duration {
	return time.Duration(p.bytes/p.bpm) * time.Millisecond
}

// played is min(received, elapsed since the first delta).
func (p *playback) played(now time.Time) time.Duration {
	return min(p.received(), now.Sub(p.first))
}

type inbound struct {
	data []byte
	err  error
}

func (a *agent) session(ctx context.Context) error {
	conn, _, err := websocket.Dial(ctx, a.env.URL(), &websocket.DialOptions{
		HTTPHeader: http.Header{"api-key": {a.env.APIKey}},
	})
	if err != nil {
		return fmt.Errorf("refclient: connect: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(32 << 20)
	s := &session{
		a: a, bug: a.bug, conn: conn, ctx: ctx, active: map[string]bool{}, vad: true, interrupt: true,
		streamTimer: stoppedTimer(), delayTimer: stoppedTimer(), pingTicker: stoppedTimer(),
	}
	defer s.streamTimer.Stop()
	defer s.delayTimer.Stop()
	defer s.pingTicker.Stop()

	events := make(chan inbound)
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, data, err := conn.Read(context.Background())
			select {
			case events <- inbound{data, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		conn.CloseNow()
		<-readerDone
	}()

	for {
		select {
		case <-ctx.Done():
			if s.bug == DropConnection {
				return conn.CloseNow()
			}
			return conn.Close(websocket.StatusNormalClosure, "")
		case in := <-events:
			if in.err != nil {
				if ce := (websocket.CloseError{}); errors.As(in.err, &ce) {
					return serverClosed{int(ce.Code), ce.Reason}
				}
				return serverClosed{1006, in.err.Error()}
			}
			if err := s.handle(in.data); err != nil {
				if errors.Is(err, errQuit) {
					conn.Close(websocket.StatusNormalClosure, "")
				}
				return err
			}
		case <-s.streamTimer.C:
			if err := s.sendChunk(); err != nil {
				return err
			}
		case <-s.delayTimer.C:
			if err := s.write(s.delayed); err != nil {
				return err
			}
		case <-s.pingTicker.C:
			s.pingTicker.Reset(time.Second)
			if err := s.send(map[string]any{"type": "ping"}); err != nil {
				return err
			}
		}
	}
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// send writes a client event with a fresh event_id and returns the id.
func (s *session) send(ev map[string]any) error {
	_, err := s.sendID(ev)
	return err
}

func (s *session) sendID(ev map[string]any) (string, error) {
	s.seq++
	id := fmt.Sprintf("evt_%d", s.seq)
	typ, _ := ev["type"].(string)
	delete(ev, "type")
	rest, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("refclient: %w", err)
	}
	// type and event_id first, as people write events and read reports.
	b := fmt.Appendf(nil, `{"type":%q`, typ)
	if typ != "ping" {
		b = fmt.Appendf(b, `,"event_id":%q`, id)
	}
	if len(rest) > 2 {
		b = append(append(b, ','), rest[1:]...)
	} else {
		b = append(b, '}')
	}
	return id, s.write(b)
}

func (s *session) write(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("refclient: send: %w", err)
	}
	return nil
}

// handle reacts to one server event.
func (s *session) handle(data []byte) error {
	h, err := realtime.Peek(data)
	if err != nil {
		return nil
	}
	switch realtime.KindOf(s.a.env.Dialect, h.Type) {
	case realtime.KindSessionCreated:
		s.applyConfig(data)
		return s.configure()
	case realtime.KindSessionUpdated:
		s.applyConfig(data)
		if s.updateID != "" && !s.configured {
			s.configured = true
			return s.begin()
		}
	case realtime.KindError:
		return s.onError(data)
	case realtime.KindResponseCreated:
		var ev struct{ Response struct{ ID string } }
		json.Unmarshal(data, &ev)
		s.active[ev.Response.ID] = true
		s.pending = ""
	case realtime.KindResponseDone:
		return s.onDone(data)
	case realtime.KindAudioDelta:
		s.onDelta(data)
	case realtime.KindSpeechStarted:
		return s.onSpeechStarted()
	case realtime.KindSpeechStopped:
		if s.bug == RaceResponseCreate && s.vad {
			_, err := s.sendID(map[string]any{"type": realtime.ClientResponseCreate})
			return err
		}
	case realtime.KindInputCommitted:
		if s.bug == CommitAfterVAD && s.vad {
			return s.send(map[string]any{"type": realtime.ClientInputCommit})
		}
		if s.committing {
			// The push-to-talk turn is in the conversation: ask for the answer.
			s.committing, s.wantCreate = false, true
			return s.create()
		}
	}
	return nil
}

// applyConfig reads what the client needs of a session.created/updated:
// turn detection and the output format.
func (s *session) applyConfig(data []byte) {
	var ev struct {
		Session struct {
			TurnDetection     *json.RawMessage `json:"turn_detection"`
			OutputAudioFormat string           `json:"output_audio_format"`
			Audio             *struct {
				Input struct {
					TurnDetection *json.RawMessage `json:"turn_detection"`
				} `json:"input"`
				Output struct {
					Format struct{ Type string } `json:"format"`
				} `json:"output"`
			} `json:"audio"`
		} `json:"session"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return
	}
	td, format := ev.Session.TurnDetection, ev.Session.OutputAudioFormat
	if a := ev.Session.Audio; a != nil {
		td, format = a.Input.TurnDetection, a.Output.Format.Type
	}
	s.vad, s.interrupt = false, false
	if td != nil && string(*td) != "null" {
		var t struct {
			Type              string `json:"type"`
			InterruptResponse *bool  `json:"interrupt_response"`
		}
		json.Unmarshal(*td, &t)
		if t.Type != "" && t.Type != "none" {
			s.vad, s.interrupt = true, t.InterruptResponse == nil || *t.InterruptResponse
		}
	}
	if f, err := audio.ParseFormatLenient(format); err == nil {
		s.outFormat = f
	}
}

// weatherTool is the function the client declares, as a tool-using agent
// does: the function-call scenario calls it.
var weatherTool = map[string]any{
	"type": "function", "name": "get_weather", "description": "Get the current weather for a city.",
	"parameters": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string"}}, "required": []any{"city"}},
}

// configure sends the session.update: instructions, voice and the tool it
// offers, and the audio format when the client has speech to send. Turn
// detection stays as the session has it.
func (s *session) configure() error {
	v := voice
	if s.bug == IgnoreRejectedUpdate {
		v = "robot" // no such voice: the update is refused
	}
	var sess map[string]any
	f, speech := s.a.env.InputFormat, s.a.env.InputWAV != ""
	if s.a.env.Dialect == realtime.GA {
		au := map[string]any{"output": map[string]any{"voice": v}}
		if speech {
			au["input"] = map[string]any{"format": gaFormat(f)}
			au["output"].(map[string]any)["format"] = gaFormat(f)
		}
		if s.a.profile == PushToTalk {
			if au["input"] == nil {
				au["input"] = map[string]any{}
			}
			au["input"].(map[string]any)["turn_detection"] = nil
		}
		sess = map[string]any{"type": "realtime", "instructions": instructions, "audio": au}
	} else {
		sess = map[string]any{"instructions": instructions, "voice": v}
		if speech {
			sess["input_audio_format"], sess["output_audio_format"] = f.String(), f.String()
		}
		if s.a.profile == PushToTalk {
			sess["turn_detection"] = nil
		}
	}
	if s.a.profile == Adaptive || s.a.profile == Tools {
		sess["tools"] = []any{weatherTool}
	}
	id, err := s.sendID(map[string]any{"type": realtime.ClientSessionUpdate, "session": sess})
	if err != nil {
		return err
	}
	s.updateID = id
	if s.bug == NoWaitForUpdated {
		s.configured = true
		return s.begin()
	}
	return nil
}

func gaFormat(f audio.Format) map[string]any {
	m := map[string]any{"type": f.GAType()}
	if f == audio.PCM16 {
		m["rate"] = 24000
	}
	return m
}

// begin starts the user's turn once the session is configured.
func (s *session) begin() error {
	switch s.bug {
	case MixDialect:
		sess := map[string]any{"max_output_tokens": 4096}
		if s.a.env.Dialect == realtime.GA {
			sess = map[string]any{"type": "realtime", "max_response_output_tokens": 4096}
		}
		if err := s.send(map[string]any{"type": realtime.ClientSessionUpdate, "session": sess}); err != nil {
			return err
		}
	case Ping:
		s.pingTicker.Reset(0)
	}
	if s.a.inputDone {
		return nil
	}
	s.a.inputDone = true
	if len(s.a.chunks) > 0 {
		s.streaming, s.streamStart, s.next = true, time.Now(), 0
		if s.bug == Burst {
			for s.streaming {
				if err := s.sendChunk(); err != nil {
					return err
				}
			}
			return nil
		}
		return s.sendChunk()
	}
	text := s.a.env.InputText
	if text == "" {
		text = conformance.InputText
	}
	err := s.send(map[string]any{"type": realtime.ClientItemCreate, "item": map[string]any{
		"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": text}},
	}})
	if err != nil {
		return err
	}
	s.wantCreate = true
	if s.bug == RaceResponseCreate {
		if err := s.create(); err != nil {
			return err
		}
		_, err := s.sendID(map[string]any{"type": realtime.ClientResponseCreate})
		return err
	}
	return s.create()
}

// sendChunk appends the next chunk of speech and schedules the one after,
// each due at start + i·chunk so that timer lateness does not add up.
func (s *session) sendChunk() error {
	if !s.streaming {
		return nil
	}
	chunk := s.a.chunks[s.next]
	if err := s.send(map[string]any{"type": realtime.ClientInputAppend, "audio": chunk}); err != nil {
		return err
	}
	s.next++
	s.buffered += s.a.chunkDur
	if s.next < len(s.a.chunks) {
		if s.bug != Burst {
			s.streamTimer.Reset(time.Until(s.streamStart.Add(time.Duration(s.next) * s.a.chunkDur)))
		}
		return nil
	}
	s.streaming = false
	if s.vad || s.buffered < 100*time.Millisecond {
		return nil // server VAD commits the turn
	}
	// Push-to-talk: the user let go of the button. A commit never starts a
	// response; ask for one once the turn is committed.
	if err := s.send(map[string]any{"type": realtime.ClientInputCommit}); err != nil {
		return err
	}
	s.buffered, s.committing = 0, true
	return nil
}

// create sends the wanted response.create when no response is active.
func (s *session) create() error {
	if !s.wantCreate || len(s.active) > 0 || s.pending != "" {
		return nil
	}
	id, err := s.sendID(map[string]any{"type": realtime.ClientResponseCreate})
	if err != nil {
		return err
	}
	s.pending, s.wantCreate = id, false
	return nil
}

func (s *session) onError(data []byte) error {
	var ev struct {
		Error struct {
			Type, Code, Message string
			EventID             string `json:"event_id"`
		}
	}
	json.Unmarshal(data, &ev)
	e := ev.Error
	switch {
	case e.Code == "response_cancel_not_active":
		if s.bug == QuitOnCancel {
			return errQuit
		}
		return nil // nothing was left to cancel: fine
	case s.bug == QuitOnError:
		return errQuit
	case e.EventID != "" && e.EventID == s.updateID && !s.configured:
		if s.bug == IgnoreRejectedUpdate {
			s.configured = true
			return s.begin()
		}
		fmt.Fprintf(s.a.env.Stderr, "refclient: session.update refused: %s %s\n", e.Code, e.Message)
	case e.EventID != "" && e.EventID == s.pending:
		s.pending = ""
		switch {
		case e.Code == "conversation_already_has_active_response":
			s.wantCreate = true // the active response answers; ask again after it
		case s.bug != NoRetry && s.retries < maxRetries:
			s.retries++
			s.wantCreate = true
		}
		return s.create()
	}
	return nil
}

func (s *session) onDone(data []byte) error {
	var ev struct {
		Response struct {
			ID     string
			Status string
			Output []struct {
				Type   string
				CallID string `json:"call_id"`
				Name   string
			}
		}
	}
	json.Unmarshal(data, &ev)
	r := ev.Response
	delete(s.active, r.ID)
	if s.pending != "" && len(s.active) == 0 {
		s.pending = "" // answered by this response
	}
	if r.Status != "completed" && s.bug == QuitOnCancel {
		return errQuit
	}
	calls := 0
	for _, o := range r.Output {
		if o.Type != "function_call" {
			continue
		}
		calls++
		if s.bug == ResponseBeforeOutput && calls == 1 {
			s.wantCreate = true
			if err := s.create(); err != nil {
				return err
			}
		}
		err := s.send(map[string]any{"type": realtime.ClientItemCreate, "item": map[string]any{
			"type": "function_call_output", "call_id": o.CallID, "output": `{"temperature_c":18,"sky":"sunny"}`,
		}})
		if err != nil {
			return err
		}
	}
	if calls > 0 && s.bug != ResponseBeforeOutput {
		s.wantCreate = true
	}
	if r.Status == "completed" {
		s.completed++
		if p := s.play; s.bug == TruncateAfterResponse && p != nil && p.resp == r.ID && !p.stopped {
			end := max(int(p.played(time.Now())/time.Millisecond), 1)
			if err := s.truncate(p, end); err != nil {
				return err
			}
		}
		if s.bug == ChangeVoice && s.completed == 1 && s.spoke {
			sess := map[string]any{"voice": otherVoice}
			if s.a.env.Dialect == realtime.GA {
				sess = map[string]any{"type": "realtime", "audio": map[string]any{"output": map[string]any{"voice": otherVoice}}}
			}
			if err := s.send(map[string]any{"type": realtime.ClientSessionUpdate, "session": sess}); err != nil {
				return err
			}
		}
	}
	return s.create()
}

func (s *session) onDelta(data []byte) {
	item, _, _ := realtime.StringField(data, "item_id")
	resp, _, _ := realtime.StringField(data, "response_id")
	delta, _, _ := realtime.StringField(data, "delta")
	if s.play == nil || s.play.item != string(item) {
		s.play = &playback{item: string(item), resp: string(resp), first: time.Now(), bpm: s.outFormat.BytesPerMs()}
	}
	s.play.bytes += base64.StdEncoding.DecodedLen(len(delta)) - padding(delta)
	s.spoke = true
}

func padding(b []byte) int {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '=' && n < 2; i-- {
		n++
	}
	return n
}

// onSpeechStarted stops playback when the user talks over the assistant
// and truncates the item at what was played.
func (s *session) onSpeechStarted() error {
	p := s.play
	if p == nil || p.stopped {
		return nil
	}
	now := time.Now()
	if !s.active[p.resp] && now.Sub(p.first) >= p.received() {
		return nil // it had finished playing: nothing was interrupted
	}
	played := p.played(now)
	p.stopped = true
	if s.bug == QuitOnCancel || !s.interrupt && s.active[p.resp] {
		if err := s.send(map[string]any{"type": realtime.ClientResponseCancel}); err != nil {
			return err
		}
	}
	end := int(played / time.Millisecond)
	switch s.bug {
	case NoTruncate:
		return nil
	case TruncateReceived:
		end = int(p.received() / time.Millisecond)
	case TruncateZero:
		end = 0
	case SlowTruncate:
		s.seq++
		s.delayed = fmt.Appendf(nil, `{"type":%q,"event_id":"evt_%d","item_id":%q,"content_index":0,"audio_end_ms":%d}`,
			realtime.ClientItemTruncate, s.seq, p.item, end)
		s.delayTimer.Reset(2 * time.Second)
		return nil
	default:
		if end < 1 {
			return nil // nothing was heard: nothing to cut
		}
	}
	return s.truncate(p, end)
}

func (s *session) truncate(p *playback, end int) error {
	return s.send(map[string]any{"type": realtime.ClientItemTruncate, "item_id": p.item, "content_index": 0, "audio_end_ms": end})
}
