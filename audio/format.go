package audio

import "github.com/rtmock/rtmock/realtime"

// Format is a session audio format. The table of formats (wire names of
// both dialects, rates, byte arithmetic) is the protocol's, so it lives in
// package realtime; this package codes and measures audio in them.
type Format = realtime.Format

// The formats.
const (
	PCM16    = realtime.PCM16    // 16-bit LE mono PCM at 24 kHz, 48 bytes/ms
	G711ULaw = realtime.G711ULaw // G.711 µ-law at 8 kHz, 8 bytes/ms
	G711ALaw = realtime.G711ALaw // G.711 A-law at 8 kHz, 8 bytes/ms
)

// ErrUnknownFormat is wrapped by the errors of ParseFormat and
// ParseFormatLenient for a name that is no audio format.
var ErrUnknownFormat = realtime.ErrUnknownFormat

// ParseFormat parses a wire name exactly as the service spells it; see
// [realtime.ParseFormat].
func ParseFormat(s string) (Format, error) { return realtime.ParseFormat(s) }

// ParseFormatLenient also accepts other cases and the hyphenated spellings
// of the Azure rtclient libraries; see [realtime.ParseFormatLenient].
func ParseFormatLenient(s string) (Format, error) { return realtime.ParseFormatLenient(s) }
