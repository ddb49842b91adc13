package cassette

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Audio formats, as named in elision markers.
const (
	PCM16    = "pcm16"     // 16-bit little-endian mono at 24 kHz: 48 bytes per ms
	G711ULaw = "g711_ulaw" // µ-law at 8 kHz: 8 bytes per ms
	G711ALaw = "g711_alaw" // A-law at 8 kHz: 8 bytes per ms
)

// BytesPerMs is the number of audio bytes per millisecond in format: 48 for
// PCM16, 8 for G.711, 0 for a format it does not know.
func BytesPerMs(format string) int {
	switch format {
	case PCM16:
		return 48
	case G711ULaw, G711ALaw:
		return 8
	}
	return 0
}

// elisionPrefix starts every elision marker.
const elisionPrefix = "rtmock-elided:"

// Elision is an elided piece of audio: what stands in the event instead of
// its base64 audio.
type Elision struct {
	Format string // PCM16, G711ULaw or G711ALaw
	Bytes  int    // the size of the audio that was there, decoded
}

// String is the marker, e.g. "rtmock-elided:pcm16:4800".
func (e Elision) String() string {
	return elisionPrefix + e.Format + ":" + strconv.Itoa(e.Bytes)
}

// Duration is how long the elided audio plays.
func (e Elision) Duration() time.Duration { return AudioDuration(e.Format, e.Bytes) }

// AudioDuration is how long n bytes of audio in format play (0 for a
// format it does not know).
func AudioDuration(format string, n int) time.Duration {
	bpm := BytesPerMs(format)
	if bpm == 0 {
		return 0
	}
	return time.Duration(n) * time.Millisecond / time.Duration(bpm)
}

// ParseElision reads a marker made by [Elision.String].
func ParseElision(s string) (Elision, bool) {
	rest, ok := strings.CutPrefix(s, elisionPrefix)
	if !ok {
		return Elision{}, false
	}
	format, count, ok := strings.Cut(rest, ":")
	if !ok || format == "" {
		return Elision{}, false
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return Elision{}, false
	}
	return Elision{Format: format, Bytes: n}, true
}

// Silence returns n bytes of silence in format: zeros for PCM16, 0xFF for
// µ-law, 0xD5 for A-law.
func Silence(format string, n int) []byte {
	b := make([]byte, n)
	var fill byte
	switch format {
	case G711ULaw:
		fill = 0xFF
	case G711ALaw:
		fill = 0xD5
	}
	if fill != 0 {
		for i := range b {
			b[i] = fill
		}
	}
	return b
}

// ElideAudio returns event with its audio (the "audio" of an
// input_audio_buffer.append from the client, the "delta" of an audio delta
// from the server, in either dialect) replaced by the marker of an
// [Elision] in format. It returns event itself and false when there is
// nothing to elide: another event, audio already elided, or audio that is
// not valid base64 (kept, since it is what a client bug looks like).
func ElideAudio(dir Direction, event []byte, format string) ([]byte, bool) {
	h, err := realtime.Peek(event)
	if err != nil {
		return event, false
	}
	formats := audioFormats{in: format, out: format}
	field, format := audioField(dir, h.Type, &formats)
	if field == "" {
		return event, false
	}
	return elideField(nil, event, field, format)
}

// RestoreAudio is the inverse of ElideAudio for replay: it returns event
// with an elision marker replaced by the base64 of fill(format, bytes), or
// by silence when fill is nil. fill must return exactly bytes bytes. An
// event without a marker is returned as it is, with restored false.
func RestoreAudio(event []byte, fill func(format string, bytes int) []byte) (out []byte, restored bool, err error) {
	h, err := realtime.Peek(event)
	if err != nil {
		return event, false, nil
	}
	var field string
	switch {
	case h.Type == realtime.ClientInputAppend:
		field = "audio"
	case isAudioDelta(h.Type):
		field = "delta"
	default:
		return event, false, nil
	}
	raw, ok, err := realtime.StringField(event, field)
	if err != nil || !ok {
		return event, false, nil
	}
	el, ok := ParseElision(string(raw))
	if !ok {
		return event, false, nil
	}
	if fill == nil {
		fill = Silence
	}
	audio := fill(el.Format, el.Bytes)
	if len(audio) != el.Bytes {
		return event, false, fmt.Errorf("restore audio: fill gave %d bytes for %s, want %d", len(audio), el, el.Bytes)
	}
	off := offsetIn(event, raw)
	out = make([]byte, 0, len(event)-len(raw)+base64.StdEncoding.EncodedLen(len(audio)))
	out = append(out, event[:off]...)
	out = base64.StdEncoding.AppendEncode(out, audio)
	out = append(out, event[off+len(raw):]...)
	return out, true, nil
}

func isAudioDelta(typ string) bool {
	return typ == realtime.Preview.Name(realtime.KindAudioDelta) || typ == realtime.GA.Name(realtime.KindAudioDelta)
}

// audioField names the member of an event of type typ travelling in dir
// that carries audio, and the audio's format; "" when there is none.
func audioField(dir Direction, typ string, f *audioFormats) (field, format string) {
	switch {
	case dir == Client && typ == realtime.ClientInputAppend:
		return "audio", f.input()
	case dir == Server && isAudioDelta(typ):
		return "delta", f.output()
	}
	return "", ""
}

// elideField appends to dst the event with the base64 string of field
// replaced by an elision marker.
func elideField(dst, event []byte, field, format string) ([]byte, bool) {
	raw, ok, err := realtime.StringField(event, field)
	if err != nil || !ok {
		return event, false
	}
	if bytes.HasPrefix(raw, []byte(elisionPrefix)) {
		return event, false
	}
	n, ok := base64Size(raw)
	if !ok {
		return event, false
	}
	off := offsetIn(event, raw)
	dst = append(dst, event[:off]...)
	dst = append(dst, Elision{Format: format, Bytes: n}.String()...)
	dst = append(dst, event[off+len(raw):]...)
	return dst, true
}

// offsetIn is the index in b where sub, a subslice of b, starts.
func offsetIn(b, sub []byte) int { return cap(b) - cap(sub) }

// base64Size is the decoded size of standard base64 text as it stands in a
// JSON string (with "\/" escapes allowed), and whether it is valid base64.
func base64Size(raw []byte) (int, bool) {
	if bytes.IndexByte(raw, '\\') >= 0 {
		u, err := realtime.Unquote(raw)
		if err != nil {
			return 0, false
		}
		raw = u
	}
	pad := 0
	for len(raw) > 0 && raw[len(raw)-1] == '=' && pad < 2 {
		raw = raw[:len(raw)-1]
		pad++
	}
	// Padding, when present, completes the last quantum; unpadded text may
	// end in a partial one of 2 or 3 characters, never 1.
	if len(raw)%4 == 1 || (pad > 0 && (len(raw)+pad)%4 != 0) {
		return 0, false
	}
	for _, c := range raw {
		if !isBase64[c] {
			return 0, false
		}
	}
	return len(raw) * 6 / 8, true
}

var isBase64 = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = true
	}
	return t
}()

// audioSize is the decoded size of the audio in a base64 (or elided)
// string, and whether it was elided.
func audioSize(raw []byte) (n int, elided, ok bool) {
	if bytes.HasPrefix(raw, []byte(elisionPrefix)) {
		el, ok := ParseElision(string(raw))
		return el.Bytes, true, ok
	}
	n, ok = base64Size(raw)
	return n, false, ok
}

// audioFormats follows a session's audio formats from the server's
// session.created and session.updated events.
type audioFormats struct {
	in, out string
	p       realtime.Parser // reused for every session event
}

func (f *audioFormats) input() string {
	if f.in == "" {
		return PCM16
	}
	return f.in
}

func (f *audioFormats) output() string {
	if f.out == "" {
		return PCM16
	}
	return f.out
}

// observe updates the formats when event is the server's session config.
func (f *audioFormats) observe(dir Direction, typ string, event []byte) {
	if dir != Server {
		return
	}
	switch typ {
	case "session.created", "session.updated", "transcription_session.created", "transcription_session.updated":
	default:
		return
	}
	in, out, inOK, outOK := realtime.AnnouncedFormats(&f.p, event)
	if inOK {
		f.in = in.String()
	}
	if outOK {
		f.out = out.String()
	}
}

// AudioTrack is the audio one direction of a session carried, end to end.
type AudioTrack struct {
	Format string // PCM16, G711ULaw or G711ALaw
	Data   []byte // decoded, in order
	Events int    // events that carried audio
	Elided int    // of those, events whose audio was elided: silence of its size stands in for it
}

// Audio joins the audio that travelled in dir: the client's
// input_audio_buffer.append events or the server's audio deltas, decoded.
// A session whose format changes between two audio events gives an error,
// since one track has one format.
func (c *Cassette) Audio(dir Direction) (*AudioTrack, error) {
	j := audioJoiner{dir: dir, track: &AudioTrack{}}
	for i, f := range c.All() {
		if err := j.add(f); err != nil {
			return nil, fmt.Errorf("audio of frame %d: %w", i+1, err)
		}
	}
	return j.done(), nil
}

// ReadAudio is [Cassette.Audio] for the rest of a cassette streaming from
// r: only the track is held in memory, not the cassette. Errors are
// *ParseError with the line of the frame at fault.
func ReadAudio(r *Reader, dir Direction) (*AudioTrack, error) {
	j := audioJoiner{dir: dir, track: &AudioTrack{}}
	for {
		f, err := r.Next()
		if err == io.EOF {
			return j.done(), nil
		}
		if err != nil {
			return nil, err
		}
		if err := j.add(f); err != nil {
			return nil, &ParseError{Path: r.name, Line: r.line, Err: fmt.Errorf("audio: %w", err)}
		}
	}
}

// audioJoiner builds the audio track of one direction frame by frame.
type audioJoiner struct {
	dir     Direction
	track   *AudioTrack
	formats audioFormats
}

func (j *audioJoiner) add(f Frame) error {
	if f.Kind != KindText {
		return nil
	}
	field, format := audioField(j.dir, f.Type, &j.formats)
	if field == "" || f.Dir != j.dir {
		j.formats.observe(f.Dir, f.Type, f.Data)
		return nil
	}
	raw, ok, err := realtime.StringField(f.Data, field)
	if err != nil || !ok {
		return nil
	}
	track := j.track
	if el, ok := ParseElision(string(raw)); ok {
		if track.Format != "" && track.Format != el.Format {
			return fmt.Errorf("it is %s, before it %s: one track has one format", el.Format, track.Format)
		}
		track.Format = el.Format
		track.Data = append(track.Data, Silence(el.Format, el.Bytes)...)
		track.Elided++
		track.Events++
		return nil
	}
	if bytes.IndexByte(raw, '\\') >= 0 {
		if raw, err = realtime.Unquote(raw); err != nil {
			return nil
		}
	}
	if track.Format != "" && track.Format != format {
		return fmt.Errorf("it is %s, before it %s: one track has one format", format, track.Format)
	}
	if track.Data, err = base64.StdEncoding.AppendDecode(track.Data, raw); err != nil {
		return err
	}
	track.Format = format
	track.Events++
	return nil
}

func (j *audioJoiner) done() *AudioTrack {
	if j.track.Format == "" {
		j.track.Format = PCM16
	}
	return j.track
}
