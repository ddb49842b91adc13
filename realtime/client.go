package realtime

// ClientKind is a client event type, the same in both dialects unless its
// table entry says otherwise.
type ClientKind uint8

// The client event kinds.
const (
	ClientUnknown ClientKind = iota
	ClientKindSessionUpdate
	ClientKindTranscriptionSessionUpdate // preview only
	ClientKindSessionClose               // GA translation sessions only
	ClientKindInputAppend
	ClientKindSessionInputAppend // GA translation sessions only
	ClientKindInputCommit
	ClientKindInputClear
	ClientKindItemCreate
	ClientKindItemRetrieve
	ClientKindItemTruncate
	ClientKindItemDelete
	ClientKindResponseCreate
	ClientKindResponseCancel
	ClientKindOutputAudioBufferClear // WebRTC and SIP only
	numClientKinds
)

// Dialects is a set of dialects.
type Dialects uint8

// The dialect sets.
const (
	InPreview Dialects = 1 << iota
	InGA
	InBoth = InPreview | InGA
)

// Has reports whether d is in the set.
func (s Dialects) Has(d Dialect) bool {
	if d == GA {
		return s&InGA != 0
	}
	return s&InPreview != 0
}

// Member describes one top-level member a client event may carry besides
// "type" and "event_id".
type Member struct {
	Name     string
	Kinds    []JSONKind // the JSON types the service accepts
	Required bool
	Want     string // how the service's invalid_type message names the expected type
}

// ClientSpec is the table entry of one client event type: the project's one
// table of what a client may send, which the mock validates against and
// the conformance rules judge by.
type ClientSpec struct {
	Kind     ClientKind
	Type     string
	Dialects Dialects
	// Transports is empty for events of every transport, or names the only
	// ones that carry it ("webrtc", "sip").
	Transports []string
	Members    []Member
}

var (
	mString   = []JSONKind{JSONString}
	mObject   = []JSONKind{JSONObject}
	mNumber   = []JSONKind{JSONNumber}
	mObjOrNul = []JSONKind{JSONObject, JSONNull}
	mStrOrNul = []JSONKind{JSONString, JSONNull}
)

// clientSpecs is indexed by ClientKind, in the order the preview service
// lists the types in its "Invalid value" error.
var clientSpecs = [numClientKinds]ClientSpec{
	ClientKindSessionUpdate: {Type: ClientSessionUpdate, Dialects: InBoth,
		Members: []Member{{Name: "session", Kinds: mObject, Required: true, Want: "an object"}}},
	ClientKindTranscriptionSessionUpdate: {Type: ClientTranscriptionSessionUpdate, Dialects: InPreview,
		Members: []Member{{Name: "session", Kinds: mObject, Required: true, Want: "an object"}}},
	ClientKindSessionClose: {Type: ClientSessionClose, Dialects: InGA},
	ClientKindInputAppend: {Type: ClientInputAppend, Dialects: InBoth,
		Members: []Member{{Name: "audio", Kinds: mString, Required: true, Want: "a string"}}},
	ClientKindSessionInputAppend: {Type: ClientSessionInputAppend, Dialects: InGA,
		Members: []Member{{Name: "audio", Kinds: mString, Required: true, Want: "a string"}}},
	ClientKindInputCommit: {Type: ClientInputCommit, Dialects: InBoth},
	ClientKindInputClear:  {Type: ClientInputClear, Dialects: InBoth},
	ClientKindItemCreate: {Type: ClientItemCreate, Dialects: InBoth, Members: []Member{
		{Name: "previous_item_id", Kinds: mStrOrNul, Want: "a string"},
		{Name: "item", Kinds: mObject, Required: true, Want: "an object"},
	}},
	ClientKindItemRetrieve: {Type: ClientItemRetrieve, Dialects: InBoth,
		Members: []Member{{Name: "item_id", Kinds: mString, Required: true, Want: "a string"}}},
	ClientKindItemTruncate: {Type: ClientItemTruncate, Dialects: InBoth, Members: []Member{
		{Name: "item_id", Kinds: mString, Required: true, Want: "a string"},
		{Name: "content_index", Kinds: mNumber, Required: true, Want: "an integer"},
		{Name: "audio_end_ms", Kinds: mNumber, Required: true, Want: "an integer"},
	}},
	ClientKindItemDelete: {Type: ClientItemDelete, Dialects: InBoth,
		Members: []Member{{Name: "item_id", Kinds: mString, Required: true, Want: "a string"}}},
	ClientKindResponseCreate: {Type: ClientResponseCreate, Dialects: InBoth,
		Members: []Member{{Name: "response", Kinds: mObjOrNul, Want: "an object"}}},
	ClientKindResponseCancel: {Type: ClientResponseCancel, Dialects: InBoth,
		Members: []Member{{Name: "response_id", Kinds: mStrOrNul, Want: "a string"}}},
	ClientKindOutputAudioBufferClear: {Type: ClientOutputAudioBufferClear, Dialects: InBoth,
		Transports: []string{"webrtc", "sip"}},
}

var clientKindByType = func() map[string]ClientKind {
	m := make(map[string]ClientKind, numClientKinds)
	for k := range clientSpecs {
		if k > 0 {
			clientSpecs[k].Kind = ClientKind(k)
			m[clientSpecs[k].Type] = ClientKind(k)
		}
	}
	return m
}()

// ClientKindOf returns the kind of the client event type typ, or
// ClientUnknown; whether dialect d has it is [ClientSpec.Dialects]' business.
func ClientKindOf(typ string) ClientKind { return clientKindByType[typ] }

// Spec returns the table entry of k (the zero ClientSpec for ClientUnknown).
func (k ClientKind) Spec() *ClientSpec {
	if k >= numClientKinds {
		return &clientSpecs[0]
	}
	return &clientSpecs[k]
}

// String is the event type.
func (k ClientKind) String() string { return k.Spec().Type }

// Member returns the member named name of the spec, or nil.
func (s *ClientSpec) Member(name string) *Member {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i]
		}
	}
	return nil
}

// ClientSpecs returns the table of client event types, in the order the
// preview service lists them, then the GA additions.
func ClientSpecs() []ClientSpec { return clientSpecs[1:] }

// Client event types. They are the same in both dialects except where noted.
const (
	ClientSessionUpdate              = "session.update"
	ClientTranscriptionSessionUpdate = "transcription_session.update" // preview only
	ClientSessionClose               = "session.close"                // GA translation sessions only
	ClientInputAppend                = "input_audio_buffer.append"
	ClientSessionInputAppend         = "session.input_audio_buffer.append" // GA translation sessions only
	ClientInputCommit                = "input_audio_buffer.commit"
	ClientInputClear                 = "input_audio_buffer.clear"
	ClientItemCreate                 = "conversation.item.create"
	ClientItemRetrieve               = "conversation.item.retrieve"
	ClientItemTruncate               = "conversation.item.truncate"
	ClientItemDelete                 = "conversation.item.delete"
	ClientResponseCreate             = "response.create"
	ClientResponseCancel             = "response.cancel"
	ClientOutputAudioBufferClear     = "output_audio_buffer.clear" // WebRTC/SIP only
)

// ClientTypes returns the client event types the service accepts in dialect d
// over a WebSocket, in the order the service lists them in its "Invalid
// value" error.
func ClientTypes(d Dialect) []string {
	if d == GA {
		return []string{
			ClientSessionUpdate, ClientSessionClose, ClientInputAppend, ClientSessionInputAppend,
			ClientInputCommit, ClientInputClear, ClientItemCreate, ClientItemTruncate,
			ClientItemDelete, ClientItemRetrieve, ClientResponseCreate, ClientResponseCancel,
		}
	}
	return []string{
		ClientSessionUpdate, ClientTranscriptionSessionUpdate, ClientInputAppend,
		ClientInputCommit, ClientInputClear, ClientItemCreate, ClientItemTruncate,
		ClientItemDelete, ClientItemRetrieve, ClientResponseCreate, ClientResponseCancel,
	}
}

// IsClientType reports whether typ is a client event type of dialect d
// (over a WebSocket).
func IsClientType(d Dialect, typ string) bool {
	k := ClientKindOf(typ)
	return k != ClientUnknown && k.Spec().Dialects.Has(d) && len(k.Spec().Transports) == 0
}

// Subprotocols of the realtime WebSocket handshake.
const (
	SubprotocolRealtime = "realtime"                 // offered by browsers and the ws library; echoed
	SubprotocolBeta     = "openai-beta.realtime-v1"  // the beta (preview) marker of browser clients
	SubprotocolKey      = "openai-insecure-api-key." // + the API key, from browsers
	SubprotocolAgents   = "openai-agents-sdk."       // + the SDK version, from @openai/agents-realtime
)

// Voices are the voices the service offers.
var voices = []string{"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}

// Voices returns the voices the service offers, in its order.
func Voices() []string { return append([]string(nil), voices...) }

// IsVoice reports whether v is a voice the service offers.
func IsVoice(v string) bool {
	for _, x := range voices {
		if x == v {
			return true
		}
	}
	return false
}
