package cassette

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// utf8BOM is the byte order mark some editors start UTF-8 files with.
const utf8BOM = "\uFEFF"

// ReaderOptions configures a [Reader]. The zero value (or nil) is ready to
// use.
type ReaderOptions struct {
	// Name is the file name used in errors ("cassette NAME:12:5: …").
	// Empty: errors say "cassette line 12:5: …".
	Name string

	// MaxLine is the longest line accepted, in bytes; a longer line is an
	// error. 0 means DefaultMaxLine. Memory use is bounded by it.
	MaxLine int
}

// Reader reads a cassette frame by frame. Its memory use is bounded by the
// longest line.
type Reader struct {
	br        *bufio.Reader
	name      string
	maxLine   int
	line      int    // number of the last line read
	long      []byte // a line that did not fit the bufio buffer
	data      []byte // decoded payload of the last frame
	header    Header
	truncated *ParseError
	eof       bool
}

// NewReader reads the header from r and returns a Reader positioned at the
// first frame. A bad or missing header is a *ParseError; an unknown version
// is one that wraps ErrUnknownVersion.
func NewReader(r io.Reader, opts *ReaderOptions) (*Reader, error) {
	var o ReaderOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxLine <= 0 {
		o.MaxLine = DefaultMaxLine
	}
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), name: o.Name, maxLine: o.MaxLine}
	line, _, err := rd.readLine()
	if err == io.EOF {
		return nil, rd.errorf(1, 0, "empty file, expected a header line")
	}
	if err != nil {
		return nil, err
	}
	// Editors on some systems start UTF-8 files with a byte order mark;
	// it says nothing in UTF-8 and is skipped. Columns count after it.
	line = bytes.TrimPrefix(line, []byte(utf8BOM))
	if err := rd.parseHeader(line); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header is the cassette's header.
func (r *Reader) Header() Header { return r.header.clone() }

// Next returns the next frame, or io.EOF after the last one. The frame's
// Data is valid until the following call to Next.
//
// A line that cannot be parsed is a *ParseError, except a last line without
// its line break (a recording cut short): that one ends the cassette with
// io.EOF and is reported by [Reader.Truncated].
func (r *Reader) Next() (Frame, error) {
	for {
		if r.eof {
			return Frame{}, io.EOF
		}
		line, complete, err := r.readLine()
		if err == io.EOF {
			r.eof = true
			return Frame{}, io.EOF
		}
		if err != nil {
			return Frame{}, err
		}
		if skipSpace(line, 0) == len(line) {
			continue // blank lines are allowed
		}
		f, err := r.parseFrame(line)
		if err != nil {
			if !complete {
				var pe *ParseError
				errors.As(err, &pe)
				pe.Err = fmt.Errorf("truncated last line (the recording was cut short): %w", pe.Err)
				r.truncated = pe
				r.eof = true
				return Frame{}, io.EOF
			}
			return Frame{}, err
		}
		return f, nil
	}
}

// Truncated is the warning for a half-written last line once Next has
// returned io.EOF, or nil.
func (r *Reader) Truncated() *ParseError { return r.truncated }

// readLine returns the next line (with its "\n" when complete) and whether
// it ended with a line break.
func (r *Reader) readLine() ([]byte, bool, error) {
	r.long = r.long[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.long)+len(chunk) > r.maxLine {
			r.line++
			return nil, false, r.errorf(r.line, 0, "line longer than %d bytes", r.maxLine)
		}
		switch err {
		case nil:
			r.line++
			if len(r.long) == 0 {
				return chunk, true, nil
			}
			r.long = append(r.long, chunk...)
			return r.long, true, nil
		case bufio.ErrBufferFull:
			r.long = append(r.long, chunk...)
		case io.EOF:
			r.long = append(r.long, chunk...)
			if len(r.long) == 0 {
				return nil, false, io.EOF
			}
			r.line++
			return r.long, false, nil
		default:
			if r.name == "" {
				return nil, false, fmt.Errorf("read cassette: %w", err)
			}
			return nil, false, fmt.Errorf("read cassette %s: %w", r.name, err)
		}
	}
}

func (r *Reader) errorf(line, col int, format string, args ...any) *ParseError {
	return &ParseError{Path: r.name, Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

// errAtOffset turns a scanner error into a ParseError with its column.
func (r *Reader) errAtOffset(err error) *ParseError {
	var se *scanError
	if errors.As(err, &se) {
		return &ParseError{Path: r.name, Line: r.line, Column: se.Offset + 1, Err: errors.New(se.Msg)}
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe
	}
	return &ParseError{Path: r.name, Line: r.line, Err: err}
}

func (r *Reader) parseHeader(line []byte) error {
	var probe struct {
		Version *json.Number `json:"rtcassette"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return r.jsonError(line, "bad header", err)
	}
	if probe.Version == nil {
		return r.errorf(1, skipSpace(line, 0)+1, `not a cassette: the header has no "rtcassette" version`)
	}
	if v, err := probe.Version.Int64(); err != nil || v != Version {
		return &ParseError{Path: r.name, Line: 1, Column: columnOf(line, "rtcassette"),
			Err: fmt.Errorf("%w %s (this build reads version %d)", ErrUnknownVersion, probe.Version, Version)}
	}
	if err := json.Unmarshal(line, &r.header); err != nil {
		return r.jsonError(line, "bad header", err)
	}
	return nil
}

// jsonError places an encoding/json error in the line.
func (r *Reader) jsonError(line []byte, what string, err error) *ParseError {
	col := 0
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		col = int(se.Offset)
	case errors.As(err, &te):
		col = columnOf(line, te.Field)
	}
	return &ParseError{Path: r.name, Line: r.line, Column: col, Err: fmt.Errorf("%s: %w", what, err)}
}

// columnOf is the 1-based column of the member named key, or 0.
func columnOf(line []byte, key string) int {
	if key == "" {
		return 0
	}
	q := strconv.Quote(key)
	for i := 0; i+len(q) <= len(line); i++ {
		if string(line[i:i+len(q)]) == q {
			return i + 1
		}
	}
	return 0
}

type closeJSON struct {
	Code   *int   `json:"code"`
	Reason string `json:"reason"`
}

type audioJSON struct {
	TS  *uint32 `json:"rtp_ts"`
	Seq *uint16 `json:"seq"`
	PCM *string `json:"pcm"`
}

type httpJSON struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// frameParse is the state of parseFrame: the frame so far and where.
type frameParse struct {
	r     *Reader
	line  []byte
	f     Frame
	haveT bool
}

// memberParsers decode the members of a frame line; others are ignored.
var memberParsers = map[string]func(p *frameParse, v []byte, at int) error{
	"t":       (*frameParse).time,
	"dir":     (*frameParse).dir,
	"event":   (*frameParse).event,
	"text":    (*frameParse).text,
	"binary":  (*frameParse).binary,
	"close":   (*frameParse).close,
	"error":   (*frameParse).error,
	"http":    (*frameParse).http,
	"dropped": (*frameParse).dropped,
	"fault":   (*frameParse).fault,
	"audio":   (*frameParse).audio,
}

// parseFrame decodes one frame line.
func (r *Reader) parseFrame(line []byte) (Frame, error) {
	start := skipSpace(line, 0)
	if start >= len(line) || line[start] != '{' {
		return Frame{}, r.errorf(r.line, start+1, "a frame must be a JSON object")
	}
	p := &frameParse{r: r, line: line}
	sc := scanner{B: line}
	end, err := sc.Object(start, func(key []byte, s, e int) error {
		if parse := memberParsers[string(key)]; parse != nil {
			return parse(p, line[s:e], s)
		}
		return nil
	})
	if err != nil {
		return Frame{}, r.errAtOffset(err)
	}
	if i := skipSpace(line, end); i != len(line) {
		return Frame{}, r.errorf(r.line, i+1, "unexpected data after the frame")
	}
	f := p.f
	switch {
	case !p.haveT:
		return f, r.errorf(r.line, start+1, `the frame has no time "t"`)
	case f.Dir == "":
		return f, r.errorf(r.line, start+1, `the frame has no direction "dir"`)
	case f.Kind == 0:
		return f, r.errorf(r.line, start+1, "the frame has none of event, text, binary, close, error, http, dropped, fault, audio")
	}
	if f.Kind == KindText {
		if h, err := realtime.Peek(f.Data); err == nil {
			f.Type = h.Type
		}
	}
	return f, nil
}

// maxSeconds is the largest "t": time.Duration's range, about 292 years.
const maxSeconds = float64(math.MaxInt64 / int64(time.Second))

func (p *frameParse) time(v []byte, at int) error {
	t, err := strconv.ParseFloat(string(v), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(t):
		return p.r.errorf(p.r.line, at+1, "t must be a number of seconds, not %s", v)
	case t < 0:
		return p.r.errorf(p.r.line, at+1, "t must be >= 0 seconds, not %s", v)
	case t > maxSeconds:
		return p.r.errorf(p.r.line, at+1, "t is %s seconds, more than the largest time a cassette can hold (%.0f seconds, about 292 years)", v, maxSeconds)
	}
	p.f.T = time.Duration(math.Round(t*1e6)) * time.Microsecond
	p.haveT = true
	return nil
}

func (p *frameParse) dir(v []byte, at int) error {
	var small [16]byte
	d, err := p.str(small[:0], v, at, "dir")
	if err != nil {
		return err
	}
	p.f.Dir = Direction(d)
	if !p.f.Dir.Valid() {
		return p.r.errorf(p.r.line, at+1, "dir must be \"client\" or \"server\", not %s", v)
	}
	return nil
}

// setKind sets the frame's kind from the member at at, once.
func (p *frameParse) setKind(k Kind, at int) error {
	if p.f.Kind != 0 {
		return p.r.errorf(p.r.line, at+1, "a frame has exactly one of event, text, binary, close, error, http, dropped, fault, audio; this one has %s and %s", p.f.Kind, k)
	}
	p.f.Kind = k
	return nil
}

// str decodes a string member into dst.
func (p *frameParse) str(dst, v []byte, at int, what string) ([]byte, error) {
	if v[0] != '"' {
		return nil, p.r.errorf(p.r.line, at+1, "%s must be a string", what)
	}
	out, err := appendUnquoted(dst, v)
	if err != nil {
		return nil, p.r.errorf(p.r.line, at+1, "bad string in %s", what)
	}
	return out, nil
}

func (p *frameParse) event(v []byte, at int) error {
	if err := p.setKind(KindText, at); err != nil {
		return err
	}
	p.f.Data = v
	return nil
}

func (p *frameParse) text(v []byte, at int) error {
	if err := p.setKind(KindText, at); err != nil {
		return err
	}
	d, err := p.str(p.r.data[:0], v, at, "text")
	if err != nil {
		return err
	}
	p.r.data, p.f.Data = d, d
	return nil
}

func (p *frameParse) binary(v []byte, at int) error {
	if err := p.setKind(KindBinary, at); err != nil {
		return err
	}
	if v[0] != '"' {
		return p.r.errorf(p.r.line, at+1, "binary must be a base64 string")
	}
	d, err := base64.StdEncoding.AppendDecode(p.r.data[:0], v[1:len(v)-1])
	if err != nil {
		return p.r.errorf(p.r.line, at+1, "binary: %v", err)
	}
	p.r.data, p.f.Data = d, d
	return nil
}

func (p *frameParse) close(v []byte, at int) error {
	if err := p.setKind(KindClose, at); err != nil {
		return err
	}
	var c closeJSON
	if err := json.Unmarshal(v, &c); err != nil || c.Code == nil {
		return p.r.errorf(p.r.line, at+1, `close must be {"code":N,"reason":"…"}`)
	}
	p.f.Code, p.f.Reason = *c.Code, c.Reason
	return nil
}

func (p *frameParse) audio(v []byte, at int) error {
	if err := p.setKind(KindAudio, at); err != nil {
		return err
	}
	var a audioJSON
	if err := json.Unmarshal(v, &a); err != nil || a.TS == nil || a.Seq == nil || a.PCM == nil {
		return p.r.errorf(p.r.line, at+1, `audio must be {"rtp_ts":N,"seq":N,"pcm":"<base64 PCM16>"}`)
	}
	pcm, ok := audioPCM(*a.PCM)
	if !ok {
		return p.r.errorf(p.r.line, at+1, `audio must be {"rtp_ts":N,"seq":N,"pcm":"<base64 PCM16>"}`)
	}
	p.f.RTP, p.f.Data = RTPStamp{Timestamp: *a.TS, Seq: *a.Seq}, pcm
	return nil
}

// maxElidedPacket bounds the silence an elided audio frame reads back as:
// far more than any RTP packet holds.
const maxElidedPacket = 1 << 20

// audioPCM decodes an audio frame's pcm: base64 PCM16, or an elision
// marker, which reads back as silence of the elided size.
func audioPCM(s string) ([]byte, bool) {
	if e, ok := ParseElision(s); ok {
		if e.Bytes%2 != 0 || e.Bytes > maxElidedPacket {
			return nil, false
		}
		return make([]byte, e.Bytes), true
	}
	pcm, err := base64.StdEncoding.DecodeString(s)
	return pcm, err == nil && len(pcm)%2 == 0
}

func (p *frameParse) fault(v []byte, at int) error {
	if err := p.setKind(KindFault, at); err != nil {
		return err
	}
	d, err := p.str(nil, v, at, "fault")
	if err != nil {
		return err
	}
	p.f.Reason = string(d)
	return nil
}

func (p *frameParse) error(v []byte, at int) error {
	if err := p.setKind(KindError, at); err != nil {
		return err
	}
	d, err := p.str(nil, v, at, "error")
	if err != nil {
		return err
	}
	p.f.Reason = string(d)
	return nil
}

func (p *frameParse) http(v []byte, at int) error {
	if err := p.setKind(KindHTTP, at); err != nil {
		return err
	}
	var h httpJSON
	if err := json.Unmarshal(v, &h); err != nil || h.Status == 0 {
		return p.r.errorf(p.r.line, at+1, `http must be {"status":N,"headers":{…},"body":"…"}`)
	}
	p.f.Code, p.f.Header, p.f.Data = h.Status, h.Headers, []byte(h.Body)
	return nil
}

func (p *frameParse) dropped(v []byte, at int) error {
	if err := p.setKind(KindDropped, at); err != nil {
		return err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return p.r.errorf(p.r.line, at+1, "dropped must be a count >= 0, not %s", v)
	}
	p.f.Code = n
	return nil
}
