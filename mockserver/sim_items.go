package mockserver

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/rtmock/rtmock/realtime"
)

// announceItem tells the client a complete item joined the conversation:
// conversation.item.created (preview) or .added then .done (GA).
func (m *sim) announceItem(it *item, prev string) {
	if prev == "root" {
		prev = ""
	}
	r := rawJSON(m.appendItem(nil, it))
	if m.dialect == realtime.GA {
		m.emitKind(realtime.KindItemAdded, kv{"previous_item_id", nullable(prev)}, kv{"item", r})
		m.emitKind(realtime.KindItemDone, kv{"previous_item_id", nullable(prev)}, kv{"item", r})
		return
	}
	m.emitKind(realtime.KindItemCreated, kv{"previous_item_id", nullable(prev)}, kv{"item", r})
}

// itemKeys are the members a client item may carry.
var itemKeys = []string{"id", "type", "object", "role", "status", "content", "call_id", "name", "arguments", "output"}

// clientItem is a conversation.item.create's item, read.
type clientItem struct {
	ID, Type, Role, CallID, Name, Arguments, Output string
	Content                                         realtime.Value
}

func readClientItem(v realtime.Value) (clientItem, *realtime.Error) {
	var ci clientItem
	r, e := realtime.NewObjectReader("item", v)
	if e != nil || r == nil {
		if e == nil {
			e = realtime.NewMissingParameterError("item")
		}
		return ci, e
	}
	var ignored string
	dst := map[string]*string{"id": &ci.ID, "type": &ci.Type, "object": &ignored, "role": &ci.Role, "status": &ignored,
		"call_id": &ci.CallID, "name": &ci.Name, "arguments": &ci.Arguments, "output": &ci.Output}
	for _, k := range itemKeys {
		if k == "content" {
			if c, ok := r.Take(k); ok {
				if c.Kind() != realtime.JSONArray && !c.IsNull() {
					return ci, realtime.NewInvalidTypeError("item.content", "an array", c.Kind().String())
				}
				ci.Content = c
			}
			continue
		}
		if e := r.Str(k, dst[k]); e != nil {
			return ci, e
		}
	}
	return ci, r.Unknown()
}

func (m *sim) onItemCreate(ev *realtime.ClientEvent) *realtime.Error {
	ci, e := readClientItem(ev.Member("item"))
	if e != nil {
		return e
	}
	prev := ""
	if p, ok := ev.Member("previous_item_id").Str(); ok {
		prev = p
		if prev != "root" && m.conv.get(prev) == nil {
			return realtime.NewPreviousItemNotFoundError(prev)
		}
	}
	if ci.ID != "" && m.conv.get(ci.ID) != nil {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: "item_already_exists", Param: "item.id",
			Message: "Item with id '" + ci.ID + "' already exists."}
	}
	it, e := m.newClientItem(ci)
	if e != nil {
		return e
	}
	if prev == "" {
		prev = m.conv.lastID()
	}
	m.conv.insert(it, prev)
	m.conv.evictOldest(maxConversationTokens)
	m.announceItem(it, prev)
	m.itemSinceResponse = true
	return nil
}

// maxConversationTokens bounds what a session keeps of a conversation: four
// times the largest context window the service offers (128k tokens).
const maxConversationTokens = 4 * 128_000

func (m *sim) newClientItem(ci clientItem) (*item, *realtime.Error) {
	it := &item{ID: ci.ID, Type: ci.Type, Role: ci.Role, Status: "completed"}
	if it.ID == "" {
		it.ID = m.ids.make("item_")
	}
	switch ci.Type {
	case "":
		return nil, realtime.NewMissingParameterError("item.type")
	case "message":
		return it, m.parseMessageContent(it, ci)
	case "function_call":
		if ci.CallID == "" {
			return nil, realtime.NewMissingParameterError("item.call_id")
		}
		it.CallID, it.Name, it.Args = ci.CallID, ci.Name, ci.Arguments
	case "function_call_output":
		if ci.CallID == "" {
			return nil, realtime.NewMissingParameterError("item.call_id")
		}
		it.CallID, it.Output = ci.CallID, ci.Output
	default:
		return nil, realtime.NewInvalidValueError("item.type", ci.Type, []string{"message", "function_call", "function_call_output"})
	}
	return it, nil
}

// allowedParts lists the content types a role may send in a dialect.
func (m *sim) allowedParts(role string) []string {
	switch {
	case role == "assistant" && m.dialect == realtime.GA:
		return []string{"output_text", "output_audio"}
	case role == "assistant":
		return []string{"text", "audio"}
	case role == "system":
		return []string{"input_text"}
	case m.dialect == realtime.GA:
		return []string{"input_text", "input_audio", "input_image"}
	}
	return []string{"input_text", "input_audio", "item_reference"}
}

func (m *sim) parseMessageContent(it *item, ci clientItem) *realtime.Error {
	roles := []string{"user", "assistant", "system"}
	if ci.Role == "" {
		return realtime.NewMissingParameterError("item.role")
	}
	if !hasString(roles, ci.Role) {
		return realtime.NewInvalidValueError("item.role", ci.Role, roles)
	}
	allowed := m.allowedParts(ci.Role)
	i := 0
	for v := range ci.Content.Elems() {
		cp, e := m.readPart("item.content["+strconv.Itoa(i)+"]", v, allowed)
		if e != nil {
			return e
		}
		it.Content = append(it.Content, cp)
		i++
	}
	return nil
}

// readPart reads one content part of a client message.
func (m *sim) readPart(path string, v realtime.Value, allowed []string) (contentPart, *realtime.Error) {
	if v.Kind() != realtime.JSONObject {
		return contentPart{}, realtime.NewInvalidTypeError(path, "an object", v.Kind().String())
	}
	typ, _ := v.Get("type").Str()
	if !hasString(allowed, typ) {
		return contentPart{}, realtime.NewInvalidValueError(path+".type", typ, allowed)
	}
	cp := contentPart{Kind: strings.TrimPrefix(typ, "output_"), format: m.inFormat}
	cp.Text, _ = v.Get("text").Str()
	cp.Ref, _ = v.Get("id").Str()
	if t, ok := v.Get("transcript").Str(); ok {
		cp.Transcript = &t
	}
	switch cp.Kind {
	case partInputAudio, partAudio:
		if cp.Kind == partAudio {
			cp.format = m.conf.OutputFormat
		}
		if b64, ok := v.Get("audio").Bytes(); ok && len(b64) > 0 {
			n, e := m.decodedAudioLen(path, b64, cp.format)
			if e != nil {
				return cp, e
			}
			cp.AudioBytes = n
			cp.pcm = m.heard.keep(b64)
		}
	case partInputImage:
		cp.Extra = append([]byte(nil), v.Raw()...)
	}
	return cp, nil
}

// decodedAudioLen checks the base64 audio of a content part and returns
// its length in bytes.
func (m *sim) decodedAudioLen(path string, b64 []byte, f interface{ BytesPerSample() int }) (int, *realtime.Error) {
	bad := func() *realtime.Error {
		e := realtime.NewInvalidAudioError(m.formatDesc())
		e.Param = path + ".audio"
		return e
	}
	if base64.StdEncoding.DecodedLen(len(b64))-padding(b64) > maxAppendBytes {
		return 0, bad()
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(b, b64)
	if err != nil || n%f.BytesPerSample() != 0 || n > maxAppendBytes {
		return 0, bad()
	}
	return n, nil
}

// itemArg reads the item_id of a retrieve or delete.
func (m *sim) itemArg(ev *realtime.ClientEvent) (*item, *realtime.Error) {
	id := ev.Str("item_id")
	it := m.conv.get(id)
	if it == nil {
		return nil, realtime.NewItemNotFoundError("item_id", id)
	}
	return it, nil
}

func (m *sim) onItemRetrieve(ev *realtime.ClientEvent) *realtime.Error {
	it, e := m.itemArg(ev)
	if e != nil {
		return e
	}
	b := m.appendItemAs(nil, it, itemRetrieved)
	if lim := m.eventLimit(); lim > 0 && len(b)+retrievedEnvelope > lim {
		// A WebRTC call's data channel takes messages up to the size the
		// client named; a longer one would abort it. The item goes without
		// its audio bytes (its transcript and format kept).
		b = m.appendItemAs(nil, it, itemRetrievedNoAudio)
	}
	m.emitKind(realtime.KindItemRetrieved, kv{"item", rawJSON(b)})
	return nil
}

// retrievedEnvelope bounds what conversation.item.retrieved adds around its
// item (type, event_id).
const retrievedEnvelope = 256

// eventLimit is the longest event the session's transport takes, in bytes:
// a WebRTC call's data-channel message size; 0 for no limit (a WebSocket
// takes up to its read limit, far above any event).
func (m *sim) eventLimit() int {
	if l, ok := m.sink.(interface{ MaxMessageSize() int }); ok {
		return l.MaxMessageSize()
	}
	return 0
}

func (m *sim) onItemDelete(ev *realtime.ClientEvent) *realtime.Error {
	it, e := m.itemArg(ev)
	if e != nil {
		return e
	}
	m.conv.remove(it)
	m.emitKind(realtime.KindItemDeleted, kv{"item_id", it.ID})
	return nil
}

// onItemTruncate validates a truncate as the service does: assistant audio
// items only, content_index of the audio part, 0 < audio_end_ms ≤ the
// item's audio; the transcript is cut to match.
func (m *sim) onItemTruncate(ev *realtime.ClientEvent) *realtime.Error {
	ci, ok := ev.Member("content_index").Int()
	if !ok {
		return realtime.NewInvalidTypeError("content_index", "an integer", "a decimal")
	}
	end, ok := ev.Member("audio_end_ms").Int()
	if !ok {
		return realtime.NewInvalidTypeError("audio_end_ms", "an integer", "a decimal")
	}
	id := ev.Str("item_id")
	it := m.conv.get(id)
	if it == nil {
		return realtime.NewItemNotFoundError("item_id", id)
	}
	if end < 0 {
		return realtime.NewBelowMinError("audio_end_ms", 0, float64(end), true)
	}
	if e := truncatable(it, int(ci), int(end)); e != nil {
		return e
	}
	p := &it.Content[ci]
	have := p.audioMs()
	if int(end) > have {
		return realtime.NewTruncateTooLongError(have, int(end))
	}
	if p.Transcript != nil {
		t := cutTranscript(*p.Transcript, float64(end)/float64(have))
		p.Transcript = &t
	}
	p.AudioBytes = int(end) * p.format.BytesPerMs()
	m.conv.retoken(it)
	m.emitKind(realtime.KindItemTruncated, kv{"item_id", it.ID}, kv{"content_index", int(ci)}, kv{"audio_end_ms", int(end)})
	return nil
}

// truncatable tells why an item's part cannot be truncated at end. The
// service answers every such truncate with unsupported_content_type and
// the same sentence (§3.1); rtmock keeps code and sentence and adds what
// was wrong, since the sentence alone misleads when the item is assistant
// audio and only the index or the position is off.
func truncatable(it *item, ci, end int) *realtime.Error {
	why := ""
	switch {
	case it.Type != "message" || it.Role != "assistant":
		why = "item " + it.ID + " is not an assistant message."
	case ci < 0 || ci >= len(it.Content):
		why = "item " + it.ID + " has no content part " + strconv.Itoa(ci) + "."
	case it.Content[ci].Kind != partAudio:
		why = "content part " + strconv.Itoa(ci) + " of item " + it.ID + " is not audio."
	case it.Content[ci].AudioBytes == 0:
		why = "item " + it.ID + " has no audio yet."
	case end == 0:
		why = "audio_end_ms must be at least 1."
	default:
		return nil
	}
	e := realtime.NewTruncateNotAudioError()
	e.Message += " (rtmock: " + why + ")"
	return e
}

// cutTranscript keeps the share of the words of t that was heard.
func cutTranscript(t string, share float64) string {
	if share >= 1 {
		return t
	}
	words := strings.Fields(t)
	keep := int(float64(len(words)) * share)
	return strings.Join(words[:keep], " ")
}
