package mockserver

import (
	"time"

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
