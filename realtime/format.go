package realtime

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Format is a session audio format: the encoding of the bytes a
// client appends with input_audio_buffer.append and the server sends in audio
// deltas. The zero Format is PCM16, the session default.
type Format uint8

const (
	// PCM16 is 16-bit signed little-endian mono PCM at 24 kHz: 2 bytes per
	// sample, 48 bytes per millisecond. Wire names "pcm16" (preview) and
	// "audio/pcm" (GA).
	PCM16 Format = iota
	// G711ULaw is ITU-T G.711 µ-law at 8 kHz: 1 byte per sample, 8 bytes per
	// millisecond. Wire names "g711_ulaw" (preview) and "audio/pcmu" (GA).
	G711ULaw
	// G711ALaw is ITU-T G.711 A-law at 8 kHz: 1 byte per sample, 8 bytes per
	// millisecond. Wire names "g711_alaw" (preview) and "audio/pcma" (GA).
	G711ALaw
)

// ErrUnknownFormat is wrapped by the errors of [ParseFormat] and
// [ParseFormatLenient] for a name that is no audio format.
var ErrUnknownFormat = errors.New("unknown audio format")

// formatInfo holds the facts about one Format.
type formatInfo struct {
	preview     string
	ga          string
	sampleRate  int
	bytesPerSmp int
}

var formats = [...]formatInfo{
	PCM16:    {preview: "pcm16", ga: "audio/pcm", sampleRate: 24000, bytesPerSmp: 2},
	G711ULaw: {preview: "g711_ulaw", ga: "audio/pcmu", sampleRate: 8000, bytesPerSmp: 1},
	G711ALaw: {preview: "g711_alaw", ga: "audio/pcma", sampleRate: 8000, bytesPerSmp: 1},
}

// Valid reports whether f is one of the declared formats.
func (f Format) Valid() bool { return int(f) < len(formats) }

// String returns the preview (beta) wire name: "pcm16", "g711_ulaw" or
// "g711_alaw".
func (f Format) String() string {
	if !f.Valid() {
		return fmt.Sprintf("Format(%d)", uint8(f))
	}
	return formats[f].preview
}

// GAType returns the GA wire name used in audio.input.format.type and
// audio.output.format.type: "audio/pcm", "audio/pcmu" or "audio/pcma". It
// returns "" for an invalid Format.
func (f Format) GAType() string {
	if !f.Valid() {
		return ""
	}
	return formats[f].ga
}

// SampleRate returns the samples per second: 24000 for PCM16, 8000 for the
// G.711 formats, 0 for an invalid Format.
func (f Format) SampleRate() int {
	if !f.Valid() {
		return 0
	}
	return formats[f].sampleRate
}

// BytesPerSample returns 2 for PCM16, 1 for the G.711 formats, 0 for an
// invalid Format.
func (f Format) BytesPerSample() int {
	if !f.Valid() {
		return 0
	}
	return formats[f].bytesPerSmp
}

// BytesPerMs returns the bytes in one millisecond of audio: 48 for PCM16, 8
// for the G.711 formats, 0 for an invalid Format. Every millisecond is a
// whole number of samples in all three formats.
func (f Format) BytesPerMs() int {
	return f.SampleRate() / 1000 * f.BytesPerSample()
}

// Duration returns how long nBytes of audio play. Only whole samples count:
// a trailing partial sample (an odd byte of PCM16) adds nothing. The result
// is truncated to the nanosecond; it is exact for whole milliseconds.
func (f Format) Duration(nBytes int) time.Duration {
	if !f.Valid() || nBytes <= 0 {
		return 0
	}
	samples := int64(nBytes / f.BytesPerSample())
	rate := int64(f.SampleRate())
	// Split to keep samples*1e9 from overflowing for very long audio.
	sec := samples / rate
	rem := samples % rate
	return time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/rate)
}

// Bytes returns the byte count of d of audio: d in samples, rounded to the
// nearest whole sample, times the bytes per sample. Durations of whole
// milliseconds are exact (100 ms of PCM16 is 4800 bytes, 250 ms is 12000),
// and Bytes(Duration(n)) == n for any whole number of samples n, although a
// sample of PCM16 is not a whole number of nanoseconds. Negative durations
// give 0.
func (f Format) Bytes(d time.Duration) int {
	if !f.Valid() || d <= 0 {
		return 0
	}
	rate := int64(f.SampleRate())
	sec := int64(d / time.Second)
	rem := int64(d % time.Second)
	samples := sec*rate + (rem*rate+int64(time.Second)/2)/int64(time.Second)
	return int(samples) * f.BytesPerSample()
}

// Samples returns the whole samples in nBytes.
func (f Format) Samples(nBytes int) int {
	if !f.Valid() || nBytes <= 0 {
		return 0
	}
	return nBytes / f.BytesPerSample()
}

// ParseFormat parses a wire name of either protocol dialect, exactly as the
// service spells it: the preview names "pcm16", "g711_ulaw" and "g711_alaw"
// and the GA types "audio/pcm", "audio/pcmu" and "audio/pcma". Any other
// string, including other cases and the hyphenated spellings, is an error
// wrapping [ErrUnknownFormat]; use [ParseFormatLenient] to accept those.
func ParseFormat(s string) (Format, error) {
	for f, info := range formats {
		if s == info.preview || s == info.ga {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("audio format %q: %w (want pcm16, g711_ulaw, g711_alaw, audio/pcm, audio/pcmu or audio/pcma)", s, ErrUnknownFormat)
}

// ParseFormatLenient is [ParseFormat] for names written by people or by
// other client libraries: it ignores case and surrounding space and also
// accepts the hyphenated spellings "g711-ulaw" and "g711-alaw" used by the
// Azure rtclient libraries. The service itself accepts only what
// ParseFormat does, so the mock server validates client events with
// ParseFormat.
func ParseFormatLenient(s string) (Format, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "g711-ulaw":
		return G711ULaw, nil
	case "g711-alaw":
		return G711ALaw, nil
	}
	f, err := ParseFormat(t)
	if err != nil {
		return 0, fmt.Errorf("audio format %q: %w (want pcm16, g711_ulaw, g711-ulaw, g711_alaw, g711-alaw, audio/pcm, audio/pcmu or audio/pcma)", s, ErrUnknownFormat)
	}
	return f, nil
}

// AnnouncedFormats reads the audio formats that a server's session.created,
// session.updated or transcription_session.created/updated announces, in either
// dialect: a preview name (session.input_audio_format: "pcm16") or a GA
// format object (session.audio.input.format: {"type":"audio/pcmu"}). ok is
// false for a format the event does not name or names in no known way; p
// is reused for the scan.
func AnnouncedFormats(p *Parser, data []byte) (in, out Format, inOK, outOK bool) {
	root, err := p.Parse(data)
	if err != nil {
		return 0, 0, false, false
	}
	s := root.Get("session")
	in, inOK = announced(s.Get("input_audio_format"), s.Path("audio", "input", "format"))
	out, outOK = announced(s.Get("output_audio_format"), s.Path("audio", "output", "format"))
	return in, out, inOK, outOK
}

// announced reads the first of vs that names a format: a string, or an
// object whose type is one.
func announced(vs ...Value) (Format, bool) {
	for _, v := range vs {
		if v.Kind() == JSONObject {
			v = v.Get("type")
		}
		if name, ok := v.Str(); ok {
			if f, err := ParseFormatLenient(name); err == nil {
				return f, true
			}
		}
	}
	return 0, false
}
