package realtime

import (
	"errors"
	"strconv"
)

// ClientEvent is a client event decoded once: its kind, type and event_id,
// its members on the [Parser]'s tape, and the typed values the harness
// reasons about. Every package that reads client events reads this.
type ClientEvent struct {
	Kind    ClientKind
	Type    string // as sent
	EventID string // the client's event_id, "" when absent
	Raw     []byte // the frame as received
	Root    Value  // the whole event object
	// BadUTF8 is set when the frame was refused for holding text that is
	// not valid UTF-8; a WebSocket closes with 1007 rather than answering.
	BadUTF8 bool
}

// Member returns the top-level member name of the event.
func (e *ClientEvent) Member(name string) Value { return e.Root.Get(name) }

// Str returns the top-level string member name ("" when absent or not a
// string).
func (e *ClientEvent) Str(name string) string {
	s, _ := e.Root.Get(name).Str()
	return s
}

// Detach makes the event independent of the parser that decoded it, so
// that it outlives the parser's next input (an event queued for later).
func (e *ClientEvent) Detach() {
	if e.Root.p != nil {
		e.Root = e.Root.In(e.Root.p.Detach())
	}
}

// DecodeClient decodes one client text frame of a session in dialect d and
// checks it against the table of client events: the JSON, the type, the
// members allowed and their JSON types. On failure it returns the error
// event the service answers with (the event's event_id is filled in when
// it could be read). What the members mean is the session's to judge.
func DecodeClient(p *Parser, d Dialect, data []byte) (ClientEvent, *Error) {
	ev := ClientEvent{Raw: data}
	root, err := p.Parse(data)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) && se.BadUTF8 {
			ev.BadUTF8 = true
		}
		return ev, NewInvalidJSONError(syntaxDetail(err))
	}
	if root.Kind() != JSONObject {
		return ev, NewInvalidJSONError("expected a JSON object, got " + root.Kind().String())
	}
	ev.Root = root
	typ := root.Get("type")
	ev.EventID, _ = root.Get("event_id").Str()
	switch typ.Kind() {
	case JSONNone:
		return ev, withEventID(NewMissingTypeFieldError(), ev.EventID)
	case JSONString:
	default:
		return ev, withEventID(NewInvalidTypeError("type", "a string", typ.Kind().String()), ev.EventID)
	}
	ev.Type, _ = typ.Str()
	ev.Kind = ClientKindOf(ev.Type)
	spec := ev.Kind.Spec()
	if ev.Kind == ClientUnknown || !spec.Dialects.Has(d) {
		return ev, withEventID(NewUnknownEventTypeError(d, ev.Type), ev.EventID)
	}
	return ev, withEventID(checkMembers(spec, root), ev.EventID)
}

func withEventID(e *Error, id string) *Error {
	if e == nil || id == "" {
		return e
	}
	return e.WithEventID(id)
}

// checkMembers reports the first unknown member in document order, then
// the first member of the wrong JSON type or missing, in table order.
func checkMembers(spec *ClientSpec, root Value) *Error {
	for m := range root.Members() {
		k := m.KeyString()
		if k != "type" && k != "event_id" && spec.Member(k) == nil {
			return NewUnknownParameterError(k)
		}
	}
	for i := range spec.Members {
		mem := &spec.Members[i]
		v := root.Get(mem.Name)
		if !v.Exists() {
			if mem.Required {
				return NewMissingParameterError(mem.Name)
			}
			continue
		}
		if !kindIn(v.Kind(), mem.Kinds) {
			return NewInvalidTypeError(mem.Name, mem.Want, v.Kind().String())
		}
	}
	return nil
}

func kindIn(k JSONKind, ks []JSONKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// syntaxDetail words a parse error as the service's invalid_json message
// ends: where the JSON broke.
func syntaxDetail(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return "expected a JSON object, error at byte " + strconv.Itoa(se.Offset)
	}
	return err.Error()
}
