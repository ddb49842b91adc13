package mockserver

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
)

// Content part kinds, dialect-neutral. Rendering maps assistant parts onto
// "text"/"audio" (preview) or "output_text"/"output_audio" (GA).
const (
	partInputText     = "input_text"
	partInputAudio    = "input_audio"
	partInputImage    = "input_image"
	partItemReference = "item_reference"
	partText          = "text"
	partAudio         = "audio"
)

type contentPart struct {
	Kind       string
	Text       string
	Transcript *string // audio parts; nil renders as null
	AudioBytes int     // audio parts: bytes of audio the part holds
	format     audio.Format
	Ref        string          // item_reference id
	Extra      json.RawMessage // input_image and other passthrough parts
}

func (p *contentPart) audioMs() int {
	if p.AudioBytes == 0 {
		return 0
	}
	return p.AudioBytes / p.format.BytesPerMs()
}

// item is a conversation item.
type item struct {
	ID      string
	Type    string // message | function_call | function_call_output
	Role    string
	Status  string
	Content []contentPart
	CallID  string
	Name    string
	Args    string
	Output  string
	tokens  int // cached estimate once final; see tokenCount
}

func (s *session) lastItemID() string {
	if len(s.items) == 0 {
		return ""
	}
	return s.items[len(s.items)-1].ID
}

// insertItem adds it after the item prev ("" appends at the end, "root"
// inserts at the start).
func (s *session) insertItem(it *item, prev string) {
	s.byID[it.ID] = it
	switch prev {
	case "", s.lastItemID():
		s.items = append(s.items, it)
	case "root":
		s.items = slices.Insert(s.items, 0, it)
	default:
		for i, x := range s.items {
			if x.ID == prev {
				s.items = slices.Insert(s.items, i+1, it)
				return
			}
		}
		s.items = append(s.items, it)
	}
}

// announceItem tells the client a complete item joined the conversation:
// conversation.item.created (preview) or .added then .done (GA).
func (s *session) announceItem(it *item, prev string) {
	if prev == "root" {
		prev = ""
	}
	r := s.renderItem(it)
	if s.dialect == realtime.GA {
		s.emitKind(realtime.KindItemAdded, kv{"previous_item_id", nullable(prev)}, kv{"item", r})
		s.emitKind(realtime.KindItemDone, kv{"previous_item_id", nullable(prev)}, kv{"item", r})
		return
	}
	s.emitKind(realtime.KindItemCreated, kv{"previous_item_id", nullable(prev)}, kv{"item", r})
}

// renderItem returns the item as the session's dialect shows it, as JSON
// written directly (these objects go out several times per response, so
// they avoid encoding/json's reflection and map sorting).
func (s *session) renderItem(it *item) json.RawMessage {
	return s.appendItem(nil, it)
}

func (s *session) appendItem(b []byte, it *item) []byte {
	b = append(b, `{"id":`...)
	b = realtime.AppendJSONString(b, it.ID)
	b = append(b, `,"object":"realtime.item","type":`...)
	b = realtime.AppendJSONString(b, it.Type)
	b = append(b, `,"status":`...)
	b = realtime.AppendJSONString(b, it.Status)
	switch it.Type {
	case "message":
		b = append(b, `,"role":`...)
		b = realtime.AppendJSONString(b, it.Role)
		b = append(b, `,"content":[`...)
		for i := range it.Content {
			if i > 0 {
				b = append(b, ',')
			}
			b = s.appendPart(b, &it.Content[i], false)
		}
		b = append(b, ']')
	case "function_call":
		b = append(b, `,"name":`...)
		b = realtime.AppendJSONString(b, it.Name)
		b = append(b, `,"call_id":`...)
		b = realtime.AppendJSONString(b, it.CallID)
		b = append(b, `,"arguments":`...)
		b = realtime.AppendJSONString(b, it.Args)
	case "function_call_output":
		b = append(b, `,"call_id":`...)
		b = realtime.AppendJSONString(b, it.CallID)
		b = append(b, `,"output":`...)
		b = realtime.AppendJSONString(b, it.Output)
	}
	return append(b, '}')
}

// renderPart returns a content part; inResponse parts (content_part.added
// and .done) keep the type "text"/"audio" in both dialects, as observed.
func (s *session) renderPart(p *contentPart, inResponse bool) json.RawMessage {
	return s.appendPart(nil, p, inResponse)
}

func (s *session) appendPart(b []byte, p *contentPart, inResponse bool) []byte {
	if p.Kind == partInputImage && len(p.Extra) > 0 {
		return append(b, p.Extra...)
	}
	kind := p.Kind
	if s.dialect == realtime.GA && !inResponse {
		switch kind {
		case partText:
			kind = "output_text"
		case partAudio:
			kind = "output_audio"
		}
	}
	b = append(b, `{"type":`...)
	b = realtime.AppendJSONString(b, kind)
	switch p.Kind {
	case partInputText, partText:
		b = append(b, `,"text":`...)
		b = realtime.AppendJSONString(b, p.Text)
	case partInputAudio, partAudio:
		b = append(b, `,"transcript":`...)
		if p.Transcript != nil {
			b = realtime.AppendJSONString(b, *p.Transcript)
		} else {
			b = append(b, "null"...)
		}
	case partItemReference:
		b = append(b, `,"id":`...)
		b = realtime.AppendJSONString(b, p.Ref)
	}
	return append(b, '}')
}

// ---- client item events ----

type clientItem struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Object    string            `json:"object"`
	Role      string            `json:"role"`
	Status    string            `json:"status"`
	Content   []json.RawMessage `json:"content"`
	CallID    string            `json:"call_id"`
	Name      string            `json:"name"`
	Arguments string            `json:"arguments"`
	Output    string            `json:"output"`
}

var itemKeys = []string{"id", "type", "object", "role", "status", "content", "call_id", "name", "arguments", "output"}

func (s *session) onItemCreate(data []byte) *realtime.Error {
	var ev struct {
		PreviousItemID *string         `json:"previous_item_id"`
		Item           json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return realtime.ErrInvalidJSON(err.Error())
	}
	if isNull(ev.Item) {
		return realtime.ErrMissingParameter("item")
	}
	f, e := decodeObject("item", ev.Item)
	if e != nil {
		return e
	}
	for _, k := range itemKeys {
		delete(f.m, k)
	}
	if e := f.unknown(); e != nil {
		return e
	}
	var ci clientItem
	if err := json.Unmarshal(ev.Item, &ci); err != nil {
		return realtime.ErrInvalidType("item", "an item object", jsonKind(ev.Item))
	}
	prev := ""
	if ev.PreviousItemID != nil {
		prev = *ev.PreviousItemID
		if prev != "root" && s.byID[prev] == nil {
			return realtime.ErrPreviousItemNotFound(prev)
		}
	}
	if ci.ID != "" && s.byID[ci.ID] != nil {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: "item_already_exists", Param: "item.id",
			Message: "Item with id '" + ci.ID + "' already exists."}
	}
	it := &item{ID: ci.ID, Type: ci.Type, Role: ci.Role, Status: "completed"}
	if it.ID == "" {
		it.ID = s.ids.make("item_")
	}
	switch ci.Type {
	case "":
		return realtime.ErrMissingParameter("item.type")
	case "message":
		if e := s.parseMessageContent(it, ci); e != nil {
			return e
		}
	case "function_call":
		if ci.CallID == "" {
			return realtime.ErrMissingParameter("item.call_id")
		}
		it.CallID, it.Name, it.Args = ci.CallID, ci.Name, ci.Arguments
	case "function_call_output":
		if ci.CallID == "" {
			return realtime.ErrMissingParameter("item.call_id")
		}
		it.CallID, it.Output = ci.CallID, ci.Output
	default:
		return realtime.ErrInvalidValue("item.type", ci.Type, []string{"message", "function_call", "function_call_output"})
	}
	if prev == "" {
		prev = s.lastItemID()
	}
	s.insertItem(it, prev)
	s.announceItem(it, prev)
	s.itemSinceResponse = true
	return nil
}

func (s *session) parseMessageContent(it *item, ci clientItem) *realtime.Error {
	roles := []string{"user", "assistant", "system"}
	if ci.Role == "" {
		return realtime.ErrMissingParameter("item.role")
	}
	if !slices.Contains(roles, ci.Role) {
		return realtime.ErrInvalidValue("item.role", ci.Role, roles)
	}
	var allowed []string
	switch {
	case ci.Role == "assistant" && s.dialect == realtime.GA:
		allowed = []string{"output_text", "output_audio"}
	case ci.Role == "assistant":
		allowed = []string{"text", "audio"}
	case ci.Role == "system":
		allowed = []string{"input_text"}
	case s.dialect == realtime.GA:
		allowed = []string{"input_text", "input_audio", "input_image"}
	default:
		allowed = []string{"input_text", "input_audio", "item_reference"}
	}
	for i, raw := range ci.Content {
		path := "item.content[" + itoa(i) + "]"
		var p struct {
			Type       string  `json:"type"`
			Text       string  `json:"text"`
			Audio      string  `json:"audio"`
			Transcript *string `json:"transcript"`
			ID         string  `json:"id"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return realtime.ErrInvalidType(path, "an object", jsonKind(raw))
		}
		if !slices.Contains(allowed, p.Type) {
			return realtime.ErrInvalidValue(path+".type", p.Type, allowed)
		}
		cp := contentPart{Kind: strings.TrimPrefix(p.Type, "output_"), Text: p.Text, Transcript: p.Transcript, Ref: p.ID, format: s.inFormat}
		switch cp.Kind {
		case partInputAudio, partAudio:
			if p.Audio != "" {
				b, err := base64.StdEncoding.DecodeString(p.Audio)
				if err != nil || len(b)%s.inFormat.BytesPerSample() != 0 {
					e := realtime.ErrInvalidAudio(s.formatDesc())
					e.Param = path + ".audio"
					return e
				}
				cp.AudioBytes = len(b)
			}
			if cp.Kind == partAudio {
				cp.format = s.conf.OutputFormat
			}
		case partInputImage:
			cp.Extra = append(json.RawMessage(nil), raw...)
		}
		it.Content = append(it.Content, cp)
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func (s *session) itemArg(data []byte) (string, *realtime.Error) {
	var ev struct {
		ItemID *string `json:"item_id"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return "", realtime.ErrInvalidType("item_id", "a string", "another type")
	}
	if ev.ItemID == nil {
		return "", realtime.ErrMissingParameter("item_id")
	}
	if s.byID[*ev.ItemID] == nil {
		return "", realtime.ErrItemNotFound("item_id", *ev.ItemID)
	}
	return *ev.ItemID, nil
}

func (s *session) onItemRetrieve(data []byte) *realtime.Error {
	id, e := s.itemArg(data)
	if e != nil {
		return e
	}
	s.emitKind(realtime.KindItemRetrieved, kv{"item", s.renderItem(s.byID[id])})
	return nil
}

func (s *session) onItemDelete(data []byte) *realtime.Error {
	id, e := s.itemArg(data)
	if e != nil {
		return e
	}
	delete(s.byID, id)
	s.items = slices.DeleteFunc(s.items, func(it *item) bool { return it.ID == id })
	s.emitKind(realtime.KindItemDeleted, kv{"item_id", id})
	return nil
}

// onItemTruncate validates a truncate as the service does: assistant audio
// items only, content_index of the audio part, 0 < audio_end_ms ≤ the
// item's audio; the transcript is cut to match.
func (s *session) onItemTruncate(data []byte) *realtime.Error {
	var ev struct {
		ItemID       *string  `json:"item_id"`
		ContentIndex *float64 `json:"content_index"`
		AudioEndMs   *float64 `json:"audio_end_ms"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return realtime.ErrInvalidType("audio_end_ms", "an integer", "another type")
	}
	switch {
	case ev.ItemID == nil:
		return realtime.ErrMissingParameter("item_id")
	case ev.ContentIndex == nil:
		return realtime.ErrMissingParameter("content_index")
	case ev.AudioEndMs == nil:
		return realtime.ErrMissingParameter("audio_end_ms")
	case *ev.AudioEndMs != float64(int(*ev.AudioEndMs)):
		return realtime.ErrInvalidType("audio_end_ms", "an integer", "a decimal")
	case *ev.ContentIndex != float64(int(*ev.ContentIndex)):
		return realtime.ErrInvalidType("content_index", "an integer", "a decimal")
	}
	it := s.byID[*ev.ItemID]
	if it == nil {
		return realtime.ErrItemNotFound("item_id", *ev.ItemID)
	}
	ci, end := int(*ev.ContentIndex), int(*ev.AudioEndMs)
	if end < 0 {
		return realtime.ErrBelowMin("audio_end_ms", 0, float64(end), true)
	}
	if it.Type != "message" || it.Role != "assistant" || ci < 0 || ci >= len(it.Content) ||
		it.Content[ci].Kind != partAudio || it.Content[ci].AudioBytes == 0 || end == 0 {
		return realtime.ErrTruncateNotAudio()
	}
	p := &it.Content[ci]
	have := p.audioMs()
	if end > have {
		return realtime.ErrTruncateTooLong(have, end)
	}
	if p.Transcript != nil {
		t := cutTranscript(*p.Transcript, float64(end)/float64(have))
		p.Transcript = &t
	}
	p.AudioBytes = end * p.format.BytesPerMs()
	it.tokens = 0
	s.emitKind(realtime.KindItemTruncated, kv{"item_id", it.ID}, kv{"content_index", ci}, kv{"audio_end_ms", end})
	return nil
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
