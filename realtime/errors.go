package realtime

import (
	"fmt"
	"strconv"
	"strings"
)

// Error types used by the service.
const (
	InvalidRequestError = "invalid_request_error"
	ServerError         = "server_error"
)

// Error codes used by the service (reference §3.1).
const (
	CodeInvalidValue              = "invalid_value"
	CodeInvalidEvent              = "invalid_event"
	CodeInvalidJSON               = "invalid_json"
	CodeUnknownParameter          = "unknown_parameter"
	CodeMissingRequiredParam      = "missing_required_parameter"
	CodeInvalidType               = "invalid_type"
	CodeIntegerBelowMin           = "integer_below_min_value"
	CodeIntegerAboveMax           = "integer_above_max_value"
	CodeDecimalBelowMin           = "decimal_below_min_value"
	CodeDecimalAboveMax           = "decimal_above_max_value"
	CodeCommitEmpty               = "input_audio_buffer_commit_empty"
	CodeActiveResponse            = "conversation_already_has_active_response"
	CodeCancelNotActive           = "response_cancel_not_active"
	CodeUnsupportedContentType    = "unsupported_content_type"
	CodeItemNotFound              = "item_not_found"
	CodeInvalidAudioEnd           = "invalid_audio_end_ms"
	CodeCannotUpdateVoice         = "cannot_update_voice"
	CodeSessionExpired            = "session_expired"
	CodeInvalidAPIKey             = "invalid_api_key"
	CodeInvalidModel              = "invalid_model"
	CodeMissingModel              = "missing_model"
	CodeBetaAPIShapeDisabled      = "beta_api_shape_disabled"
	CodeInvalidFunctionParameters = "invalid_function_parameters"
	CodeRateLimitExceeded         = "rate_limit_exceeded"
	CodeInputTranscriptionError   = "transcription_failed"
)

// Error is an "error" server event's payload. Empty Code, Param and EventID
// are sent as JSON null, as the service does.
type Error struct {
	Type    string // InvalidRequestError unless noted
	Code    string
	Message string
	Param   string
	EventID string // the client event that caused it
}

func (e *Error) Error() string {
	if e.Code != "" {
		return e.Code + ": " + e.Message
	}
	return e.Message
}

// WithEventID returns a copy of e that names the client event id.
func (e *Error) WithEventID(id string) *Error {
	c := *e
	c.EventID = id
	return &c
}

// AppendEvent appends e as an "error" server event with the given server
// event_id to dst.
func (e *Error) AppendEvent(dst []byte, serverEventID string) []byte {
	dst = append(dst, `{"type":"error","event_id":`...)
	dst = strconv.AppendQuote(dst, serverEventID)
	dst = append(dst, `,"error":{"type":`...)
	typ := e.Type
	if typ == "" {
		typ = InvalidRequestError
	}
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"code":`...)
	dst = appendNullable(dst, e.Code)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, e.Message)
	dst = append(dst, `,"param":`...)
	dst = appendNullable(dst, e.Param)
	dst = append(dst, `,"event_id":`...)
	dst = appendNullable(dst, e.EventID)
	return append(dst, "}}"...)
}

func appendNullable(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}

// appendJSONString appends s as a JSON string. strconv.Quote is not JSON (it
// writes \x escapes), so characters are escaped by hand.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// AppendJSONString appends s to dst as a JSON string literal.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

func invalid(code, param, format string, args ...any) *Error {
	return &Error{Type: InvalidRequestError, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// NewInvalidJSONError is the service's answer to a text frame that is not JSON.
func NewInvalidJSONError(detail string) *Error {
	return invalid(CodeInvalidJSON, "", "Invalid event: failed to parse JSON value: %s.", detail)
}

// NewBinaryFrameError is the answer to a binary WebSocket message.
func NewBinaryFrameError() *Error {
	return invalid(CodeInvalidEvent, "", "Expected a text WebSocket message; binary frames are not supported.")
}

// NewMissingTypeFieldError is the answer to an event without "type".
func NewMissingTypeFieldError() *Error {
	return invalid(CodeInvalidEvent, "type", "The 'type' field is missing.")
}

// NewUnknownEventTypeError is the answer to an event type the dialect does not
// accept (including invented keep-alives such as "ping").
func NewUnknownEventTypeError(d Dialect, typ string) *Error {
	return invalid(CodeInvalidValue, "type", "Invalid value: '%s'. Supported values are: %s.",
		typ, "'"+strings.Join(ClientTypes(d), "', '")+"'")
}

// NewUnknownParameterError is the answer to a field the event does not have.
func NewUnknownParameterError(path string) *Error {
	return invalid(CodeUnknownParameter, path, "Unknown parameter: '%s'.", path)
}

// NewMissingParameterError is the answer to a required field that is absent.
func NewMissingParameterError(path string) *Error {
	return invalid(CodeMissingRequiredParam, path, "Missing required parameter: '%s'.", path)
}

// NewInvalidTypeError is the answer to a field of the wrong JSON type.
func NewInvalidTypeError(path, want, got string) *Error {
	return invalid(CodeInvalidType, path, "Invalid type for '%s': expected %s, but got %s instead.", path, want, got)
}

// NewInvalidValueError is the answer to a field with a value outside its enum.
func NewInvalidValueError(path, got string, supported []string) *Error {
	return invalid(CodeInvalidValue, path, "Invalid value: '%s'. Supported values are: '%s'.", got, strings.Join(supported, "', '"))
}

// NewBelowMinError is the answer to a number below its minimum.
func NewBelowMinError(path string, min, got float64, integer bool) *Error {
	code := CodeDecimalBelowMin
	if integer {
		code = CodeIntegerBelowMin
	}
	return invalid(code, path, "Invalid '%s': expected a value >= %s, but got %s instead.", path, num(min), num(got))
}

// NewAboveMaxError is the answer to a number above its maximum.
func NewAboveMaxError(path string, max, got float64, integer bool) *Error {
	code := CodeDecimalAboveMax
	if integer {
		code = CodeIntegerAboveMax
	}
	return invalid(code, path, "Invalid '%s': expected a value <= %s, but got %s instead.", path, num(max), num(got))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// NewInvalidAudioError is the answer to an append whose audio is not valid base64
// or not whole samples of the session's input format (e.g. "mono PCM16 at 24kHz").
func NewInvalidAudioError(formatDesc string) *Error {
	return invalid(CodeInvalidValue, "audio", "Invalid 'audio'. Expected base64-encoded audio bytes (%s) but got an invalid value.", formatDesc)
}

// NewCommitEmptyError is the answer to a commit with less than 100 ms buffered.
func NewCommitEmptyError(bufferedMs float64) *Error {
	return invalid(CodeCommitEmpty, "", "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has %.2fms of audio.", bufferedMs)
}

// NewActiveResponseError is the answer to response.create while one is active.
func NewActiveResponseError(responseID string) *Error {
	return invalid(CodeActiveResponse, "", "Conversation already has an active response in progress: %s. Wait until the response is finished before creating a new one.", responseID)
}

// NewCancelNotActiveError is the answer to response.cancel with nothing active.
func NewCancelNotActiveError() *Error {
	return invalid(CodeCancelNotActive, "", "Cancellation failed: no active response found")
}

// NewTruncateNotAudioError is the answer to truncating an item that is not
// assistant audio, or that has no audio yet, or at 0 ms.
func NewTruncateNotAudioError() *Error {
	return invalid(CodeUnsupportedContentType, "", "Only model output audio messages can be truncated")
}

// NewTruncateTooLongError is the answer to audio_end_ms beyond the item's audio.
func NewTruncateTooLongError(haveMs, wantMs int) *Error {
	return invalid(CodeInvalidValue, "audio_end_ms", "Audio content of %dms is already shorter than %dms", haveMs, wantMs)
}

// NewItemNotFoundError is the answer to an unknown item id (param names the field).
func NewItemNotFoundError(param, id string) *Error {
	return invalid(CodeItemNotFound, param, "Item with item_id '%s' does not exist.", id)
}

// NewPreviousItemNotFoundError is the answer to an unknown previous_item_id.
func NewPreviousItemNotFoundError(id string) *Error {
	return invalid(CodeItemNotFound, "previous_item_id", "Previous item with id '%s' does not exist.", id)
}

// NewCannotUpdateVoiceError is the answer to a voice change after assistant audio.
func NewCannotUpdateVoiceError() *Error {
	return invalid(CodeCannotUpdateVoice, "session.voice", "Cannot update a conversation's voice if assistant audio is present.")
}

// NewSessionExpiredError is sent when the session reaches its maximum duration;
// a close frame follows.
func NewSessionExpiredError(minutes int) *Error {
	return invalid(CodeSessionExpired, "", "Your session hit the maximum duration of %d minutes.", minutes)
}

// NewInvalidAPIKeyError is sent on the OpenAI path for a wrong key; close 3000 follows.
func NewInvalidAPIKeyError(key string) *Error {
	return invalid(CodeInvalidAPIKey, "", "Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.", maskKey(key))
}

// NewMissingAuthError is sent on the OpenAI path without credentials; close 3000 follows.
func NewMissingAuthError() *Error {
	return invalid("", "", "Missing bearer or basic authentication in header")
}

// NewMissingModelError and ErrBetaShapeDisabled are handshake-time errors on the
// OpenAI path; close 4000 follows.
func NewMissingModelError() *Error {
	return invalid(CodeMissingModel, "", "You must provide a model parameter")
}

// NewBetaShapeDisabledError is the GA service's answer to the beta marker
// since the beta was shut down in May 2026 (docs/protocol.md §1.3).
func NewBetaShapeDisabledError() *Error {
	return invalid(CodeBetaAPIShapeDisabled, "", "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.")
}

// NewInvalidModelError is the service's answer to a model that is not a
// realtime model.
func NewInvalidModelError(model string) *Error {
	return invalid(CodeInvalidModel, "", "Model %q is not supported in realtime mode.", model)
}

// NewRateLimitedError is the answer when simulated rate limits are exhausted.
func NewRateLimitedError() *Error {
	return &Error{Type: "rate_limit_error", Code: CodeRateLimitExceeded, Message: "Rate limit reached. Please try again later."}
}

// NewServerError is a generic service fault.
func NewServerError(msg string) *Error {
	if msg == "" {
		msg = "The server had an error while processing your request. Sorry about that!"
	}
	return &Error{Type: ServerError, Message: msg}
}

// maskKey shows a key as the service does: the first 3 and last 4 characters.
func maskKey(k string) string {
	if len(k) <= 8 {
		return strings.Repeat("*", len(k))
	}
	return k[:3] + strings.Repeat("*", 12) + k[len(k)-4:]
}
