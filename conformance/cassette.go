package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// LoadSession reads a recorded session from a cassette file (the rtrecord
// format: a header line, then one frame per line) for offline judging with
// [Check]. A file of frame lines without the header line is accepted too;
// its dialect is then told from the server's event names.
func LoadSession(path string) (*Session, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	defer f.Close()
	return ReadSession(f, path)
}

// ReadSession reads a recorded session from r; name is used in errors.
func ReadSession(r io.Reader, name string) (*Session, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := br.Peek(512)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read session %s: %w", name, err)
	}
	var src io.Reader = br
	headerless := !bytes.Contains(firstLine(first), []byte(`"rtcassette"`))
	if headerless {
		// A bare frame log: give it the header the cassette reader wants.
		src = io.MultiReader(bytes.NewReader([]byte(`{"rtcassette":1}`+"\n")), br)
	}
	c, err := cassette.Parse(src, name)
	if err != nil {
		var pe *cassette.ParseError
		if headerless && errors.As(err, &pe) && pe.Line > 1 {
			pe.Line-- // count lines as the file has them
		}
		return nil, fmt.Errorf("read session: %w", err)
	}
	return fromCassette(c), nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// fromCassette converts a loaded cassette: every frame is kept (the
// recorder's dropped-frame marks and a refused upgrade too), and the first
// close frame (or connection error) also becomes the close.
func fromCassette(c *cassette.Cassette) *Session {
	h := c.Header()
	s := &Session{
		ID:           h.ID,
		Dialect:      h.Dialect,
		Provider:     h.Provider,
		Path:         h.Endpoint.Path,
		Query:        h.Endpoint.Query,
		Header:       h.Endpoint.Header,
		Subprotocols: h.Endpoint.Subprotocols,
		Transport:    h.Transport,
		Frames:       make([]cassette.Frame, 0, c.Len()),
	}
	for _, f := range c.All() {
		s.Frames = append(s.Frames, f)
		if f.Kind == cassette.KindAudio {
			s.Transport = "webrtc" // only a WebRTC call's record has audio frames
		}
		if s.Close.By != "" {
			continue
		}
		switch f.Kind {
		case cassette.KindClose:
			s.Close = Close{By: f.Dir, Code: f.Code, Reason: f.Reason, At: f.T}
		case cassette.KindError:
			s.Close = Close{By: f.Dir, Code: 1006, Reason: f.Reason, At: f.T}
		}
	}
	if !s.Dialect.Valid() {
		s.Dialect = guessDialect(s.Frames)
	}
	if s.ID == "" {
		s.ID = sessionIDOf(s.Frames)
	}
	return s
}

// WriteSession writes s as a cassette: a header line, then one line per
// frame ({"t":…,"dir":…,"event":{…}}) and the close. [LoadSession] reads it
// back, so a failing run's transcript can be judged again offline.
func WriteSession(w io.Writer, s *Session) error {
	h := cassette.Header{
		ID:        s.ID,
		Dialect:   s.Dialect,
		Provider:  s.Provider,
		Endpoint:  cassette.Endpoint{Path: s.Path, Query: s.Query, Header: s.Header, Subprotocols: s.Subprotocols},
		Recorder:  "rtmock conformance",
		Transport: s.Transport,
	}
	if s.Run != nil {
		h.Created = time.Now().UTC().Truncate(time.Second)
	}
	cw, err := cassette.NewWriter(w, h, nil)
	if err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	closed := false
	for _, f := range s.Frames {
		closed = closed || f.Kind == cassette.KindClose || f.Kind == cassette.KindError
		if err := cw.WriteFrame(f); err != nil {
			return fmt.Errorf("write session: %w", err)
		}
	}
	if s.Close.By != "" && !closed {
		fr := cassette.Frame{T: s.Close.At, Dir: s.Close.By, Kind: cassette.KindClose, Code: s.Close.Code, Reason: s.Close.Reason}
		if s.Close.Code == 1006 {
			fr.Kind, fr.Code = cassette.KindError, 0
			fr.Reason = "connection closed without a close frame"
		}
		if err := cw.WriteFrame(fr); err != nil {
			return fmt.Errorf("write session: %w", err)
		}
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	return nil
}
