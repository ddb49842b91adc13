package mockserver

import (
	"io"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// Transcript is the record of one session.
type Transcript struct {
	ID        int64  // the session's number in its Handler (SessionInfo.N)
	SessionID string // sess_…
	Provider  Provider
	Dialect   realtime.Dialect
	Transport string // "webrtc" for a WebRTC call, "" for a WebSocket
	Path      string
	Query     map[string]string
	Started   time.Time
	Ended     time.Time
	// Frames holds every frame in the order the server sent or received
	// it, with its time since the upgrade: text and binary frames, frames
	// a fault dropped (KindDropped), faults that fired (KindFault) and the
	// close (KindClose, or KindError when the connection dropped without
	// one). Only with Options.KeepTranscripts.
	Frames []cassette.Frame
	// CloseCode and CloseReason of the close that ended the session, and who
	// started it. A connection that dropped without a close frame has code
	// 1006.
	CloseCode   int
	CloseReason string
	ClosedBy    cassette.Direction
	// Errors counts error events the server sent.
	Errors int
	// Dropped counts server events a drop fault swallowed.
	Dropped int
	// SlowConsumer is set when the session was cut because the client did
	// not read what the server sent for Options.WriteTimeout.
	SlowConsumer bool
	// Mismatches lists, for a replayed session, every way the client
	// differed from the recording, each naming the cassette line.
	Mismatches []string
}

// WriteCassette writes the transcript as a cassette, as rtrecord would have
// recorded the session (its frames are there only with
// Options.KeepTranscripts). opts may redact or elide audio.
func (t *Transcript) WriteCassette(w io.Writer, opts *cassette.WriterOptions) error {
	cw, err := cassette.NewWriter(w, cassette.Header{
		Created: t.Started, ID: t.SessionID, Dialect: t.Dialect, Provider: string(t.Provider),
		Endpoint: cassette.Endpoint{Path: t.Path, Query: t.Query}, Recorder: "rtmock transcript", Transport: t.Transport,
	}, opts)
	if err != nil {
		return err
	}
	for _, f := range t.Frames {
		if err := cw.WriteFrame(f); err != nil {
			return err
		}
	}
	return cw.Flush()
}
