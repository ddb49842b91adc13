package realtime

import "fmt"

// ServerEvent is a server event decoded once: its kind in the session's
// dialect and the ids and indexes that tie events together (§4), with the
// whole event on the Parser's tape for anything else.
type ServerEvent struct {
	Kind         Kind
	Type         string
	EventID      string
	Raw          []byte
	Root         Value
	ResponseID   string // response_id, or response.id on response.created/done
	ItemID       string // item_id, or item.id
	OutputIndex  int
	ContentIndex int
	// HasPrevious is set when the event carries a previous_item_id member
	// (null or not); PreviousItemID is its value.
	HasPrevious    bool
	PreviousItemID string
}

// Str returns a top-level string member ("" when absent or not a string).
func (e *ServerEvent) Str(name string) string {
	s, _ := e.Root.Get(name).Str()
	return s
}

// DecodeServer decodes one server text frame of a session in dialect d.
// Kind is KindUnknown for a type the dialect does not have; the error is
// for frames that are not JSON objects.
func DecodeServer(p *Parser, d Dialect, data []byte) (ServerEvent, error) {
	ev := ServerEvent{Raw: data}
	root, err := p.Parse(data)
	if err != nil {
		return ev, err
	}
	if root.Kind() != JSONObject {
		return ev, fmt.Errorf("%w: a server event is a JSON object, not %s", ErrNotJSON, root.Kind())
	}
	ev.Root = root
	ev.Type, _ = root.Get("type").Str()
	ev.EventID, _ = root.Get("event_id").Str()
	ev.Kind = KindOf(d, ev.Type)
	ev.ResponseID, _ = root.Get("response_id").Str()
	if ev.ResponseID == "" {
		ev.ResponseID, _ = root.Path("response", "id").Str()
	}
	ev.ItemID, _ = root.Get("item_id").Str()
	if ev.ItemID == "" {
		ev.ItemID, _ = root.Path("item", "id").Str()
	}
	oi, _ := root.Get("output_index").Int()
	ci, _ := root.Get("content_index").Int()
	ev.OutputIndex, ev.ContentIndex = int(oi), int(ci)
	prev := root.Get("previous_item_id")
	ev.HasPrevious = prev.Exists()
	ev.PreviousItemID, _ = prev.Str()
	return ev, nil
}
