package recorder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// cassetteFile is what a session writes its cassette to: an *os.File, or
// in tests a file system that fails.
type cassetteFile interface {
	io.Writer
	Truncate(size int64) error // cassette.Writer.Stop cuts a half-written line with it
	Sync() error
	Close() error
}

// createOSFile creates path exclusively, for appending, readable by its
// owner only (cassettes hold conversations).
func createOSFile(path string) (cassetteFile, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
}

// checkDir makes sure cassettes can be created in dir, so that a
// directory that cannot be written to fails at start, not every session.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cassette directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("cassette directory %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".rtrecord-probe-*")
	if err != nil {
		return fmt.Errorf("cassette directory %s is not writable: %w", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// maxNameTries is how many names createCassette tries when the template's
// name is taken (by another recorder sharing the directory, say).
const maxNameTries = 1000

// createCassette creates the session's cassette file, empty and
// exclusively: when the template's name is taken, "-2", "-3", … go before
// the extension.
func (s *session) createCassette(created time.Time, h cassette.Header) (string, cassetteFile, error) {
	rec := s.rec
	name, err := fileName(rec.name, nameData{
		Time:       created.Format("2006-01-02T15-04-05Z"),
		ID:         s.id,
		Seq:        s.seq,
		Provider:   h.Provider,
		Dialect:    string(h.Dialect),
		Deployment: safeName(deployment(h.Endpoint.Query)),
	})
	if err != nil {
		return "", nil, err
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; i <= maxNameTries; i++ {
		path := filepath.Join(rec.opts.Dir, name)
		if i > 1 {
			path = filepath.Join(rec.opts.Dir, stem+"-"+strconv.Itoa(i)+ext)
		}
		f, err := rec.opts.createFile(path)
		if err == nil {
			rec.addCassette(path)
			return path, f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", nil, fmt.Errorf("create cassette: %w", err)
		}
	}
	return "", nil, fmt.Errorf("create cassette: %s and the %d names after it are taken", name, maxNameTries-1)
}

// closeFile syncs and closes the cassette file, or removes it when the
// session never reached the upstream or could not write even the header.
func (s *session) closeFile(f cassetteFile) {
	s.endWriter()
	if s.discard {
		f.Close()
		os.Remove(s.path)
		s.rec.removeCassette(s.path)
		return
	}
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("session %s: close cassette: %w", s.id, err)
		s.log.Error("close cassette", "err", err)
	}
}

func (rec *Recorder) removeCassette(path string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, p := range rec.cassettes {
		if p == path {
			rec.cassettes = append(rec.cassettes[:i], rec.cassettes[i+1:]...)
			return
		}
	}
}

// safeName keeps letters, digits, '.', '-' and '_' of a client-chosen
// value that goes into a file name.
func safeName(s string) string {
	if len(s) > 64 {
		s = s[:64] // file names have a length limit; a client's value has none
	}
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return strings.Trim(string(b), ".")
}

// nameData are the fields of the cassette name template.
type nameData struct {
	Time       string
	ID         string
	Seq        int
	Provider   string
	Dialect    string
	Deployment string
}

// fileName executes the name template and checks that it gives a plain
// file name.
func fileName(t *template.Template, d nameData) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("cassette name template: %w", err)
	}
	name := b.String()
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("cassette name template gives %q, not a plain file name", clip(name, maxLogValue))
	}
	return name, nil
}
