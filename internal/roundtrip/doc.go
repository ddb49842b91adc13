// Package roundtrip holds the end-to-end test of recording and replay: a
// client talks to rtmock through the recording proxy, the cassette it
// leaves is replayed by rtmock, and the client must see the same session.
// It has no code of its own.
package roundtrip
