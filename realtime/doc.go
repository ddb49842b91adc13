// Package realtime is the wire vocabulary of the Azure OpenAI / OpenAI
// Realtime API shared by every other rtmock package.
//
// The API exists in two shapes on the wire, called dialects here:
//
//   - [Preview]: the beta protocol (OpenAI with "OpenAI-Beta: realtime=v1",
//     Azure /openai/realtime?api-version=…). Server events are named
//     response.audio.delta, conversation.item.created, and so on.
//   - [GA]: the generally available protocol (OpenAI /v1/realtime, Azure
//     /openai/v1/realtime). Server events are named
//     response.output_audio.delta, conversation.item.added/done, and so on.
//
// Client event names are the same in both dialects. Server event names differ;
// [Dialect.Name] maps a dialect-neutral [Kind] onto the name a dialect uses and
// [KindOf] maps it back, so that scenarios and checks are written once.
//
// Events are kept as raw JSON: [Peek] classifies a frame by its top-level
// "type" and "event_id" without decoding the rest (an audio append of several
// kilobytes is scanned, not unmarshalled), and unknown fields pass through
// byte-exact. [Error] values carry the codes and wording of the live service and
// render as "error" server events with [Error.AppendEvent].
//
// The package imports only the standard library.
package realtime
