package cassette

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Version is the format version this package writes and reads.
const Version = 1

// MaxFrameSize is the largest WebSocket message the recorder relays and a
// cassette is meant to hold: an input_audio_buffer.append may carry 15 MiB
// of audio, 20 MiB in base64, plus its JSON envelope.
const MaxFrameSize = 24 << 20

// DefaultMaxLine is the longest line a [Reader] accepts by default: a
// binary frame of [MaxFrameSize] in base64 plus the line's envelope, with
// room for escaping.
const DefaultMaxLine = 64 << 20

// ErrUnknownVersion is returned (inside a *ParseError) for a cassette whose
// header names a format version this package does not know.
var ErrUnknownVersion = errors.New("unknown cassette version")

// Direction says which way a frame travelled.
type Direction string

// The directions.
const (
	Client Direction = "client" // from the client towards the server
	Server Direction = "server" // from the server (or on its behalf) towards the client
)

// Valid reports whether d is Client or Server.
func (d Direction) Valid() bool { return d == Client || d == Server }

// Kind is what a frame is.
type Kind uint8

// The kinds of frame. The zero Kind is invalid.
const (
	KindText    Kind = iota + 1 // a text frame: Data is its payload
	KindBinary                  // a binary frame: Data is its payload
	KindClose                   // a close frame: Code and Reason
	KindError                   // the connection failed without a close frame: Reason says how
	KindHTTP                    // the server refused the upgrade: Code is the status, Data the body, Header some headers
	KindDropped                 // Code frames of this direction could not be recorded here
	KindFault                   // a fault the mock injected fired here: Reason says which (frames of Dir were affected)
	KindAudio                   // one RTP packet of a WebRTC call's audio: Data is its PCM16 LE 24 kHz mono, RTP its timing
)

var kindNames = [...]string{"", "text", "binary", "close", "error", "http", "dropped", "fault", "audio"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Frame is one line of a cassette after the header.
type Frame struct {
	T    time.Duration // since the upgrade; kept to the microsecond in the file
	Dir  Direction
	Kind Kind

	// Data is the payload of a text or binary frame and the body of an HTTP
	// response. Frames from a [Cassette] share it: treat it as read-only.
	Data []byte

	Code   int               // close code, HTTP status, or number of dropped frames
	Reason string            // close reason, or the error message of KindError
	Header map[string]string // KindHTTP: response headers worth keeping (Content-Type, Retry-After, …)
	RTP    RTPStamp          // KindAudio: the packet's RTP timing

	// Type is the "type" of a text frame holding a JSON event, filled by
	// [Reader] (with realtime.Peek); "" for anything else. Writers ignore it.
	Type string
}

// RTPStamp is where an audio packet sits in its RTP stream: its timestamp
// on the 48 kHz Opus clock and its sequence number. A gap in the sequence
// is a lost packet; the timestamps give the stream's own timing, apart
// from when the packet was sent or arrived (T).
type RTPStamp struct {
	Timestamp uint32
	Seq       uint16
}

// Header is the first line of a cassette.
type Header struct {
	Version  int              `json:"rtcassette"`         // format version; 0 means Version when writing
	Created  time.Time        `json:"created"`            // when the session started
	ID       string           `json:"id,omitempty"`       // the session's id
	Dialect  realtime.Dialect `json:"dialect,omitempty"`  // the wire shape the session spoke
	Provider string           `json:"provider,omitempty"` // "azure" or "openai"
	Endpoint Endpoint         `json:"endpoint"`
	Recorder string           `json:"recorder,omitempty"` // name and version of what wrote the file
	// Transport is "webrtc" for a WebRTC call (its data-channel events,
	// and its audio as KindAudio frames); "" for a WebSocket session.
	Transport string `json:"transport,omitempty"`
}

// Endpoint is what the client asked for in its handshake, without
// credentials.
type Endpoint struct {
	Path         string            `json:"path"`
	Query        map[string]string `json:"query,omitempty"`
	Header       map[string]string `json:"headers,omitempty"`      // non-secret handshake headers
	Subprotocols []string          `json:"subprotocols,omitempty"` // offered by the client
	Subprotocol  string            `json:"subprotocol,omitempty"`  // chosen by the server
}

func (h Header) clone() Header {
	h.Endpoint.Query = maps.Clone(h.Endpoint.Query)
	h.Endpoint.Header = maps.Clone(h.Endpoint.Header)
	h.Endpoint.Subprotocols = slices.Clone(h.Endpoint.Subprotocols)
	return h
}

// ParseError is a problem at a place in a cassette. Line and Column count
// from 1; Column is 0 when the whole line is at fault.
type ParseError struct {
	Path   string // the file, "" when reading from a stream without a name
	Line   int
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	where := "line " + fmt.Sprint(e.Line)
	if e.Path != "" {
		where = e.Path + ":" + fmt.Sprint(e.Line)
	}
	if e.Column > 0 {
		where += ":" + fmt.Sprint(e.Column)
	}
	return "cassette " + where + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Cassette is a whole cassette in memory. It never changes after [Load] or
// [Parse] returned it, so any number of goroutines may read it at once.
type Cassette struct {
	path      string
	header    Header
	frames    *frameStore // compact: see store.go
	truncated *ParseError
}

// Load reads and parses the cassette file at path.
func Load(path string) (*Cassette, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load cassette: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a whole cassette from r; name is used in error messages.
func Parse(r io.Reader, name string) (*Cassette, error) {
	rd, err := NewReader(r, &ReaderOptions{Name: name})
	if err != nil {
		return nil, err
	}
	c := &Cassette{path: name, header: rd.Header(), frames: newFrameStore()}
	for {
		f, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		c.frames.add(f)
	}
	c.frames.done()
	c.truncated = rd.Truncated()
	return c, nil
}

// Path is the file the cassette was loaded from, or the name given to Parse.
func (c *Cassette) Path() string { return c.path }

// Header returns a copy of the cassette's header.
func (c *Cassette) Header() Header { return c.header.clone() }

// Len is the number of frames.
func (c *Cassette) Len() int { return c.frames.len() }

// Frame returns frame i (0-based). Its Data is shared: do not modify it.
func (c *Cassette) Frame(i int) Frame { return c.frames.frame(i) }

// All yields the frames in order with their indexes.
func (c *Cassette) All() iter.Seq2[int, Frame] {
	return func(yield func(int, Frame) bool) {
		for i := range c.frames.len() {
			if !yield(i, c.frames.frame(i)) {
				return
			}
		}
	}
}

// Truncated is the warning for a half-written last line (a recorder that
// was killed), or nil. The frames before it are all there.
func (c *Cassette) Truncated() *ParseError { return c.truncated }

// Stopped is why the recording stopped early, as its last frame says (see
// [Writer.Stop]), or "" for a recording that was not stopped.
func (c *Cassette) Stopped() string {
	if c.Len() == 0 {
		return ""
	}
	why, _ := StoppedReason(c.Frame(c.Len() - 1))
	return why
}

// Save writes the cassette to path atomically: a temporary file in the same
// directory, fsync, rename. A half-written last line of the original is not
// carried over. opts may redact or elide as it is written.
func (c *Cassette) Save(path string, opts *WriterOptions) error {
	return writeFileAtomic(path, func(f io.Writer) error {
		w, err := NewWriter(f, c.header, opts)
		if err != nil {
			return err
		}
		for _, fr := range c.All() {
			if err := w.WriteFrame(fr); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}
