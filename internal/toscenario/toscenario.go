// Package toscenario turns a recorded session, a cassette, into an editable
// scenario: the session configuration the server reported, and one turn
// per recorded response. It is what "rtmock cassette to-scenario" runs.
//
// Whatever goes wrong is told at a line of the cassette, the file the user
// has, never at a position in the YAML the conversion writes.
package toscenario

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// FromCassette turns a recorded session into an editable scenario: the
// session configuration the server reported, and one turn per recorded
// response — its trigger (response.create, or user speech when server VAD
// started it), its words, the length and chunking of its audio, its
// function calls and its final status — plus the error events the server
// sent in answer to client events. The result is a starting point to edit:
// the audio becomes a tone of the recorded length, and timing becomes the
// scenario's pace.
//
// The warnings say what could not be carried over as recorded (a cut last
// line, a response the recording ends inside), each as "FILE:LINE: …" with
// the cassette's path and line. An error names the cassette's lines too.
func FromCassette(c *cassette.Cassette) (*scenarios.Scenario, []string, error) {
	cv := newConverter(c)
	for i, f := range c.All() {
		cv.frame(i, f)
	}
	cv.endOfRecording()
	if len(cv.sc.Turns) == 0 {
		return nil, cv.warnings(), fmt.Errorf("cassette %s has no responses to turn into a scenario", c.Path())
	}
	// Round-trip through the language so the result is exactly what a file
	// would load as (defaults filled in, values validated).
	data, err := scenarios.Marshal(cv.sc)
	if err != nil {
		return nil, cv.warnings(), err
	}
	sc, err := scenarios.Parse(cv.sc.Name, data)
	if err != nil {
		return nil, cv.warnings(), cv.placeErrors(err)
	}
	return sc, cv.warnings(), nil
}

// origin is the frame a part of the scenario comes from.
type origin struct {
	frame int    // index in the cassette; -1 for none
	what  string // "response resp_1", "error event", "session"
}

// pending is a response being read.
type pending struct {
	turn      scenarios.Turn
	from      origin
	audioByte int
	chunks    []time.Duration
	bpm       int
	text      strings.Builder
	calls     map[string]*scenarios.FunctionCall
	order     []string
}

// converter reads the frames of one cassette in order.
type converter struct {
	c       *cassette.Cassette
	dialect realtime.Dialect
	sc      *scenarios.Scenario
	origins []origin // of each turn of sc
	session origin
	expiry  origin
	notes   []note
	cur     *pending
	trigger scenarios.Trigger
	outBPM  int
}

// note is a warning at a frame, or at a line when frame is -1.
type note struct {
	frame, line int
	msg         string
}

func newConverter(c *cassette.Cassette) *converter {
	h := c.Header()
	d := h.Dialect
	if d == "" {
		d = realtime.GA
	}
	cv := &converter{
		c:       c,
		dialect: d,
		sc: &scenarios.Scenario{
			Name:        scenarioName(c.Path()),
			Description: fmt.Sprintf("Recorded %s from %s%s (%s dialect).", h.Created.Format(time.RFC3339), h.Provider, h.Endpoint.Path, d),
		},
		session: origin{frame: -1},
		expiry:  origin{frame: -1},
		trigger: scenarios.OnResponseCreate,
		outBPM:  48,
	}
	if t := c.Truncated(); t != nil {
		cv.notes = append(cv.notes, note{frame: -1, line: t.Line, msg: "the last line is incomplete (the recording was cut short); the scenario ends with the frame before it"})
	}
	return cv
}

// scenarioName is the cassette's file name without its extension, made
// into a valid scenario name.
func scenarioName(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	name = strings.TrimLeft(string(b), "._-")
	if name == "" {
		return "recorded"
	}
	return name
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func obj(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }

func (cv *converter) frame(i int, f cassette.Frame) {
	if f.Kind != cassette.KindText {
		return
	}
	if f.Dir == cassette.Client {
		if f.Type == realtime.ClientResponseCreate {
			cv.trigger = scenarios.OnResponseCreate
		}
		return
	}
	var ev map[string]any
	if json.Unmarshal(f.Data, &ev) != nil {
		return
	}
	switch realtime.KindOf(cv.dialect, f.Type) {
	case realtime.KindSessionCreated, realtime.KindSessionUpdated:
		cv.sessionEvent(i, ev)
	case realtime.KindSpeechStopped:
		cv.trigger = scenarios.OnUserSpeech
	case realtime.KindInputTranscriptionCompleted:
		cv.userTranscript(str(ev, "transcript"))
	case realtime.KindResponseCreated:
		cv.finish("", "")
		id := str(obj(ev, "response"), "id")
		cv.cur = &pending{
			turn:  scenarios.Turn{When: cv.trigger, Reply: &scenarios.Reply{}},
			from:  origin{frame: i, what: strings.TrimSpace("response " + id)},
			bpm:   cv.outBPM,
			calls: map[string]*scenarios.FunctionCall{},
		}
	case realtime.KindResponseDone:
		r := obj(ev, "response")
		cv.finish(str(r, "status"), doneReason(r))
		cv.trigger = scenarios.OnResponseCreate
	case realtime.KindError:
		cv.errorEvent(i, f, obj(ev, "error"))
	default:
		if cv.cur != nil {
			cv.cur.event(realtime.KindOf(cv.dialect, f.Type), ev)
		}
	}
}

func (cv *converter) sessionEvent(i int, ev map[string]any) {
	s, ok := ev["session"].(map[string]any)
	if !ok {
		return
	}
	cv.sc.Session = sessionFromRecording(cv.dialect, s)
	cv.session = origin{frame: i, what: "session"}
	if f := cv.sc.Session.OutputAudioFormat; f != "" && f != "pcm16" && f != "audio/pcm" {
		cv.outBPM = 8
	}
}

func (cv *converter) userTranscript(transcript string) {
	if n := len(cv.sc.Turns); n > 0 && cv.sc.Turns[n-1].When == scenarios.OnUserSpeech && cv.sc.Turns[n-1].User == nil {
		cv.sc.Turns[n-1].User = &scenarios.UserSpeech{Transcript: transcript}
	} else if cv.cur != nil && cv.cur.turn.When == scenarios.OnUserSpeech {
		cv.cur.turn.User = &scenarios.UserSpeech{Transcript: transcript}
	}
}

func (cv *converter) errorEvent(i int, f cassette.Frame, e map[string]any) {
	code := str(e, "code")
	switch code {
	case "", realtime.CodeActiveResponse, realtime.CodeCancelNotActive, realtime.CodeCommitEmpty:
		return // the client's doing, which the mock reproduces by itself
	case realtime.CodeSessionExpired:
		cv.sc.ExpiresAfter = f.T.Round(time.Second)
		cv.expiry = origin{frame: i, what: "session_expired error"}
		return
	}
	cv.sc.Turns = append(cv.sc.Turns, scenarios.Turn{When: scenarios.OnResponseCreate,
		Error: &scenarios.ErrorSpec{Type: str(e, "type"), Code: code, Message: str(e, "message"), Param: str(e, "param")}})
	cv.origins = append(cv.origins, origin{frame: i, what: "error " + code})
}

// event reads one server event of the response.
func (p *pending) event(k realtime.Kind, ev map[string]any) {
	switch k {
	case realtime.KindAudioDelta:
		delta := str(ev, "delta")
		b, _ := base64.StdEncoding.DecodeString(delta)
		n := len(b)
		if el, ok := cassette.ParseElision(delta); ok {
			n = el.Bytes
		}
		p.audioByte += n
		if len(p.chunks) < 8 {
			p.chunks = append(p.chunks, time.Duration(n/p.bpm)*time.Millisecond)
		}
	case realtime.KindAudioTranscriptDone:
		p.turn.Reply.Transcript = str(ev, "transcript")
	case realtime.KindTextDelta:
		p.text.WriteString(str(ev, "delta"))
	case realtime.KindFunctionCallArgumentsDone:
		id := str(ev, "call_id")
		if _, seen := p.calls[id]; !seen {
			p.order = append(p.order, id)
		}
		p.calls[id] = &scenarios.FunctionCall{Name: str(ev, "name"), Arguments: str(ev, "arguments"), CallID: id}
	}
}

// empty reports whether the response recorded nothing a reply could say.
func (p *pending) empty() bool {
	r := p.turn.Reply
	return p.audioByte == 0 && r.Transcript == "" && p.text.Len() == 0 && len(p.calls) == 0
}

// finish turns the pending response into a turn.
func (cv *converter) finish(status, reason string) {
	p := cv.cur
	if p == nil {
		return
	}
	cv.cur = nil
	r := p.turn.Reply
	if p.audioByte > 0 {
		r.Audio = &scenarios.AudioSpec{ToneHz: 440, Duration: time.Duration(p.audioByte/p.bpm) * time.Millisecond, Chunks: dedupeChunks(p.chunks)}
	} else if r.Transcript != "" {
		r.Text, r.Transcript = r.Transcript, ""
	}
	if r.Transcript == "" && r.Text == "" && p.text.Len() > 0 {
		r.Text = p.text.String()
	}
	for _, id := range p.order {
		r.FunctionCalls = append(r.FunctionCalls, *p.calls[id])
	}
	if status != "" && status != "completed" && status != "cancelled" {
		// A cancellation is the client's or VAD's doing, not the reply's.
		r.Status, r.StatusReason = status, reason
	}
	cv.sc.Turns = append(cv.sc.Turns, p.turn)
	cv.origins = append(cv.origins, p.from)
}

// endOfRecording handles a response the recording ends inside: kept with
// what was recorded, or left out when nothing was.
func (cv *converter) endOfRecording() {
	p := cv.cur
	if p == nil {
		return
	}
	if p.empty() {
		cv.cur = nil
		cv.notes = append(cv.notes, note{frame: p.from.frame, msg: fmt.Sprintf("the recording ends inside %s, before it said anything; the scenario leaves it out", p.from.what)})
		return
	}
	cv.notes = append(cv.notes, note{frame: p.from.frame, msg: fmt.Sprintf("the recording ends inside %s; its turn has what was recorded before the end", p.from.what)})
	cv.finish("", "")
}

// dedupeChunks keeps the chunk plan short: a run of equal durations is
// written once, since the last chunk repeats.
func dedupeChunks(in []time.Duration) []time.Duration {
	var out []time.Duration
	for _, d := range in {
		if d < scenarios.MinChunk {
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

// warnings renders the notes with the cassette's lines.
func (cv *converter) warnings() []string {
	if len(cv.notes) == 0 {
		return nil
	}
	var frames []int
	for _, n := range cv.notes {
		if n.frame >= 0 {
			frames = append(frames, n.frame)
		}
	}
	lines := frameLines(cv.c.Path(), frames)
	out := make([]string, len(cv.notes))
	for i, n := range cv.notes {
		where := cv.place(n.frame, lines)
		if n.frame < 0 {
			where = cv.c.Path() + ":" + strconv.Itoa(n.line)
		}
		out[i] = where + ": " + n.msg
	}
	return out
}

// place names frame i as FILE:LINE, or by its index and time when the
// cassette's file cannot be read again.
func (cv *converter) place(i int, lines map[int]int) string {
	if i < 0 {
		return cv.c.Path() + ":1"
	}
	if l, ok := lines[i]; ok {
		return cv.c.Path() + ":" + strconv.Itoa(l)
	}
	return fmt.Sprintf("%s: frame %d at %.3fs", cv.c.Path(), i+1, cv.c.Frame(i).T.Seconds())
}

// placeErrors rewrites the errors of the scenario the conversion made as
// errors at the cassette lines its parts come from.
func (cv *converter) placeErrors(err error) error {
	var list scenarios.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	froms := make([]origin, len(list))
	var frames []int
	for i, e := range list {
		froms[i] = cv.originOf(e.Path)
		if froms[i].frame >= 0 {
			frames = append(frames, froms[i].frame)
		}
	}
	lines := frameLines(cv.c.Path(), frames)
	errs := make([]error, len(list))
	for i, e := range list {
		msg := e.Msg
		if e.Hint != "" {
			msg += " (" + e.Hint + ")"
		}
		if froms[i].what != "" {
			msg = froms[i].what + ": " + msg
		}
		errs[i] = fmt.Errorf("%s: %s", cv.place(froms[i].frame, lines), msg)
	}
	return fmt.Errorf("cassette %s does not make a valid scenario:\n%w", cv.c.Path(), errors.Join(errs...))
}

// originOf finds the frame the scenario value at path came from.
func (cv *converter) originOf(path string) origin {
	switch {
	case path == "session" || strings.HasPrefix(path, "session."):
		return cv.session
	case path == "expires_after":
		return cv.expiry
	case strings.HasPrefix(path, "turns["):
		end := strings.IndexByte(path, ']')
		if i, err := strconv.Atoi(path[len("turns["):max(end, len("turns["))]); err == nil && i < len(cv.origins) {
			return cv.origins[i]
		}
	}
	return origin{frame: -1}
}

// frameLines finds the lines of the given frames (0-based indexes) in the
// cassette file at path: line 1 is the header, and every further line that
// is not blank is the next frame, as cassette.Reader reads them. It returns
// nil when the file cannot be read.
func frameLines(path string, frames []int) map[int]int {
	if len(frames) == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	last := slices.Max(frames)
	lines := make(map[int]int, len(frames))
	br := bufio.NewReaderSize(f, 64<<10)
	line, frame := 0, -1
	blank := true
	for frame < last {
		chunk, err := br.ReadSlice('\n')
		for _, b := range chunk {
			if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
				blank = false
				break
			}
		}
		if err == bufio.ErrBufferFull {
			continue // the rest of a long line
		}
		if len(chunk) == 0 && err != nil {
			break
		}
		line++
		if line > 1 && !blank {
			frame++
			if slices.Contains(frames, frame) {
				lines[frame] = line
			}
		}
		blank = true
		if err != nil {
			break
		}
	}
	return lines
}

// sessionFromRecording reads the parts of a recorded session object that
// the scenario language describes.
func sessionFromRecording(d realtime.Dialect, s map[string]any) *scenarios.Session {
	out := &scenarios.Session{}
	if v := str(s, "instructions"); v != "" {
		out.Instructions = &v
	}
	var td map[string]any
	var tdSet bool
	if d == realtime.GA {
		td, tdSet = gaSession(out, s)
	} else {
		td, tdSet = previewSession(out, s)
	}
	switch {
	case td != nil && str(td, "type") != "":
		out.TurnDetection = turnDetection(td)
	case tdSet:
		out.TurnDetection = &scenarios.TurnDetection{Type: "none"}
	}
	if tools, ok := s["tools"].([]any); ok {
		for _, x := range tools {
			m, _ := x.(map[string]any)
			params, _ := m["parameters"].(map[string]any)
			out.Tools = append(out.Tools, scenarios.Tool{Name: str(m, "name"), Description: str(m, "description"), Parameters: params})
		}
	}
	if !slices.Contains(scenarios.Voices(), out.Voice) {
		out.Voice = ""
	}
	for _, f := range []*string{&out.InputAudioFormat, &out.OutputAudioFormat} {
		if !slices.Contains(scenarios.AudioFormats(), *f) {
			*f = ""
		}
	}
	return out
}

// gaSession reads a GA session object into out and returns its turn
// detection and whether the session says anything about it.
func gaSession(out *scenarios.Session, s map[string]any) (map[string]any, bool) {
	a := obj(s, "audio")
	in, outp := obj(a, "input"), obj(a, "output")
	out.Voice = str(outp, "voice")
	out.InputAudioFormat = str(obj(in, "format"), "type")
	out.OutputAudioFormat = str(obj(outp, "format"), "type")
	if m, ok := s["output_modalities"].([]any); ok && len(m) == 1 && m[0] == "text" {
		out.Modalities = []string{"text"}
	}
	if t := obj(in, "transcription"); t != nil {
		out.InputTranscription = &scenarios.Transcription{Model: str(t, "model"), Language: str(t, "language")}
	}
	td, _ := in["turn_detection"].(map[string]any)
	return td, in != nil
}

// previewSession reads a preview session object into out, as gaSession.
func previewSession(out *scenarios.Session, s map[string]any) (map[string]any, bool) {
	out.Voice = str(s, "voice")
	out.InputAudioFormat = str(s, "input_audio_format")
	out.OutputAudioFormat = str(s, "output_audio_format")
	if m, ok := s["modalities"].([]any); ok && len(m) == 1 && m[0] == "text" {
		out.Modalities = []string{"text"}
	}
	if t := obj(s, "input_audio_transcription"); t != nil {
		out.InputTranscription = &scenarios.Transcription{Model: str(t, "model"), Language: str(t, "language")}
	}
	_, set := s["turn_detection"]
	return obj(s, "turn_detection"), set
}

func turnDetection(td map[string]any) *scenarios.TurnDetection {
	t := &scenarios.TurnDetection{Type: str(td, "type")}
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
	return t
}

// doneReason is a finished response's reason as a scenario names it: the
// status_details reason, or for a failed response its error code
// (server_error when the code is none a scenario knows).
func doneReason(r map[string]any) string {
	d := obj(r, "status_details")
	if str(r, "status") != "failed" {
		return str(d, "reason")
	}
	switch code := str(obj(d, "error"), "code"); code {
	case "rate_limit_exceeded", "inference_rate_limit_exceeded":
		return code
	}
	return "server_error"
}
