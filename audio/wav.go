package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// WAV format tags (wFormatTag of the "fmt " chunk) that ReadWAV decodes.
const (
	WAVPCM   uint16 = 0x0001 // integer PCM, 8-bit unsigned or 16/24/32-bit signed
	WAVFloat uint16 = 0x0003 // IEEE float, 32 or 64 bits
	WAVALaw  uint16 = 0x0006 // G.711 A-law, 8 bits
	WAVMULaw uint16 = 0x0007 // G.711 µ-law, 8 bits

	wavExtensible uint16 = 0xFFFE
)

// ErrUnsupportedWAV is wrapped by ReadWAV errors for well-formed files in an
// encoding or layout this package does not decode.
var ErrUnsupportedWAV = errors.New("unsupported")

// WAVError is an error reading a WAV file. It says where: the byte offset
// of the chunk at fault (or of the RIFF header).
type WAVError struct {
	Offset int64  // byte offset in the file of the chunk header or RIFF header
	Chunk  string // the chunk's four-character id; "" for the RIFF header
	Err    error
}

func (e *WAVError) Error() string {
	if e.Chunk == "" {
		return fmt.Sprintf("read wav: at byte %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("read wav: chunk %q at byte %d: %v", e.Chunk, e.Offset, e.Err)
}

func (e *WAVError) Unwrap() error { return e.Err }

// WAV is the audio of a WAV file as stored.
type WAV struct {
	// Tag is the encoding: WAVPCM, WAVFloat, WAVALaw or WAVMULaw. For a
	// WAVE_FORMAT_EXTENSIBLE file it is the subformat.
	Tag           uint16
	Channels      int
	SampleRate    int
	BitsPerSample int // bits per sample of one channel, as stored
	// Data is the "data" chunk: frames of interleaved channels, whole
	// frames only (a trailing partial frame is dropped).
	Data []byte
}

// Frames returns the number of sample frames (samples per channel).
func (w *WAV) Frames() int {
	fs := w.frameSize()
	if fs == 0 {
		return 0
	}
	return len(w.Data) / fs
}

// Duration returns how long the audio plays.
func (w *WAV) Duration() time.Duration {
	if w.SampleRate <= 0 {
		return 0
	}
	n := int64(w.Frames())
	rate := int64(w.SampleRate)
	return time.Duration(n/rate)*time.Second + time.Duration(n%rate*int64(time.Second)/rate)
}

func (w *WAV) frameSize() int { return w.Channels * w.BitsPerSample / 8 }

// Format reports the realtime format the file is in exactly, if any: mono
// 16-bit PCM at 24 kHz is PCM16, mono µ-law or A-law at 8 kHz is
// G711ULaw or G711ALaw. Then Data can be sent as is.
func (w *WAV) Format() (Format, bool) {
	if w.Channels != 1 {
		return 0, false
	}
	switch {
	case w.Tag == WAVPCM && w.BitsPerSample == 16 && w.SampleRate == 24000:
		return PCM16, true
	case w.Tag == WAVMULaw && w.BitsPerSample == 8 && w.SampleRate == 8000:
		return G711ULaw, true
	case w.Tag == WAVALaw && w.BitsPerSample == 8 && w.SampleRate == 8000:
		return G711ALaw, true
	}
	return 0, false
}

// Mono returns the audio as 16-bit samples at w.SampleRate, averaging the
// channels. Wider samples keep their top 16 bits; 8-bit PCM is widened;
// float samples are scaled by 32768 and clipped.
func (w *WAV) Mono() []int16 {
	ch := w.Channels
	bps := w.BitsPerSample / 8
	frames := w.Frames()
	if frames == 0 || bps == 0 {
		return nil
	}
	decode := sampleDecoder(w.Tag, w.BitsPerSample)
	if decode == nil {
		return nil
	}
	out := make([]int16, frames)
	fs := ch * bps
	for i := range out {
		frame := w.Data[i*fs : (i+1)*fs]
		if ch == 1 {
			out[i] = decode(frame)
			continue
		}
		var sum int64
		for c := range ch {
			sum += int64(decode(frame[c*bps:]))
		}
		out[i] = int16(sum / int64(ch))
	}
	return out
}

// sampleDecoder returns the function decoding one sample, or nil.
func sampleDecoder(tag uint16, bits int) func([]byte) int16 {
	switch {
	case tag == WAVPCM && bits == 8:
		return func(b []byte) int16 { return int16(int(b[0])-128) << 8 }
	case tag == WAVPCM && bits == 16:
		return func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) }
	case tag == WAVPCM && bits == 24:
		return func(b []byte) int16 { return int16(uint16(b[1]) | uint16(b[2])<<8) }
	case tag == WAVPCM && bits == 32:
		return func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b[2:])) }
	case tag == WAVFloat && bits == 32:
		return func(b []byte) int16 {
			return floatToInt16(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
		}
	case tag == WAVFloat && bits == 64:
		return func(b []byte) int16 { return floatToInt16(math.Float64frombits(binary.LittleEndian.Uint64(b))) }
	case tag == WAVMULaw && bits == 8:
		return func(b []byte) int16 { return ulawDecodeTable[b[0]] }
	case tag == WAVALaw && bits == 8:
		return func(b []byte) int16 { return alawDecodeTable[b[0]] }
	}
	return nil
}

func floatToInt16(x float64) int16 {
	v := math.Round(x * 32768)
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v != v: // NaN
		return 0
	}
	return int16(v)
}

// Convert returns the audio in format f, ready to stream: channels averaged
// (see [WAV.Mono]), resampled to f's sample rate by linear interpolation
// (see [Resample]) and encoded. Convert(PCM16) turns a mono or stereo 8,
// 16, 22.05, 44.1 or 48 kHz file into 24 kHz mono PCM16. A file already in
// format f (see [WAV.Format]) is returned as a copy of its data, bit for
// bit. An invalid f gives no bytes.
func (w *WAV) Convert(f Format) []byte {
	if g, ok := w.Format(); ok && g == f {
		return bytes.Clone(w.Data)
	}
	s := Resample(w.Mono(), w.SampleRate, f.SampleRate())
	return AppendEncoded(make([]byte, 0, len(s)*f.BytesPerSample()), f, s)
}

// Resample converts samples from one sample rate to another by linear
// interpolation between neighbouring samples. The result has
// ⌈len(src)·to/from⌉ samples, so durations are kept; output samples that
// fall after the last input sample repeat it. There is no
// anti-aliasing filter: downsampling folds content above the new Nyquist
// frequency back, which is harmless for speech fed to a VAD or a speech
// model but not hi-fi. It returns nil if either rate is not positive.
func Resample(src []int16, from, to int) []int16 {
	if from <= 0 || to <= 0 || len(src) == 0 {
		return nil
	}
	if from == to {
		return append([]int16(nil), src...)
	}
	n := int64(len(src))
	outN := (n*int64(to) + int64(from) - 1) / int64(from)
	out := make([]int16, outN)
	f, t := int64(from), int64(to)
	for j := range out {
		// Output sample j is at input position j·from/to = i + r/to.
		pos := int64(j) * f
		i := pos / t
		r := pos % t
		a := int64(src[i])
		b := a
		if i+1 < n {
			b = int64(src[i+1])
		}
		v := a*(t-r) + b*r // scaled by t
		if v >= 0 {
			v = (v + t/2) / t
		} else {
			v = -((-v + t/2) / t)
		}
		out[j] = int16(v)
	}
	return out
}

// ReadWAV reads a RIFF WAVE file: the "fmt " chunk, then the "data" chunk;
// other chunks (LIST, fact, …) are skipped and reading stops after the
// data. It decodes PCM (8, 16, 24, 32 bits), IEEE float (32, 64 bits),
// µ-law and A-law, any number of channels, at 1 to 768 kHz, also when
// written as WAVE_FORMAT_EXTENSIBLE. The RIFF size field is not checked, and
// a data size of 0xFFFFFFFF (written by streaming encoders) means "until the
// end of the file". Errors are *WAVError values saying which chunk is at
// fault; errors for valid but undecodable files wrap [ErrUnsupportedWAV].
func ReadWAV(r io.Reader) (*WAV, error) {
	cr := &countingReader{r: r}
	var hdr [12]byte
	if n, err := io.ReadFull(cr, hdr[:]); err != nil {
		return nil, headerErr(err, n)
	}
	switch string(hdr[:4]) {
	case "RIFF":
	case "RF64":
		return nil, &WAVError{Err: fmt.Errorf("%w: RF64 (64-bit RIFF) files", ErrUnsupportedWAV)}
	case "RIFX":
		return nil, &WAVError{Err: fmt.Errorf("%w: big-endian RIFX files", ErrUnsupportedWAV)}
	default:
		return nil, &WAVError{Err: fmt.Errorf("not a RIFF file: starts with %q, want \"RIFF\"", hdr[:4])}
	}
	if string(hdr[8:12]) != "WAVE" {
		return nil, &WAVError{Err: fmt.Errorf("RIFF form type %q, want \"WAVE\"", hdr[8:12])}
	}

	var w *WAV
	for {
		off := cr.n
		var ch [8]byte
		n, err := io.ReadFull(cr, ch[:])
		if err == io.EOF {
			if w == nil {
				return nil, &WAVError{Offset: off, Err: errors.New("file ends without a \"fmt \" chunk")}
			}
			return nil, &WAVError{Offset: off, Err: errors.New("file ends without a \"data\" chunk")}
		}
		if err != nil {
			return nil, &WAVError{Offset: off, Err: fmt.Errorf("truncated chunk header: %d of 8 bytes: %w", n, unexpected(err))}
		}
		id := string(ch[:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		fail := func(err error) (*WAV, error) {
			return nil, &WAVError{Offset: off, Chunk: id, Err: err}
		}
		switch id {
		case "fmt ":
			if w != nil {
				return fail(errors.New("second format chunk"))
			}
			if size < 16 {
				return fail(fmt.Errorf("size %d too small for a format chunk (need 16)", size))
			}
			if size > 1<<16 {
				return fail(fmt.Errorf("size %d too large for a format chunk", size))
			}
			body := make([]byte, size+size%2)
			if n, err := io.ReadFull(cr, body[:size]); err != nil {
				return fail(fmt.Errorf("truncated: %d of %d bytes: %w", n, size, unexpected(err)))
			}
			if size%2 == 1 {
				// The pad byte may be missing at the end of a sloppy file;
				// a following chunk header will catch real damage.
				_, _ = io.ReadFull(cr, body[size:])
			}
			w, err = parseFormatChunk(body[:size])
			if err != nil {
				return fail(err)
			}
		case "data":
			if w == nil {
				return fail(errors.New("comes before the \"fmt \" chunk"))
			}
			var data []byte
			if size == 0xFFFFFFFF {
				data, err = io.ReadAll(cr)
				if err != nil {
					return fail(err)
				}
			} else {
				buf := bytes.NewBuffer(make([]byte, 0, min(size, 1<<20)))
				n, err := io.CopyN(buf, cr, size)
				if err != nil {
					return fail(fmt.Errorf("truncated: size %d but only %d bytes follow: %w", size, n, unexpected(err)))
				}
				data = buf.Bytes()
			}
			fs := w.frameSize()
			w.Data = data[:len(data)-len(data)%fs]
			return w, nil
		default:
			if n, err := io.CopyN(io.Discard, cr, size+size%2); err != nil && !(err == io.EOF && n == size) {
				return fail(fmt.Errorf("truncated: size %d but only %d bytes follow: %w", size, n, unexpected(err)))
			}
		}
	}
}

// Sample rates ReadWAV accepts: anything audio equipment uses, nothing
// that would make resampling to 24 kHz absurd.
const (
	minWAVRate = 1000
	maxWAVRate = 768000
)

// ksdataformatSuffix is the common tail of the KSDATAFORMAT_SUBTYPE GUIDs
// whose first two bytes are a classic format tag.
const ksdataformatSuffix = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"

// parseFormatChunk validates a "fmt " chunk body (at least 16 bytes).
func parseFormatChunk(b []byte) (*WAV, error) {
	w := &WAV{
		Tag:           binary.LittleEndian.Uint16(b[0:]),
		Channels:      int(binary.LittleEndian.Uint16(b[2:])),
		SampleRate:    int(binary.LittleEndian.Uint32(b[4:])),
		BitsPerSample: int(binary.LittleEndian.Uint16(b[14:])),
	}
	if w.Tag == wavExtensible {
		if len(b) < 40 {
			return nil, fmt.Errorf("extensible format in %d bytes, need 40", len(b))
		}
		if cb := binary.LittleEndian.Uint16(b[16:]); cb < 22 {
			return nil, fmt.Errorf("extensible format with %d extension bytes, need 22", cb)
		}
		if string(b[26:40]) != ksdataformatSuffix {
			return nil, fmt.Errorf("%w: extensible subformat GUID % x", ErrUnsupportedWAV, b[24:40])
		}
		w.Tag = binary.LittleEndian.Uint16(b[24:])
	}
	if w.Channels == 0 {
		return nil, errors.New("zero channels")
	}
	if w.SampleRate < minWAVRate || w.SampleRate > maxWAVRate {
		return nil, fmt.Errorf("%w: sample rate %d Hz (want %d to %d)", ErrUnsupportedWAV, w.SampleRate, minWAVRate, maxWAVRate)
	}
	switch w.Tag {
	case WAVPCM:
		switch w.BitsPerSample {
		case 8, 16, 24, 32:
		default:
			return nil, fmt.Errorf("%w: %d-bit PCM (want 8, 16, 24 or 32)", ErrUnsupportedWAV, w.BitsPerSample)
		}
	case WAVFloat:
		if w.BitsPerSample != 32 && w.BitsPerSample != 64 {
			return nil, fmt.Errorf("%w: %d-bit float (want 32 or 64)", ErrUnsupportedWAV, w.BitsPerSample)
		}
	case WAVALaw, WAVMULaw:
		if w.BitsPerSample != 8 {
			return nil, fmt.Errorf("%w: %d-bit G.711 (want 8)", ErrUnsupportedWAV, w.BitsPerSample)
		}
	default:
		return nil, fmt.Errorf("%w: format tag %#04x (want PCM 0x0001, IEEE float 0x0003, A-law 0x0006 or µ-law 0x0007)", ErrUnsupportedWAV, w.Tag)
	}
	return w, nil
}

// WriteWAV writes data, audio in format f, as a mono WAV file. PCM16 is
// written as 16-bit PCM at 24 kHz. The G.711 formats are written as they
// are, 8 kHz with the WAVE_FORMAT_MULAW (7) or WAVE_FORMAT_ALAW (6) tag and
// the "fact" chunk non-PCM files carry, so the file holds the exact bytes
// that went over the wire; common players and sox read it. Use
// [AppendSamples] and [Resample] first to get PCM instead. PCM16 data must
// be a whole number of samples.
func WriteWAV(w io.Writer, f Format, data []byte) error {
	if !f.Valid() {
		return fmt.Errorf("write wav: invalid format %v", f)
	}
	if len(data)%f.BytesPerSample() != 0 {
		return fmt.Errorf("write wav: %v data of %d bytes is not a whole number of samples", f, len(data))
	}
	fmtSize := 16
	tag := WAVPCM
	switch f {
	case G711ULaw:
		fmtSize, tag = 18, WAVMULaw
	case G711ALaw:
		fmtSize, tag = 18, WAVALaw
	}
	pad := len(data) % 2
	hdrSize := 12 + 8 + fmtSize + 8
	if tag != WAVPCM {
		hdrSize += 12 // fact chunk
	}
	riffSize := int64(hdrSize-8) + int64(len(data)) + int64(pad)
	if riffSize > math.MaxUint32 {
		return fmt.Errorf("write wav: %d bytes of audio do not fit in a RIFF file", len(data))
	}
	h := make([]byte, 0, hdrSize)
	le := binary.LittleEndian
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, uint32(riffSize))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, uint32(fmtSize))
	h = le.AppendUint16(h, tag)
	h = le.AppendUint16(h, 1) // channels
	h = le.AppendUint32(h, uint32(f.SampleRate()))
	h = le.AppendUint32(h, uint32(f.SampleRate()*f.BytesPerSample()))
	h = le.AppendUint16(h, uint16(f.BytesPerSample()))
	h = le.AppendUint16(h, uint16(8*f.BytesPerSample()))
	if tag != WAVPCM {
		h = le.AppendUint16(h, 0) // cbSize
		h = append(h, "fact"...)
		h = le.AppendUint32(h, 4)
		h = le.AppendUint32(h, uint32(len(data)))
	}
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(len(data)))
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	if pad == 1 {
		if _, err := w.Write([]byte{0}); err != nil {
			return fmt.Errorf("write wav: %w", err)
		}
	}
	return nil
}

func headerErr(err error, n int) error {
	return &WAVError{Err: fmt.Errorf("file too short for a RIFF header: %d of 12 bytes: %w", n, unexpected(err))}
}

// unexpected turns a plain EOF in the middle of something into
// io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
