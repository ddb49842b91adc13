package cassette

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// WriterOptions configures a [Writer]. The zero value (or nil) writes
// every frame as it is.
type WriterOptions struct {
	// Redactor scrubs secret values from every line, header included,
	// before it is written. Nil writes lines as they are.
	Redactor *Redactor

	// ElideAudio replaces base64 audio with elision markers that keep
	// format and byte count (see the package doc). False keeps audio
	// inline, losslessly.
	ElideAudio bool

	// FlushSize is how many buffered bytes make WriteFrame flush by
	// itself. 0 means 64 KiB. Flush writes everything buffered at once.
	FlushSize int
}

// Writer writes a cassette. Frames are formatted into a buffer of
// complete lines; Flush hands the buffer to the underlying writer in one
// Write call, so a line is never split across calls and a crash leaves at
// most a half-written last line. A Writer is not safe for concurrent use.
type Writer struct {
	w         io.Writer
	redactor  *Redactor
	elide     bool
	flushSize int
	buf       []byte // complete lines not yet written
	elided    []byte // scratch: an event with its audio elided
	formats   audioFormats
	err       error // sticky: the first write error

	// For Stop: where whole lines end in what was written.
	lineEnds []int   // ends of the lines in buf
	written  int64   // bytes of whole lines the underlying writer took
	recent   []int64 // offsets of the last few line ends written, header's first
	partial  bool    // a failed write left part of a line after them
}

// NewWriter writes the header line h to w and flushes it. h.Version 0
// means Version; any other version is an error wrapping ErrUnknownVersion.
func NewWriter(w io.Writer, h Header, opts *WriterOptions) (*Writer, error) {
	var o WriterOptions
	if opts != nil {
		o = *opts
	}
	if o.FlushSize <= 0 {
		o.FlushSize = 64 << 10
	}
	switch h.Version {
	case 0:
		h.Version = Version
	case Version:
	default:
		return nil, fmt.Errorf("write cassette: %w %d (this build writes version %d)", ErrUnknownVersion, h.Version, Version)
	}
	if !o.Redactor.empty() {
		h = o.Redactor.redactHeader(h)
	}
	var hb bytes.Buffer
	enc := json.NewEncoder(&hb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return nil, fmt.Errorf("write cassette header: %w", err)
	}
	cw := &Writer{w: w, redactor: o.Redactor, elide: o.ElideAudio, flushSize: o.FlushSize}
	cw.buf = append(cw.buf, hb.Bytes()...)
	cw.lineEnds = append(cw.lineEnds, len(cw.buf))
	if err := cw.Flush(); err != nil {
		return nil, err
	}
	return cw, nil
}

// WriteFrame adds f to the buffer, flushing when the buffer is full. The
// writer does not keep f.Data after it returns.
func (w *Writer) WriteFrame(f Frame) error {
	if w.err != nil {
		return w.err
	}
	if !f.Dir.Valid() {
		return fmt.Errorf("write cassette frame: direction %q is not client or server", f.Dir)
	}
	if f.Kind < KindText || f.Kind > KindAudio {
		return fmt.Errorf("write cassette frame: invalid kind %d", f.Kind)
	}
	data := f.Data
	if w.elide && f.Kind == KindText {
		data = w.elideAudio(f.Dir, data)
	}
	if !w.redactor.empty() {
		// Values are scrubbed before they are formatted, so the line's own
		// syntax is never touched; an event whose JSON a replacement broke
		// (a secret standing as a number, say) is then kept as text.
		data = w.redactor.Redact(data)
		f.Reason = w.redactor.RedactString(f.Reason)
		f.Header = w.redactor.redactMap(f.Header)
	}
	asEvent := f.Kind == KindText && validLine(data)
	if w.elide && f.Kind == KindAudio {
		// An audio frame keeps its RTP timing and size; its PCM reads
		// back as silence.
		f.Reason, data = Elision{Format: "pcm16", Bytes: len(data)}.String(), nil
	}
	w.buf = appendFrame(w.buf, &f, data, asEvent)
	w.lineEnds = append(w.lineEnds, len(w.buf))
	if len(w.buf) >= w.flushSize {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffered lines to the underlying writer in one call.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.w.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.wrote(n)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("write cassette: %w", err)
	}
	return w.err
}

// Buffered is the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// elideAudio returns data with its audio replaced by a marker, or data
// itself. It also follows the session's audio formats.
func (w *Writer) elideAudio(dir Direction, data []byte) []byte {
	h, err := realtime.Peek(data)
	if err != nil {
		return data
	}
	field, format := audioField(dir, h.Type, &w.formats)
	if field == "" {
		w.formats.observe(dir, h.Type, data)
		return data
	}
	out, ok := elideField(w.elided[:0], data, field, format)
	if !ok {
		return data
	}
	w.elided = out
	return out
}

// appendFrame appends f as a cassette line, data standing for f.Data.
func appendFrame(dst []byte, f *Frame, data []byte, asEvent bool) []byte {
	dst = append(dst, `{"t":`...)
	dst = appendSeconds(dst, f.T)
	dst = append(dst, `,"dir":"`...)
	dst = append(dst, f.Dir...)
	dst = append(dst, '"')
	switch f.Kind {
	case KindText:
		if asEvent {
			dst = append(dst, `,"event":`...)
			dst = append(dst, data...)
		} else {
			dst = append(dst, `,"text":`...)
			dst = realtime.AppendJSONString(dst, string(data))
		}
	case KindBinary:
		dst = append(dst, `,"binary":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, data)
		dst = append(dst, '"')
	case KindClose:
		dst = append(dst, `,"close":{"code":`...)
		dst = strconv.AppendInt(dst, int64(f.Code), 10)
		dst = append(dst, `,"reason":`...)
		dst = realtime.AppendJSONString(dst, f.Reason)
		dst = append(dst, '}')
	case KindError:
		dst = append(dst, `,"error":`...)
		dst = realtime.AppendJSONString(dst, f.Reason)
	case KindHTTP:
		dst = append(dst, `,"http":{"status":`...)
		dst = strconv.AppendInt(dst, int64(f.Code), 10)
		if len(f.Header) > 0 {
			dst = append(dst, `,"headers":{`...)
			keys := make([]string, 0, len(f.Header))
			for k := range f.Header {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for i, k := range keys {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = realtime.AppendJSONString(dst, k)
				dst = append(dst, ':')
				dst = realtime.AppendJSONString(dst, f.Header[k])
			}
			dst = append(dst, '}')
		}
		dst = append(dst, `,"body":`...)
		dst = realtime.AppendJSONString(dst, string(data))
		dst = append(dst, '}')
	case KindDropped:
		dst = append(dst, `,"dropped":`...)
		dst = strconv.AppendInt(dst, int64(f.Code), 10)
	case KindFault:
		dst = append(dst, `,"fault":`...)
		dst = realtime.AppendJSONString(dst, f.Reason)
	case KindAudio:
		dst = append(dst, `,"audio":{"rtp_ts":`...)
		dst = strconv.AppendUint(dst, uint64(f.RTP.Timestamp), 10)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, uint64(f.RTP.Seq), 10)
		dst = append(dst, `,"pcm":"`...)
		if f.Reason != "" {
			dst = append(dst, f.Reason...) // an elision marker
		} else {
			dst = base64.StdEncoding.AppendEncode(dst, data)
		}
		dst = append(dst, `"}`...)
	}
	return append(dst, "}\n"...)
}

// appendSeconds appends d as seconds with exactly six decimals.
func appendSeconds(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	us := int64((d + time.Microsecond/2) / time.Microsecond)
	dst = strconv.AppendInt(dst, us/1e6, 10)
	frac := us % 1e6
	dst = append(dst, '.')
	for div := int64(1e5); div > 0; div /= 10 {
		dst = append(dst, byte('0'+frac/div%10))
	}
	return dst
}
