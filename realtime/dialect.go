package realtime

import "fmt"

// Dialect is one of the two wire shapes of the Realtime API.
type Dialect string

// The dialects. The zero Dialect is invalid.
const (
	Preview Dialect = "preview" // the beta protocol (Azure api-version=…-preview, OpenAI-Beta: realtime=v1)
	GA      Dialect = "ga"      // the generally available protocol
)

// ParseDialect accepts "preview" (or "beta") and "ga".
func ParseDialect(s string) (Dialect, error) {
	switch s {
	case "preview", "beta":
		return Preview, nil
	case "ga", "GA":
		return GA, nil
	}
	return "", fmt.Errorf("unknown dialect %q (want preview or ga)", s)
}

// Valid reports whether d is Preview or GA.
func (d Dialect) Valid() bool { return d == Preview || d == GA }

// Kind is a dialect-neutral server event. Use [Dialect.Name] for its wire name.
type Kind int

// Server event kinds. Kinds marked "GA only" or "preview only" have no name in
// the other dialect.
const (
	KindUnknown Kind = iota
	KindError
	KindSessionCreated
	KindSessionUpdated
	KindTranscriptionSessionUpdated // preview only
	KindTranscriptionSessionCreated // preview only
	KindConversationCreated
	KindItemCreated // preview only: GA sends KindItemAdded + KindItemDone
	KindItemAdded   // GA only
	KindItemDone    // GA only
	KindItemRetrieved
	KindItemTruncated
	KindItemDeleted
	KindInputTranscriptionDelta
	KindInputTranscriptionCompleted
	KindInputTranscriptionFailed
	KindInputTranscriptionSegment // GA only
	KindInputCommitted
	KindInputCleared
	KindSpeechStarted
	KindSpeechStopped
	KindInputTimeoutTriggered // GA only
	KindOutputAudioBufferStarted
	KindOutputAudioBufferStopped
	KindOutputAudioBufferCleared
	KindResponseCreated
	KindResponseDone
	KindOutputItemAdded
	KindOutputItemDone
	KindContentPartAdded
	KindContentPartDone
	KindTextDelta
	KindTextDone
	KindAudioTranscriptDelta
	KindAudioTranscriptDone
	KindAudioDelta
	KindAudioDone
	KindFunctionCallArgumentsDelta
	KindFunctionCallArgumentsDone
	KindRateLimitsUpdated
	numKinds
)

// serverNames holds the wire names per kind: [0] preview, [1] GA. An empty
// string means the dialect has no such event.
var serverNames = [numKinds][2]string{
	KindError:                       {"error", "error"},
	KindSessionCreated:              {"session.created", "session.created"},
	KindSessionUpdated:              {"session.updated", "session.updated"},
	KindTranscriptionSessionUpdated: {"transcription_session.updated", ""},
	KindTranscriptionSessionCreated: {"transcription_session.created", ""},
	KindConversationCreated:         {"conversation.created", "conversation.created"},
	KindItemCreated:                 {"conversation.item.created", ""},
	KindItemAdded:                   {"", "conversation.item.added"},
	KindItemDone:                    {"", "conversation.item.done"},
	KindItemRetrieved:               {"conversation.item.retrieved", "conversation.item.retrieved"},
	KindItemTruncated:               {"conversation.item.truncated", "conversation.item.truncated"},
	KindItemDeleted:                 {"conversation.item.deleted", "conversation.item.deleted"},
	KindInputTranscriptionDelta:     {"conversation.item.input_audio_transcription.delta", "conversation.item.input_audio_transcription.delta"},
	KindInputTranscriptionCompleted: {"conversation.item.input_audio_transcription.completed", "conversation.item.input_audio_transcription.completed"},
	KindInputTranscriptionFailed:    {"conversation.item.input_audio_transcription.failed", "conversation.item.input_audio_transcription.failed"},
	KindInputTranscriptionSegment:   {"", "conversation.item.input_audio_transcription.segment"},
	KindInputCommitted:              {"input_audio_buffer.committed", "input_audio_buffer.committed"},
	KindInputCleared:                {"input_audio_buffer.cleared", "input_audio_buffer.cleared"},
	KindSpeechStarted:               {"input_audio_buffer.speech_started", "input_audio_buffer.speech_started"},
	KindSpeechStopped:               {"input_audio_buffer.speech_stopped", "input_audio_buffer.speech_stopped"},
	KindInputTimeoutTriggered:       {"", "input_audio_buffer.timeout_triggered"},
	KindOutputAudioBufferStarted:    {"output_audio_buffer.started", "output_audio_buffer.started"},
	KindOutputAudioBufferStopped:    {"output_audio_buffer.stopped", "output_audio_buffer.stopped"},
	KindOutputAudioBufferCleared:    {"output_audio_buffer.cleared", "output_audio_buffer.cleared"},
	KindResponseCreated:             {"response.created", "response.created"},
	KindResponseDone:                {"response.done", "response.done"},
	KindOutputItemAdded:             {"response.output_item.added", "response.output_item.added"},
	KindOutputItemDone:              {"response.output_item.done", "response.output_item.done"},
	KindContentPartAdded:            {"response.content_part.added", "response.content_part.added"},
	KindContentPartDone:             {"response.content_part.done", "response.content_part.done"},
	KindTextDelta:                   {"response.text.delta", "response.output_text.delta"},
	KindTextDone:                    {"response.text.done", "response.output_text.done"},
	KindAudioTranscriptDelta:        {"response.audio_transcript.delta", "response.output_audio_transcript.delta"},
	KindAudioTranscriptDone:         {"response.audio_transcript.done", "response.output_audio_transcript.done"},
	KindAudioDelta:                  {"response.audio.delta", "response.output_audio.delta"},
	KindAudioDone:                   {"response.audio.done", "response.output_audio.done"},
	KindFunctionCallArgumentsDelta:  {"response.function_call_arguments.delta", "response.function_call_arguments.delta"},
	KindFunctionCallArgumentsDone:   {"response.function_call_arguments.done", "response.function_call_arguments.done"},
	KindRateLimitsUpdated:           {"rate_limits.updated", "rate_limits.updated"},
}

var kindByName = func() [2]map[string]Kind {
	var m [2]map[string]Kind
	for i := range m {
		m[i] = make(map[string]Kind)
	}
	for k, names := range serverNames {
		for i, n := range names {
			if n != "" {
				m[i][n] = Kind(k)
			}
		}
	}
	return m
}()

func (d Dialect) index() int {
	if d == GA {
		return 1
	}
	return 0
}

// Name returns the wire name of server event kind k in dialect d, or "" when
// the dialect has no such event.
func (d Dialect) Name(k Kind) string {
	if k <= KindUnknown || k >= numKinds {
		return ""
	}
	return serverNames[k][d.index()]
}

// KindOf returns the kind of the server event named name in dialect d, or
// KindUnknown when d has no event of that name (for example a GA-only event
// in a preview session).
func KindOf(d Dialect, name string) Kind {
	return kindByName[d.index()][name]
}

// Other returns the other dialect.
func (d Dialect) Other() Dialect {
	if d == GA {
		return Preview
	}
	return GA
}

// Translate returns the name the server event called name in dialect from has
// in dialect to, or "" when it has none there.
func Translate(name string, from, to Dialect) string {
	return to.Name(KindOf(from, name))
}

// IsServerType reports whether typ names a server event in dialect d.
func IsServerType(d Dialect, typ string) bool { return KindOf(d, typ) != KindUnknown }

// ServerKinds returns every server event kind, in declaration order; a
// dialect names those it has ([Dialect.Name] is "" for the others).
func ServerKinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := KindUnknown + 1; k < numKinds; k++ {
		out = append(out, k)
	}
	return out
}
