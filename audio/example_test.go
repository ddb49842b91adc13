package audio_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

	"github.com/rtmock/rtmock/audio"
)

func ExampleFormat_Bytes() {
	fmt.Println(audio.PCM16.Bytes(100 * time.Millisecond))
	fmt.Println(audio.PCM16.Bytes(250 * time.Millisecond))
	fmt.Println(audio.G711ULaw.Bytes(100 * time.Millisecond))
	fmt.Println(audio.PCM16.Duration(28800))
	// Output:
	// 4800
	// 12000
	// 800
	// 600ms
}

func ExampleParseFormat() {
	for _, name := range []string{"pcm16", "audio/pcmu", "g711-alaw"} {
		f, err := audio.ParseFormat(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(f, f.GAType(), f.SampleRate(), f.BytesPerMs())
	}
	// Output:
	// pcm16 audio/pcm 24000 48
	// g711_ulaw audio/pcmu 8000 8
	// audio format "g711-alaw": unknown audio format (want pcm16, g711_ulaw, g711_alaw, audio/pcm, audio/pcmu or audio/pcma)
}

// A response of 250 ms of a 440 Hz tone sent as 100 ms deltas: each delta
// reads the next bytes of the tone's timeline, so the deltas join without a
// phase jump, and their byte counts add up to the duration exactly.
func ExampleTone_AppendBase64() {
	tone, err := audio.NewTone(audio.PCM16, 440, 0.5)
	if err != nil {
		log.Fatal(err)
	}
	total := audio.PCM16.Bytes(250 * time.Millisecond)
	chunk := audio.PCM16.Bytes(100 * time.Millisecond)
	var delta []byte
	for off := 0; off < total; off += chunk {
		n := min(chunk, total-off)
		delta = tone.AppendBase64(delta[:0], off, n)
		fmt.Printf("delta at %v: %d bytes, %d base64 characters\n", audio.PCM16.Duration(off), n, len(delta))
	}
	// Output:
	// delta at 0s: 4800 bytes, 6400 base64 characters
	// delta at 100ms: 4800 bytes, 6400 base64 characters
	// delta at 200ms: 2400 bytes, 3200 base64 characters
}

// Server VAD on a client that sends 1 s of silence, 1 s of a tone and 1 s
// of silence in 100 ms appends.
func ExampleVAD() {
	silence := audio.NewSilence(audio.PCM16)
	tone, err := audio.NewTone(audio.PCM16, 440, 0.25) // −12 dBFS
	if err != nil {
		log.Fatal(err)
	}
	second := audio.PCM16.Bytes(time.Second)
	input := silence.AppendBytes(nil, 0, second)
	input = tone.AppendBytes(input, 0, second)
	input = silence.AppendBytes(input, 0, second)

	vad, err := audio.NewVAD(audio.VADConfig{}) // server_vad defaults
	if err != nil {
		log.Fatal(err)
	}
	for len(input) > 0 {
		n := min(4800, len(input))
		for _, e := range vad.Feed(input[:n]) {
			fmt.Printf("at %d ms: %v\n", vad.Position(), e)
		}
		input = input[n:]
	}
	// Output:
	// at 1100 ms: speech_started audio_start_ms=700
	// at 2200 ms: speech_stopped audio_start_ms=700 audio_end_ms=2200
}

func ExampleVADConfig() {
	// Zero is a valid threshold and padding, so those fields are pointers:
	// nil means the service's default.
	vad, err := audio.NewVAD(audio.VADConfig{
		Format:            audio.G711ULaw,
		Threshold:         new(0.8),
		PrefixPaddingMs:   new(0),
		SilenceDurationMs: new(500),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vad.Position(), vad.Speaking(), audio.ThresholdDBFS(0.8))
	// Output: 0 false -20
}

func ExampleReadWAV() {
	var file bytes.Buffer
	if err := audio.WriteWAV(&file, audio.G711ULaw, bytes.Repeat([]byte{0xFF}, 800)); err != nil {
		log.Fatal(err)
	}
	w, err := audio.ReadWAV(&file)
	if err != nil {
		log.Fatal(err)
	}
	f, ok := w.Format()
	fmt.Println(w.SampleRate, w.Channels, w.Duration(), f, ok)
	fmt.Println(len(w.Convert(audio.PCM16)), "bytes of 24 kHz pcm16")

	_, err = audio.ReadWAV(bytes.NewReader([]byte("RIFF\x04\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00")))
	fmt.Println(err)
	// Output:
	// 8000 1 100ms g711_ulaw true
	// 4800 bytes of 24 kHz pcm16
	// read wav: chunk "fmt " at byte 12: size 4 too small for a format chunk (need 16)
}
