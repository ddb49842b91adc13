package conformance

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rtmock/rtmock/audio"
)

// speechWAV is the user speech given to clients (see input/README.md).
//
//go:embed input/speech-24k.wav
var speechWAV []byte

// SpeechWAV returns the user's spoken line the runner streams as a
// scenario's speech input (RTMOCK_INPUT_WAV): a 24 kHz mono PCM16 WAV file
// of about 4 s, the words beginning after about 0.9 s of silence.
func SpeechWAV() []byte { return bytes.Clone(speechWAV) }

// writeInput writes the speech input into dir and describes it; f is the
// format the client is told to send it in.
func writeInput(dir string, f audio.Format) (*Input, error) {
	w, err := audio.ReadWAV(bytes.NewReader(speechWAV))
	if err != nil {
		return nil, fmt.Errorf("speech input: %w", err)
	}
	path := filepath.Join(dir, "speech-24k.wav")
	if err := os.WriteFile(path, speechWAV, 0o644); err != nil {
		return nil, fmt.Errorf("write speech input: %w", err)
	}
	pcm := w.Convert(audio.PCM16)
	return &Input{
		Path:     path,
		Format:   f,
		Duration: audio.PCM16.Duration(len(pcm)),
		Speech:   soundOf(audio.PCM16, pcm).longest,
	}, nil
}
