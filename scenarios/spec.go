package scenarios

import (
	"slices"
	"time"

	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// The table of the language is scenarios/internal/spec; these are the
// parts of it the API exposes.

// Limits of the language, checked on load.
const (
	// MaxAudio is the longest reply audio a scenario may ask for.
	MaxAudio = spec.MaxAudio
	// MinChunk and MaxChunk bound the duration of one audio delta.
	MinChunk = spec.MinChunk
	MaxChunk = spec.MaxChunk
	// MaxExpiresAfter is the live service's longest session.
	MaxExpiresAfter = spec.MaxExpiresAfter
	// DefaultInterruptSpeech is how long the simulated user talks over a
	// reply when interrupt.speech is not given.
	DefaultInterruptSpeech = 600 * time.Millisecond
)

// Voices returns the voices a scenario's session may name: those the live
// service offers.
func Voices() []string { return slices.Clone(spec.Voices) }

// AudioFormats returns the audio format names a scenario's session accepts:
// the preview names, then the GA types that mean the same.
func AudioFormats() []string { return slices.Clone(spec.Formats) }

// formatDuration and formatFrequency render values as a scenario writes
// them.
var (
	formatDuration  = spec.FormatDuration
	formatFrequency = spec.FormatFrequency
)
