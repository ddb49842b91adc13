package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// view is the session decoded once for all rules: events with their JSON,
// the session configuration over time, responses, assistant audio items,
// client audio, errors matched to the client events they answer, and
// barge-ins.
type view struct {
	s       *Session
	evs     []*event
	cfgs    []cfgPoint
	resps   []*resp
	respBy  map[string]*resp
	items   []*aitem
	itemBy  map[string]*aitem
	known   map[string]string // item id → role ("assistant", "user") or type for items the server announced
	errFor  map[int]int       // client frame index → index of the error that answers it
	errOf   map[int]int       // error frame index → client frame index it answers
	appends []*appendInfo
	truncs  []*truncInfo
	barges  []*bargeIn
	rtc     *rtcPlayback // a WebRTC call's playout buffer; nil on a WebSocket
	created int          // index of session.created, -1 when missing
}

// event is one frame with what the rules read from it.
type event struct {
	i   int
	f   *cassette.Frame
	at  time.Duration
	dir cassette.Direction
	typ string
	id  string         // event_id
	obj map[string]any // the decoded event; nil for audio events and frames that are no JSON object

	// Audio of input_audio_buffer.append and of audio deltas.
	audio     bool
	audioB64  []byte // the base64 text; nil when elided
	audioN    int    // decoded size in bytes
	audioBad  bool   // not valid base64
	elided    bool
	itemID    string // audio deltas
	respID    string // audio deltas
	decoded   []byte
	decodedOK bool
}

// cfgPoint is the session configuration the server announced at a frame.
type cfgPoint struct {
	i   int
	cfg sessionCfg
}

// sessionCfg is what the rules need of a session configuration.
type sessionCfg struct {
	inFormat, outFormat audio.Format
	vad                 bool // turn detection on
	interrupt           bool // turn_detection.interrupt_response
	voice               string
}

var defaultCfg = sessionCfg{vad: true, interrupt: true, voice: "alloy"}

// resp is one response's life.
type resp struct {
	id            string
	created, done int // frame indexes; -1 when not seen
	status        string
	reason        string
	oob           bool // conversation "none": does not block response.create
	calls         []call
}

// call is a function call the model made.
type call struct {
	id     string // call_id
	name   string
	argsAt int // frame index of function_call_arguments.done (or response.done)
	resp   *resp
}

// aitem is an assistant item with audio.
type aitem struct {
	id     string
	resp   string
	first  int // frame index of its first audio delta
	deltas []*event
	format audio.Format
}

// recvMs is how much of the item's audio the server had sent before frame i.
func (it *aitem) recvMs(i int) float64 {
	n := 0
	for _, d := range it.deltas {
		if d.i >= i {
			break
		}
		n += d.audioN
	}
	return float64(n) / float64(it.format.BytesPerMs())
}

// appendInfo is one client audio append on the session's input timeline.
type appendInfo struct {
	ev     *event
	format audio.Format
	ms     float64 // its duration in the session's format
	endMs  float64 // the input timeline after it
}

// truncInfo is one client conversation.item.truncate.
type truncInfo struct {
	ev       *event
	item     string
	end      float64 // audio_end_ms
	endNum   bool    // audio_end_ms is a number
	endInt   bool    // … and an integer
	endRaw   string  // audio_end_ms as sent
	index    float64 // content_index
	indexNum bool
}

// bargeIn is speech_started while an assistant item was playing.
type bargeIn struct {
	speech *event
	item   *aitem
	played float64 // ms played when the user started talking
	recv   float64 // ms received by then
}

func (s *Session) v() *view {
	s.viewOnce.Do(func() { s.view = newView(s) })
	return s.view
}

func newView(s *Session) *view {
	v := &view{
		s: s, respBy: map[string]*resp{}, itemBy: map[string]*aitem{}, known: map[string]string{},
		errFor: map[int]int{}, errOf: map[int]int{}, created: -1,
	}
	if s.Transport == "webrtc" {
		v.rtc = newRTCPlayback()
	}
	lastClientByID := map[string]int{}
	var inMs float64
	for i := range s.Frames {
		e := decodeEvent(s, i)
		v.evs = append(v.evs, e)
		if v.rtcFrame(e, i) {
			continue
		}
		if e.dir == cassette.Client {
			if e.id != "" {
				lastClientByID[e.id] = i
			}
			switch e.typ {
			case realtime.ClientInputAppend:
				f := v.cfgAt(i).inFormat
				a := &appendInfo{ev: e, format: f, ms: float64(e.audioN) / float64(f.BytesPerMs())}
				inMs += a.ms
				a.endMs = inMs
				v.appends = append(v.appends, a)
			case realtime.ClientItemTruncate:
				v.truncs = append(v.truncs, newTrunc(e))
			case realtime.ClientOutputAudioBufferClear:
				if v.rtc != nil {
					v.rtc.clears = append(v.rtc.clears, e)
				}
			}
			continue
		}
		v.server(e, i, lastClientByID)
	}
	for _, e := range v.evs {
		if e.dir == cassette.Server && realtime.KindOf(v.dialect(), e.typ) == realtime.KindSpeechStarted {
			if b := v.bargeInAt(e); b != nil {
				v.barges = append(v.barges, b)
			}
		}
	}
	return v
}

// server reads server event e (frame i) into the view: session configs,
// responses and their calls, items, audio, and which client event each
// error answers.
func (v *view) server(e *event, i int, lastClientByID map[string]int) {
	k := realtime.KindOf(v.dialect(), e.typ)
	if v.rtc != nil {
		v.rtc.server(k, e, i)
	}
	switch k {
	case realtime.KindSessionCreated, realtime.KindSessionUpdated:
		if e.typ == "session.created" && v.created < 0 {
			v.created = i
		}
		if sess, ok := e.obj["session"].(map[string]any); ok {
			v.cfgs = append(v.cfgs, cfgPoint{i, parseSessionCfg(sess, v.cfgAt(i))})
		}
	case realtime.KindResponseCreated:
		r := v.resp(str(e.obj, "response.id"))
		r.created = i
		if cid, ok := get(e.obj, "response.conversation_id"); ok && cid == nil {
			r.oob = true
		}
	case realtime.KindResponseDone:
		v.responseDone(e, i)
	case realtime.KindFunctionCallArgumentsDone:
		r := v.resp(str(e.obj, "response_id"))
		if id := str(e.obj, "call_id"); !r.hasCall(id) {
			r.calls = append(r.calls, call{id: id, name: str(e.obj, "name"), argsAt: i, resp: r})
		}
	case realtime.KindOutputItemAdded, realtime.KindItemCreated, realtime.KindItemAdded:
		id := str(e.obj, "item.id")
		if role := str(e.obj, "item.role"); role != "" {
			v.known[id] = role
		} else if t := str(e.obj, "item.type"); t != "" && v.known[id] == "" {
			v.known[id] = t
		}
	case realtime.KindAudioDelta:
		it := v.itemBy[e.itemID]
		if it == nil {
			it = &aitem{id: e.itemID, resp: e.respID, first: i, format: v.cfgAt(i).outFormat}
			v.itemBy[e.itemID] = it
			v.items = append(v.items, it)
		}
		it.deltas = append(it.deltas, e)
	case realtime.KindError:
		v.matchError(e, i, lastClientByID)
	}
}

func (v *view) responseDone(e *event, i int) {
	r := v.resp(str(e.obj, "response.id"))
	r.done = i
	r.status = str(e.obj, "response.status")
	r.reason = str(e.obj, "response.status_details.reason")
	out, _ := getList(e.obj, "response.output")
	for _, o := range out {
		m, _ := o.(map[string]any)
		if str(m, "type") == "function_call" && !r.hasCall(str(m, "call_id")) {
			r.calls = append(r.calls, call{id: str(m, "call_id"), name: str(m, "name"), argsAt: i, resp: r})
		}
	}
}

// matchError finds the client event error e (frame i) answers: by its
// event_id, by its code, or as the reply to the frame just before it.
func (v *view) matchError(e *event, i int, lastClientByID map[string]int) {
	if id := str(e.obj, "error.event_id"); id != "" {
		if ci, ok := lastClientByID[id]; ok {
			v.errFor[ci], v.errOf[i] = i, ci
			return
		}
	}
	if ci := v.answeredBy(e); ci >= 0 {
		v.errFor[ci], v.errOf[i] = i, ci
		return
	}
	if i > 0 && v.s.Frames[i-1].Dir == cassette.Client {
		if _, taken := v.errFor[i-1]; !taken {
			v.errFor[i-1], v.errOf[i] = i, i-1
		}
	}
}

// errorAnswers names the client event an error code can only answer.
var errorAnswers = map[string]string{
	codeActiveResponse:                realtime.ClientResponseCreate,
	codeCancelNotActive:               realtime.ClientResponseCancel,
	"input_audio_buffer_commit_empty": realtime.ClientInputCommit,
}

// answeredBy finds the client event an error without an event_id
// answers, when its code names the kind: the latest such event before it
// that no error answered yet (with several in flight, which one a refusal
// answers does not matter to the rules). It returns -1 when the code does
// not tell.
func (v *view) answeredBy(errEv *event) int {
	typ, ok := errorAnswers[errCode(errEv)]
	if !ok {
		return -1
	}
	for i := errEv.i - 1; i >= 0; i-- {
		e := v.evs[i]
		if e.dir != cassette.Client || e.typ != typ {
			continue
		}
		if _, taken := v.errFor[i]; !taken {
			return i
		}
	}
	return -1
}

// dialect is the session's dialect, preview when unknown.
func (v *view) dialect() realtime.Dialect {
	if v.s.Dialect.Valid() {
		return v.s.Dialect
	}
	return realtime.Preview
}

// kind classifies a server event in the session's dialect.
func (v *view) kind(e *event) realtime.Kind {
	if e.dir != cassette.Server {
		return realtime.KindUnknown
	}
	return realtime.KindOf(v.dialect(), e.typ)
}

func (v *view) resp(id string) *resp {
	r := v.respBy[id]
	if r == nil {
		r = &resp{id: id, created: -1, done: -1}
		v.respBy[id] = r
		v.resps = append(v.resps, r)
	}
	return r
}

func (r *resp) hasCall(id string) bool {
	for _, c := range r.calls {
		if c.id == id {
			return true
		}
	}
	return false
}

// activeAt reports whether r writes to the conversation at frame i: its
// response.created came before i and its response.done did not.
func (r *resp) activeAt(i int) bool {
	return !r.oob && r.created >= 0 && r.created < i && (r.done < 0 || r.done > i)
}

// activeResp returns the response active at frame i, or nil.
func (v *view) activeResp(i int) *resp {
	for _, r := range v.resps {
		if r.activeAt(i) {
			return r
		}
	}
	return nil
}

// cfgAt is the configuration the server had announced before frame i.
func (v *view) cfgAt(i int) sessionCfg {
	c := defaultCfg
	for _, p := range v.cfgs {
		if p.i >= i {
			break
		}
		c = p.cfg
	}
	return c
}

// errorFor returns the error event answering client frame i.
func (v *view) errorFor(i int) (*event, bool) {
	j, ok := v.errFor[i]
	if !ok {
		return nil, false
	}
	return v.evs[j], true
}

// truncatedBefore reports whether the client truncated item id before frame i.
func (v *view) truncatedBefore(id string, i int) bool {
	for _, t := range v.truncs {
		if t.ev.i < i && t.item == id {
			return true
		}
	}
	return false
}

// bargeInAt tells whether the speech_started event e interrupted an
// assistant item being played, under the playback model: the client plays
// an item in real time from its first delta, so at time t it has played
// min(received, t − first delta) and is still playing while that is less
// than what it received or more audio is coming.
func (v *view) bargeInAt(e *event) *bargeIn {
	var it *aitem
	for _, x := range v.items {
		if x.first < e.i {
			it = x
		}
	}
	if it == nil || v.truncatedBefore(it.id, e.i) {
		return nil
	}
	recv := it.recvMs(e.i)
	elapsed := ms(e.at - v.evs[it.first].at)
	played := min(recv, elapsed)
	if v.rtc != nil {
		if !v.rtc.playingAt(it.resp, e.i) {
			return nil // its audio had all gone out, or was cleared
		}
		return &bargeIn{speech: e, item: it, played: recv, recv: recv}
	}
	r := v.respBy[it.resp]
	streaming := r != nil && r.created < e.i && (r.done < 0 || r.done > e.i)
	if !streaming && played >= recv {
		return nil // the item had been played to the end
	}
	return &bargeIn{speech: e, item: it, played: played, recv: recv}
}

// playedAt is how much of item it the client had played at frame i:
// min(received, elapsed since the first delta).
func (v *view) playedAt(it *aitem, i int) (played, recv float64) {
	recv = it.recvMs(i)
	return min(recv, ms(v.evs[i].at-v.evs[it.first].at)), recv
}

// inputMsAt is the client audio appended before frame i, in ms.
func (v *view) inputMsAt(i int) float64 {
	var n float64
	for _, a := range v.appends {
		if a.ev.i >= i {
			break
		}
		n = a.endMs
	}
	return n
}

// decodeEvent reads frame i. Audio events are scanned, not decoded: their
// base64 can be megabytes.
func decodeEvent(s *Session, i int) *event {
	f := &s.Frames[i]
	e := &event{i: i, f: f, at: f.T, dir: f.Dir, typ: f.Type}
	switch f.Kind {
	case cassette.KindText:
	case cassette.KindBinary:
		e.typ = ""
		return e
	default:
		// The close, a connection error, dropped frames and fault marks
		// keep their place in the record but are no messages: without a
		// direction, rules that judge what either side sent pass them by.
		e.typ, e.dir = "", ""
		return e
	}
	h, err := realtime.Peek(f.Data)
	if err != nil {
		return e
	}
	e.typ, e.id = h.Type, h.EventID
	field := ""
	switch {
	case f.Dir == cassette.Client && (h.Type == realtime.ClientInputAppend || h.Type == realtime.ClientSessionInputAppend):
		field = "audio"
	case f.Dir == cassette.Server && (h.Type == "response.audio.delta" || h.Type == "response.output_audio.delta"):
		field = "delta"
	}
	if field == "" {
		dec := json.NewDecoder(bytes.NewReader(f.Data))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) == nil {
			e.obj = m
		}
		return e
	}
	e.audio = true
	raw, ok, _ := realtime.StringField(f.Data, field)
	if !ok {
		e.audioBad = true
		return e
	}
	if el, ok := cassette.ParseElision(string(raw)); ok {
		e.elided = true
		e.audioN = el.Bytes
	} else {
		e.audioB64 = raw
		e.audioN, e.audioBad = base64Size(raw)
		if f.Dir == cassette.Client && !e.audioBad {
			// Client audio is judged by the format rule: decode it now.
			b, err := base64.StdEncoding.DecodeString(string(raw))
			e.decoded, e.decodedOK, e.audioBad = b, err == nil, err != nil
		}
	}
	if f.Dir == cassette.Server {
		if id, ok, _ := realtime.StringField(f.Data, "item_id"); ok {
			e.itemID = string(id)
		}
		if id, ok, _ := realtime.StringField(f.Data, "response_id"); ok {
			e.respID = string(id)
		}
	}
	return e
}

// base64Size is the decoded size of standard, padded base64 text, from its
// length and padding alone, and whether the length cannot be base64.
func base64Size(b []byte) (n int, bad bool) {
	if len(b)%4 != 0 {
		return len(b) * 3 / 4, true
	}
	n = len(b) / 4 * 3
	if len(b) > 0 && b[len(b)-1] == '=' {
		n--
		if len(b) > 1 && b[len(b)-2] == '=' {
			n--
		}
	}
	return n, false
}

// pcm returns the decoded audio of a client append, or false when it is
// elided or not base64.
func (e *event) pcm() ([]byte, bool) { return e.decoded, e.decodedOK }

func newTrunc(e *event) *truncInfo {
	t := &truncInfo{ev: e, item: str(e.obj, "item_id")}
	if v, ok := e.obj["audio_end_ms"]; ok {
		raw, _ := json.Marshal(v)
		t.endRaw = string(raw)
		if n, ok := v.(json.Number); ok {
			t.end, _ = n.Float64()
			t.endNum = true
			_, err := strconv.ParseInt(n.String(), 10, 64)
			t.endInt = err == nil
		}
	}
	if n, ok := e.obj["content_index"].(json.Number); ok {
		t.index, _ = n.Float64()
		t.indexNum = true
	}
	return t
}

// parseSessionCfg reads a session object of either dialect onto prev (the
// previous configuration, for fields the object leaves out).
func parseSessionCfg(s map[string]any, prev sessionCfg) sessionCfg {
	c := prev
	format := func(v any) (audio.Format, bool) {
		switch x := v.(type) {
		case string:
			f, err := audio.ParseFormatLenient(x)
			return f, err == nil
		case map[string]any:
			f, err := audio.ParseFormat(str(x, "type"))
			return f, err == nil
		}
		return 0, false
	}
	td := func(v any, present bool) {
		if !present {
			return
		}
		m, ok := v.(map[string]any)
		if !ok || str(m, "type") == "none" || str(m, "type") == "" {
			c.vad, c.interrupt = false, false
			return
		}
		c.vad, c.interrupt = true, true
		if b, ok := m["interrupt_response"].(bool); ok {
			c.interrupt = b
		}
	}
	if a, ok := s["audio"].(map[string]any); ok { // GA
		if f, ok := format(getOr(a, "input.format")); ok {
			c.inFormat = f
		}
		if f, ok := format(getOr(a, "output.format")); ok {
			c.outFormat = f
		}
		tdv, present := get(a, "input.turn_detection")
		td(tdv, present)
		if vo := str(a, "output.voice"); vo != "" {
			c.voice = vo
		}
		return c
	}
	if f, ok := format(s["input_audio_format"]); ok {
		c.inFormat = f
	}
	if f, ok := format(s["output_audio_format"]); ok {
		c.outFormat = f
	}
	tdv, present := s["turn_detection"]
	td(tdv, present)
	if vo := str(s, "voice"); vo != "" {
		c.voice = vo
	}
	return c
}

// sessionIDOf returns the id in the session's session.created.
func sessionIDOf(frames []cassette.Frame) string {
	for _, f := range frames {
		if f.Dir == cassette.Server && f.Type == "session.created" {
			var ev struct {
				Session struct {
					ID string `json:"id"`
				} `json:"session"`
			}
			if json.Unmarshal(f.Data, &ev) == nil {
				return ev.Session.ID
			}
		}
	}
	return ""
}

// get returns the value at a dotted path of nested objects.
func get(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = obj[k]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func getOr(m map[string]any, path string) any {
	v, _ := get(m, path)
	return v
}

func str(m map[string]any, path string) string {
	v, _ := get(m, path)
	s, _ := v.(string)
	return s
}

func getList(m map[string]any, path string) ([]any, bool) {
	v, ok := get(m, path)
	if !ok {
		return nil, false
	}
	l, ok := v.([]any)
	return l, ok
}

func getMap(m map[string]any, path string) (map[string]any, bool) {
	v, ok := get(m, path)
	if !ok {
		return nil, false
	}
	o, ok := v.(map[string]any)
	return o, ok
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
