package view

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/rtmock/rtmock/cassette"
)

// Session is a recorded session to draw: a parsed cassette, where its
// frames sit in the file, and what else is known about it.
type Session struct {
	Name     string // what the page calls it; default: the file's base name
	Source   string // the file it came from, "" for one made in memory
	Header   cassette.Header
	Frames   []cassette.Frame
	Lines    []int     // the file line of each frame; nil when unknown
	Findings []Finding // conformance findings about it
	Notes    []string  // warnings to show with it
}

// ParseSession reads a cassette from data; name is the file it came from,
// used in errors and as the session's name. A file of frame lines without
// the header line is read too, as "rtmock conformance check" does.
func ParseSession(data []byte, name string) (*Session, error) {
	headerless := !bytes.Contains(firstLine(data), []byte(`"rtcassette"`))
	src := data
	if headerless {
		src = append([]byte(`{"rtcassette":1}`+"\n"), data...)
	}
	c, err := cassette.Parse(bytes.NewReader(src), name)
	if err != nil {
		if pe := (*cassette.ParseError)(nil); errors.As(err, &pe) && headerless && pe.Line > 1 {
			pe.Line-- // count lines as the file has them
		}
		return nil, fmt.Errorf("view: %w", err)
	}
	s := &Session{Name: filepath.Base(name), Source: name, Header: c.Header()}
	for _, f := range c.All() {
		s.Frames = append(s.Frames, f)
	}
	s.scanLines(data, headerless)
	if tr := c.Truncated(); tr != nil {
		s.Notes = append(s.Notes, tr.Error())
	}
	return s, nil
}

// scanLines numbers the frames' lines as the cassette reader counts them
// (blank lines are skipped).
func (s *Session) scanLines(data []byte, headerless bool) {
	s.Lines = make([]int, 0, len(s.Frames))
	line := 0
	if !headerless {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data, line = data[i+1:], 1
		} else {
			data = nil
		}
	}
	for len(data) > 0 && len(s.Lines) < len(s.Frames) {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line++
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		s.Lines = append(s.Lines, line)
	}
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
