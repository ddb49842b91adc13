package mockserver

import (
	"io"
	"time"

	"github.com/rtmock/rtmock/cassette"

	"github.com/rtmock/rtmock/realtime"
)

// Direction says who sent a frame.
type Direction string

// Directions.
const (
	FromClient Direction = "client"
	FromServer Direction = "server"
)

// Frame is one WebSocket message of a session as the server saw it.
type Frame struct {
	At     time.Duration // since the upgrade, on the server's clock
	Dir    Direction
	Type   string // the event type ("" for binary or malformed frames)
	Data   []byte // the text frame exactly as sent or received
	Binary bool
}

// Transcript is the record of one session.
type Transcript struct {
	ID        int64
	SessionID string
	Provider  Provider
	Dialect   realtime.Dialect
	Path      string
	Query     map[string]string
	Started   time.Time
	Ended     time.Time
	// Frames in the order the server sent or received them (only with
	// Options.KeepTranscripts).
	Frames []Frame
	// CloseCode and CloseReason of the close that ended the session, and who
	// started it.
	CloseCode   int
	CloseReason string
	ClosedBy    Direction
	// Errors counts error events the server sent.
	Errors int
	// Dropped counts server events a drop fault swallowed.
	Dropped int
	// Mismatches lists, for a replayed session, every way the client
	// differed from the recording, each naming the cassette line.
	Mismatches []string
}

// WriteCassette writes the transcript as a cassette, as rtrecord would have
// recorded the session (Options.KeepTranscripts must have been on for it to
// hold frames). opts may redact or elide audio.
func (t *Transcript) WriteCassette(w io.Writer, opts *cassette.WriterOptions) error {
	cw, err := cassette.NewWriter(w, cassette.Header{
		Created: t.Started, ID: t.SessionID, Dialect: t.Dialect, Provider: string(t.Provider),
		Endpoint: cassette.Endpoint{Path: t.Path, Query: t.Query}, Recorder: "rtmock transcript",
	}, opts)
	if err != nil {
		return err
	}
	for _, f := range t.Frames {
		cf := cassette.Frame{T: f.At, Dir: cassette.Server, Kind: cassette.KindText, Data: f.Data}
		if f.Dir == FromClient {
			cf.Dir = cassette.Client
		}
		if f.Binary {
			cf.Kind = cassette.KindBinary
		}
		if err := cw.WriteFrame(cf); err != nil {
			return err
		}
	}
	if t.CloseCode != 0 {
		dir := cassette.Server
		if t.ClosedBy == FromClient {
			dir = cassette.Client
		}
		code := t.CloseCode
		if code < 0 {
			code = 1006
		}
		end := t.Ended.Sub(t.Started)
		if n := len(t.Frames); n > 0 && end < t.Frames[n-1].At {
			end = t.Frames[n-1].At
		}
		if err := cw.WriteFrame(cassette.Frame{T: end, Dir: dir, Kind: cassette.KindClose, Code: code, Reason: t.CloseReason}); err != nil {
			return err
		}
	}
	return cw.Flush()
}
