package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// fmtChunk returns a 16-byte "fmt " body.
func fmtChunk(tag uint16, channels, rate, bits int) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, tag)
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*channels*bits/8))
	b = le.AppendUint16(b, uint16(channels*bits/8))
	b = le.AppendUint16(b, uint16(bits))
	return b
}

// extensibleChunk returns a 40-byte WAVE_FORMAT_EXTENSIBLE "fmt " body.
func extensibleChunk(sub uint16, channels, rate, bits int, guidTail []byte) []byte {
	b := fmtChunk(wavExtensible, channels, rate, bits)
	le := binary.LittleEndian
	b = le.AppendUint16(b, 22)           // cbSize
	b = le.AppendUint16(b, uint16(bits)) // valid bits
	b = le.AppendUint32(b, 3)            // channel mask
	b = le.AppendUint16(b, sub)
	return append(b, guidTail...)
}

// chunk returns a RIFF chunk: id, size, body and a pad byte if odd.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// riff wraps chunks in a RIFF WAVE header.
func riff(chunks ...[]byte) []byte {
	body := slices.Concat(chunks...)
	b := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	return append(append(b, "WAVE"...), body...)
}

func writeWAV(t testing.TB, f Format, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteWAV(&buf, f, data); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWAVRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Format
		data []byte
		size int // file size
	}{
		{"pcm16 with a canonical 44-byte header", PCM16, signal(t, PCM16, tone(100, 440, -6)), 44 + 4800},
		{"mu-law with fact chunk", G711ULaw, signal(t, G711ULaw, tone(100, 440, -6)), 58 + 800},
		{"a-law of odd length gets a pad byte", G711ALaw, signal(t, G711ALaw, tone(100, 440, -6))[:799], 58 + 800},
		{"empty pcm16", PCM16, nil, 44},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeWAV(t, tt.f, tt.data)
			if len(file) != tt.size {
				t.Errorf("file is %d bytes, want %d", len(file), tt.size)
			}
			if riffSize := int(binary.LittleEndian.Uint32(file[4:])); riffSize != len(file)-8 {
				t.Errorf("RIFF size %d, want %d", riffSize, len(file)-8)
			}
			w, err := ReadWAV(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			if f, ok := w.Format(); !ok || f != tt.f {
				t.Errorf("Format() = %v, %v; want %v", f, ok, tt.f)
			}
			if !bytes.Equal(w.Data, tt.data) {
				t.Errorf("data differs: %d bytes, want %d", len(w.Data), len(tt.data))
			}
			if got, want := w.Duration(), tt.f.Duration(len(tt.data)); got != want {
				t.Errorf("Duration() = %v, want %v", got, want)
			}
		})
	}
}

func TestWriteWAVHeader(t *testing.T) {
	t.Parallel()
	got := writeWAV(t, PCM16, []byte{1, 2, 3, 4})
	want := []byte("RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\xc0\x5d\x00\x00\x80\xbb\x00\x00\x02\x00\x10\x00data\x04\x00\x00\x00\x01\x02\x03\x04")
	if !bytes.Equal(got, want) {
		t.Errorf("header:\n got % x\nwant % x", got, want)
	}
	got = writeWAV(t, G711ULaw, []byte{0xFF})
	want = []byte("RIFF\x34\x00\x00\x00WAVEfmt \x12\x00\x00\x00\x07\x00\x01\x00\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00\x00\x00fact\x04\x00\x00\x00\x01\x00\x00\x00data\x01\x00\x00\x00\xff\x00")
	if !bytes.Equal(got, want) {
		t.Errorf("mu-law header:\n got % x\nwant % x", got, want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteWAVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		w    func() error
		want string
	}{
		{"odd pcm16 data", func() error { return WriteWAV(&bytes.Buffer{}, PCM16, []byte{1, 2, 3}) }, "write wav: pcm16 data of 3 bytes is not a whole number of samples"},
		{"invalid format", func() error { return WriteWAV(&bytes.Buffer{}, Format(5), nil) }, "write wav: invalid format Format(5)"},
		{"writer error is wrapped", func() error { return WriteWAV(failWriter{}, PCM16, nil) }, "write wav: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.w(); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestReadWAVErrors(t *testing.T) {
	t.Parallel()
	pcm := chunk("fmt ", fmtChunk(WAVPCM, 1, 24000, 16))
	tests := []struct {
		name        string
		file        []byte
		want        string
		unsupported bool
	}{
		{"empty file", nil,
			"read wav: at byte 0: file too short for a RIFF header: 0 of 12 bytes: unexpected EOF", false},
		{"an mp3 file", []byte("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
			`read wav: at byte 0: not a RIFF file: starts with "ID3\x04", want "RIFF"`, false},
		{"an avi file", []byte("RIFF\x04\x00\x00\x00AVI "),
			`read wav: at byte 0: RIFF form type "AVI ", want "WAVE"`, false},
		{"big-endian RIFX", []byte("RIFX\x04\x00\x00\x00WAVE"),
			"read wav: at byte 0: unsupported: big-endian RIFX files", true},
		{"RF64", []byte("RF64\xff\xff\xff\xffWAVE"),
			"read wav: at byte 0: unsupported: RF64 (64-bit RIFF) files", true},
		{"no chunks at all", riff(),
			`read wav: at byte 12: file ends without a "fmt " chunk`, false},
		{"data before format", riff(chunk("data", []byte{0, 0}), pcm),
			`read wav: chunk "data" at byte 12: comes before the "fmt " chunk`, false},
		{"format chunk too small", riff(chunk("fmt ", []byte{1, 0, 1, 0})),
			`read wav: chunk "fmt " at byte 12: size 4 too small for a format chunk (need 16)`, false},
		{"format chunk cut short", riff(pcm)[:30],
			`read wav: chunk "fmt " at byte 12: truncated: 10 of 16 bytes: unexpected EOF`, false},
		{"two format chunks", riff(pcm, pcm),
			`read wav: chunk "fmt " at byte 36: second format chunk`, false},
		{"ADPCM", riff(chunk("fmt ", fmtChunk(2, 1, 8000, 4))),
			`read wav: chunk "fmt " at byte 12: unsupported: format tag 0x0002 (want PCM 0x0001, IEEE float 0x0003, A-law 0x0006 or µ-law 0x0007)`, true},
		{"12-bit PCM", riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 8000, 12))),
			`read wav: chunk "fmt " at byte 12: unsupported: 12-bit PCM (want 8, 16, 24 or 32)`, true},
		{"16-bit float", riff(chunk("fmt ", fmtChunk(WAVFloat, 1, 8000, 16))),
			`read wav: chunk "fmt " at byte 12: unsupported: 16-bit float (want 32 or 64)`, true},
		{"16-bit mu-law", riff(chunk("fmt ", fmtChunk(WAVMULaw, 1, 8000, 16))),
			`read wav: chunk "fmt " at byte 12: unsupported: 16-bit G.711 (want 8)`, true},
		{"no channels", riff(chunk("fmt ", fmtChunk(WAVPCM, 0, 8000, 16))),
			`read wav: chunk "fmt " at byte 12: zero channels`, false},
		{"sample rate 0", riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 0, 16))),
			`read wav: chunk "fmt " at byte 12: unsupported: sample rate 0 Hz (want 1000 to 768000)`, true},
		{"extensible too short", riff(chunk("fmt ", fmtChunk(wavExtensible, 1, 8000, 16))),
			`read wav: chunk "fmt " at byte 12: extensible format in 16 bytes, need 40`, false},
		{"extensible with unknown subformat", riff(chunk("fmt ", extensibleChunk(1, 1, 8000, 16, make([]byte, 14)))),
			`read wav: chunk "fmt " at byte 12: unsupported: extensible subformat GUID 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`, true},
		{"no data chunk", riff(pcm),
			`read wav: at byte 36: file ends without a "data" chunk`, false},
		{"chunk header cut short", append(riff(pcm), "dat"...),
			"read wav: at byte 36: truncated chunk header: 3 of 8 bytes: unexpected EOF", false},
		{"data cut short", riff(pcm, chunk("data", make([]byte, 4800)))[:144],
			`read wav: chunk "data" at byte 36: truncated: size 4800 but only 100 bytes follow: unexpected EOF`, false},
		{"other chunk cut short", riff(pcm, chunk("LIST", make([]byte, 100)))[:60],
			`read wav: chunk "LIST" at byte 36: truncated: size 100 but only 16 bytes follow: unexpected EOF`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := ReadWAV(bytes.NewReader(tt.file))
			if err == nil {
				t.Fatalf("no error, read %+v", w)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var we *WAVError
			if !errors.As(err, &we) {
				t.Errorf("error %T is not a *WAVError", err)
			}
			if got := errors.Is(err, ErrUnsupportedWAV); got != tt.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupportedWAV) = %v, want %v", got, tt.unsupported)
			}
		})
	}
}

func TestReadWAVLayouts(t *testing.T) {
	t.Parallel()
	ksTail := []byte(ksdataformatSuffix)
	tests := []struct {
		name string
		file []byte
		want WAV
		mono []int16
	}{
		{
			name: "chunks before the data are skipped, odd ones with their pad byte",
			file: riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 24000, 16)), chunk("LIST", []byte("INFOISFT\x03\x00\x00\x00ab\x00")), chunk("junk", []byte{1}), chunk("data", []byte{1, 0, 2, 0})),
			want: WAV{Tag: WAVPCM, Channels: 1, SampleRate: 24000, BitsPerSample: 16, Data: []byte{1, 0, 2, 0}},
			mono: []int16{1, 2},
		},
		{
			name: "a streaming data size reads to the end",
			file: append(riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 16000, 16)))[:36:36], "data\xff\xff\xff\xff\x05\x00\x06\x00"...),
			want: WAV{Tag: WAVPCM, Channels: 1, SampleRate: 16000, BitsPerSample: 16, Data: []byte{5, 0, 6, 0}},
			mono: []int16{5, 6},
		},
		{
			name: "a trailing partial frame is dropped",
			file: riff(chunk("fmt ", fmtChunk(WAVPCM, 2, 48000, 16)), chunk("data", []byte{1, 0, 3, 0, 9})),
			want: WAV{Tag: WAVPCM, Channels: 2, SampleRate: 48000, BitsPerSample: 16, Data: []byte{1, 0, 3, 0}},
			mono: []int16{2},
		},
		{
			name: "extensible 16-bit stereo reports its subformat",
			file: riff(chunk("fmt ", extensibleChunk(WAVPCM, 2, 48000, 16, ksTail)), chunk("data", []byte{0x10, 0, 0x20, 0})),
			want: WAV{Tag: WAVPCM, Channels: 2, SampleRate: 48000, BitsPerSample: 16, Data: []byte{0x10, 0, 0x20, 0}},
			mono: []int16{0x18},
		},
		{
			name: "8-bit PCM is unsigned",
			file: riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 8000, 8)), chunk("data", []byte{0x80, 0xFF, 0x00})),
			want: WAV{Tag: WAVPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 8, Data: []byte{0x80, 0xFF, 0x00}},
			mono: []int16{0, 32512, -32768},
		},
		{
			name: "24-bit PCM keeps its top 16 bits",
			file: riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 44100, 24)), chunk("data", []byte{0xAA, 0x34, 0x12, 0xFF, 0xFF, 0xFF})),
			want: WAV{Tag: WAVPCM, Channels: 1, SampleRate: 44100, BitsPerSample: 24, Data: []byte{0xAA, 0x34, 0x12, 0xFF, 0xFF, 0xFF}},
			mono: []int16{0x1234, -1},
		},
		{
			name: "32-bit PCM keeps its top 16 bits",
			file: riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 44100, 32)), chunk("data", []byte{0xAA, 0xBB, 0x34, 0x12})),
			want: WAV{Tag: WAVPCM, Channels: 1, SampleRate: 44100, BitsPerSample: 32, Data: []byte{0xAA, 0xBB, 0x34, 0x12}},
			mono: []int16{0x1234},
		},
		{
			name: "32-bit float is scaled and clipped",
			file: riff(chunk("fmt ", fmtChunk(WAVFloat, 1, 48000, 32)), chunk("data", floats32(0.5, -1, 2, -0.25))),
			want: WAV{Tag: WAVFloat, Channels: 1, SampleRate: 48000, BitsPerSample: 32, Data: floats32(0.5, -1, 2, -0.25)},
			mono: []int16{16384, -32768, 32767, -8192},
		},
		{
			name: "64-bit float",
			file: riff(chunk("fmt ", fmtChunk(WAVFloat, 1, 48000, 64)), chunk("data", binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.5)))),
			want: WAV{Tag: WAVFloat, Channels: 1, SampleRate: 48000, BitsPerSample: 64, Data: binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.5))},
			mono: []int16{16384},
		},
		{
			name: "stereo mu-law averages the channels",
			file: riff(chunk("fmt ", fmtChunk(WAVMULaw, 2, 8000, 8)), chunk("data", []byte{0x80, 0xFF})),
			want: WAV{Tag: WAVMULaw, Channels: 2, SampleRate: 8000, BitsPerSample: 8, Data: []byte{0x80, 0xFF}},
			mono: []int16{16062},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := ReadWAV(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if w.Tag != tt.want.Tag || w.Channels != tt.want.Channels || w.SampleRate != tt.want.SampleRate || w.BitsPerSample != tt.want.BitsPerSample || !bytes.Equal(w.Data, tt.want.Data) {
				t.Errorf("read %+v\nwant %+v", *w, tt.want)
			}
			if got := w.Mono(); !slices.Equal(got, tt.mono) {
				t.Errorf("Mono() = %v, want %v", got, tt.mono)
			}
		})
	}
}

func floats32(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// TestWAVConvertToPCM16 converts the files clients under test typically
// stream to 24 kHz mono PCM16 and compares with the ideal sine.
func TestWAVConvertToPCM16(t *testing.T) {
	t.Parallel()
	const hz, amp = 300.0, 0.5
	tests := []struct {
		name     string
		rate     int
		channels int
	}{
		{"8 kHz mono", 8000, 1},
		{"16 kHz mono", 16000, 1},
		{"22.05 kHz stereo", 22050, 2},
		{"24 kHz stereo", 24000, 2},
		{"44.1 kHz stereo", 44100, 2},
		{"48 kHz mono", 48000, 1},
		{"48 kHz stereo", 48000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			frames := tt.rate / 2 // 500 ms
			var data []byte
			for i := range frames {
				s := int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i)/float64(tt.rate))))
				for range tt.channels {
					data = binary.LittleEndian.AppendUint16(data, uint16(s))
				}
			}
			file := riff(chunk("fmt ", fmtChunk(WAVPCM, tt.channels, tt.rate, 16)), chunk("data", data))
			w, err := ReadWAV(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			out := w.Convert(PCM16)
			if len(out) != 24000 { // 500 ms
				t.Fatalf("converted to %d bytes, want 24000 (500 ms)", len(out))
			}
			// Linear interpolation of a sine sampled at rate r is off by at
			// most amp·(2π·hz/r)²/8 of full scale.
			tol := amp*32767*math.Pow(2*math.Pi*hz/float64(tt.rate), 2)/8 + 2
			for i, s := range AppendSamples(nil, PCM16, out) {
				if i*tt.rate > (frames-1)*24000 {
					break // past the last input sample the value is held
				}
				want := amp * 32767 * math.Sin(2*math.Pi*hz*float64(i)/24000)
				if d := math.Abs(float64(s) - want); d > tol {
					t.Fatalf("sample %d = %d, ideal %.1f (tolerance %.1f)", i, s, want, tol)
				}
			}
		})
	}
}

func TestWAVConvertKeepsExactFormatsBitForBit(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{PCM16, G711ULaw, G711ALaw} {
		data := signal(t, f, noise(100, -10))
		w, err := ReadWAV(bytes.NewReader(writeWAV(t, f, data)))
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Convert(f); !bytes.Equal(got, data) {
			t.Errorf("%v: Convert changed the data", f)
		}
	}
	// G.711 at 8 kHz converted to PCM16 triples the sample count.
	w, err := ReadWAV(bytes.NewReader(writeWAV(t, G711ULaw, make([]byte, 800))))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(w.Convert(PCM16)); got != 4800 {
		t.Errorf("100 ms of mu-law converted to %d bytes of pcm16, want 4800", got)
	}
}

func TestResample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      []int16
		from, to int
		want     []int16
	}{
		{"same rate copies", []int16{1, 2, 3}, 24000, 24000, []int16{1, 2, 3}},
		{"doubling interpolates midpoints", []int16{0, 100, -100}, 12000, 24000, []int16{0, 50, 100, 0, -100, -100}},
		{"halving keeps every other sample", []int16{0, 7, 100, 7, 200}, 48000, 24000, []int16{0, 100, 200}},
		{"tripling", []int16{0, 300}, 8000, 24000, []int16{0, 100, 200, 300, 300, 300}},
		{"one sample stays one sample", []int16{5}, 44100, 24000, []int16{5}},
		{"bad rate gives nothing", []int16{5}, 0, 24000, nil},
		{"no samples give nothing", nil, 8000, 24000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Resample(tt.src, tt.from, tt.to); !slices.Equal(got, tt.want) {
				t.Errorf("Resample = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzReadWAV reads arbitrary bytes as a WAV file: it must not panic,
// errors must be *WAVError values, and what it accepts must be
// self-consistent and convertible.
func FuzzReadWAV(f *testing.F) {
	for _, fm := range []Format{PCM16, G711ULaw, G711ALaw} {
		f.Add(writeWAV(f, fm, signal(f, fm, tone(20, 440, -6))))
	}
	f.Add(riff(chunk("fmt ", extensibleChunk(WAVPCM, 2, 48000, 16, []byte(ksdataformatSuffix))), chunk("data", make([]byte, 64))))
	f.Add(riff(chunk("fmt ", fmtChunk(WAVFloat, 1, 44100, 32)), chunk("LIST", []byte("INFOx")), chunk("data", floats32(0.5, -2))))
	f.Add(riff(chunk("fmt ", fmtChunk(WAVPCM, 3, 22050, 24)), chunk("data", make([]byte, 27))))
	f.Add(riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 8000, 8)), chunk("data", []byte{1, 2, 3})))
	f.Add(append(riff(chunk("fmt ", fmtChunk(WAVPCM, 1, 16000, 16))), "data\xff\xff\xff\xff\x01\x00"...))
	f.Add(riff(chunk("data", nil)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x02\x00\x00\x00"))
	if speech, err := os.ReadFile("testdata/speech-24k.wav"); err == nil {
		f.Add(speech[:2048])
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		w, err := ReadWAV(bytes.NewReader(file))
		if err != nil {
			var we *WAVError
			if !errors.As(err, &we) || !strings.HasPrefix(err.Error(), "read wav: ") {
				t.Fatalf("error %v (%T) is not a *WAVError", err, err)
			}
			if w != nil {
				t.Fatal("non-nil WAV with an error")
			}
			return
		}
		if w.Channels < 1 || w.SampleRate < minWAVRate || w.frameSize() == 0 || len(w.Data)%w.frameSize() != 0 {
			t.Fatalf("inconsistent %+v", w)
		}
		mono := w.Mono()
		if len(mono) != w.Frames() {
			t.Fatalf("Mono gave %d samples for %d frames", len(mono), w.Frames())
		}
		pcm := w.Convert(PCM16)
		if f, ok := w.Format(); ok {
			if f == PCM16 && !bytes.Equal(pcm, w.Data) {
				t.Fatal("pcm16 file changed by Convert")
			}
			again, err := ReadWAV(bytes.NewReader(writeWAV(t, f, w.Data)))
			if err != nil || !bytes.Equal(again.Data, w.Data) {
				t.Fatalf("write and read again: %v", err)
			}
		} else if want := (int64(len(mono))*24000 + int64(w.SampleRate) - 1) / int64(w.SampleRate); int64(len(pcm)) != 2*want {
			t.Fatalf("Convert gave %d bytes for %d frames at %d Hz, want %d", len(pcm), len(mono), w.SampleRate, 2*want)
		}
	})
}
