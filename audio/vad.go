package audio

import (
	"encoding/binary"
	"fmt"
	"math"
)

// VAD defaults, the values the service reports in session.created.
const (
	DefaultVADThreshold         = 0.5
	DefaultVADPrefixPaddingMs   = 300
	DefaultVADSilenceDurationMs = 200
	DefaultVADMinSpeechMs       = 30
)

// VADFrameMs is the length of the frames the detector measures: 10 ms, 240
// samples of PCM16 or 80 samples of G.711.
const VADFrameMs = 10

// VADConfig configures a [VAD]. The zero value is the service's default
// server_vad configuration for PCM16 audio. The service parameters are
// pointers because zero is a meaningful value for them (threshold 0.0, no
// prefix padding) and differs from leaving them out; write them with
// new(0.3) and the like.
type VADConfig struct {
	// Format is the wire format of the audio given to Feed. Zero is PCM16.
	Format Format

	// Threshold is the server_vad threshold, 0.0 to 1.0: higher means
	// louder audio is needed to count as speech. A 10 ms frame is voiced
	// when its level is at least ThresholdDBFS(Threshold). Nil means 0.5
	// (−35 dBFS).
	Threshold *float64

	// PrefixPaddingMs is how much audio before the detected onset of
	// speech belongs to the turn; SpeechStarted.AudioStartMs is the onset
	// minus this. Nil means 300.
	PrefixPaddingMs *int

	// SilenceDurationMs is how long the audio must stay below the threshold
	// after the last voiced frame to end the turn. Nil means 200, the value
	// the service actually reports (its documentation says 500).
	SilenceDurationMs *int

	// MinSpeechMs is how much uninterrupted voiced audio starts a turn,
	// rounded up to whole frames, so that clicks and short bursts do not.
	// Zero means 30 (three frames).
	MinSpeechMs int
}

// VADEventType says what a [VADEvent] reports.
type VADEventType uint8

const (
	// SpeechStarted corresponds to input_audio_buffer.speech_started.
	SpeechStarted VADEventType = iota + 1
	// SpeechStopped corresponds to input_audio_buffer.speech_stopped.
	SpeechStopped
)

func (t VADEventType) String() string {
	switch t {
	case SpeechStarted:
		return "speech_started"
	case SpeechStopped:
		return "speech_stopped"
	}
	return fmt.Sprintf("VADEventType(%d)", uint8(t))
}

// VADEvent is the start or the end of a turn. Times are milliseconds on the
// cumulative audio timeline: the count of all audio ever fed to the VAD.
type VADEvent struct {
	Type VADEventType
	// AudioStartMs is where the turn's audio starts: the onset of speech
	// minus the prefix padding, but not before the start of the turn's
	// buffer (see [VAD]). It is set in both event types; SpeechStopped
	// repeats the value SpeechStarted reported.
	AudioStartMs int
	// AudioEndMs is where the turn's audio ends, for SpeechStopped: the
	// end of the last voiced frame plus the silence duration. Zero for
	// SpeechStarted.
	AudioEndMs int
}

// VAD is an energy-based voice activity detector modelled on the service's
// server_vad. It measures the audio fed to it in 10 ms frames on the
// cumulative timeline (every byte counts, the wall clock does not):
//
//   - A frame is voiced when its RMS level is at least the threshold level
//     (see [ThresholdDBFS]).
//   - A turn starts with MinSpeechMs of consecutive voiced frames. Its onset
//     is the start of the first of them; SpeechStarted.AudioStartMs is the
//     onset minus PrefixPaddingMs, clamped to the start of the turn's
//     buffer: the end of the previous turn (its AudioEndMs), or the
//     position of the last Reset, or 0.
//   - A turn ends when SilenceDurationMs of audio has been fed after the
//     end of its last voiced frame. SpeechStopped.AudioEndMs is that end
//     plus SilenceDurationMs; the event comes from the Feed call that
//     completes the frame reaching that point, so it never runs ahead of
//     the audio. The next turn's buffer starts at AudioEndMs.
//
// Events depend only on the bytes fed, not on how they were split into
// chunks. A VAD is not safe for concurrent use; give each session its own.
// Make one with [NewVAD]; the zero VAD is not usable.
type VAD struct {
	format       Format
	frameSamples int     // samples per frame
	samplesPerMs int     // samples per millisecond
	minFrames    int     // voiced frames that start a turn
	thresholdSS  float64 // sum of squares per frame at the threshold level
	prefixMs     int
	silenceMs    int

	carry    byte // a PCM16 byte waiting for its partner
	hasCarry bool

	fed     int64 // samples fed, whole samples only
	frameSS int64 // sum of squares of the current partial frame
	frameN  int   // samples in the current partial frame

	speaking      bool
	run           int // consecutive voiced frames while not speaking
	turnStartMs   int // start of the current turn's buffer
	audioStartMs  int // AudioStartMs of the turn in progress
	lastVoicedEnd int // end of the last voiced frame of the turn in progress, ms
}

// ThresholdDBFS maps a server_vad threshold (0..1) to the frame level in
// dBFS at which the VAD counts a frame as voiced:
//
//	level = −60 dBFS + 50 dB · threshold
//
// so 0 is −60 dBFS (anything above near silence), the default 0.5 is −35
// dBFS, and 1 is −10 dBFS (only very loud audio). The level of a frame of n
// samples is 20·log10(√2 · rms / 32768) with rms = √(Σ s² / n): levels are
// relative to a full-scale sine, so a sine of peak amplitude A (of full
// scale) measures 20·log10(A) dBFS. Normal speech measures −30 to −15 dBFS
// in its voiced frames.
func ThresholdDBFS(threshold float64) float64 {
	return -60 + 50*threshold
}

// LevelDBFS returns the RMS level of audio in format f in dBFS relative to a
// full-scale sine (see [ThresholdDBFS]); −Inf for silence or no samples.
func LevelDBFS(f Format, data []byte) float64 {
	s := AppendSamples(nil, f, data)
	if len(s) == 0 {
		return math.Inf(-1)
	}
	var ss int64
	for _, v := range s {
		ss += int64(v) * int64(v)
	}
	return levelDBFS(float64(ss) / float64(len(s)))
}

func levelDBFS(meanSquare float64) float64 {
	return 20 * math.Log10(math.Sqrt(2*meanSquare)/32768)
}

// NewVAD returns a detector at position 0 configured by cfg.
func NewVAD(cfg VADConfig) (*VAD, error) {
	if !cfg.Format.Valid() {
		return nil, fmt.Errorf("vad: invalid format %v", cfg.Format)
	}
	threshold := float64(DefaultVADThreshold)
	if cfg.Threshold != nil {
		threshold = *cfg.Threshold
	}
	if !(threshold >= 0 && threshold <= 1) {
		return nil, fmt.Errorf("vad: threshold %g out of range 0..1", threshold)
	}
	prefix := DefaultVADPrefixPaddingMs
	if cfg.PrefixPaddingMs != nil {
		prefix = *cfg.PrefixPaddingMs
	}
	if prefix < 0 {
		return nil, fmt.Errorf("vad: prefix padding %d ms is negative", prefix)
	}
	silence := DefaultVADSilenceDurationMs
	if cfg.SilenceDurationMs != nil {
		silence = *cfg.SilenceDurationMs
	}
	if silence < 0 {
		return nil, fmt.Errorf("vad: silence duration %d ms is negative", silence)
	}
	minSpeech := cfg.MinSpeechMs
	if minSpeech == 0 {
		minSpeech = DefaultVADMinSpeechMs
	}
	if minSpeech < 0 {
		return nil, fmt.Errorf("vad: minimum speech %d ms is negative", minSpeech)
	}
	perMs := cfg.Format.SampleRate() / 1000
	frame := perMs * VADFrameMs
	// Level at the threshold as a sum of squares over one frame:
	// rms = 32768·10^(level/20)/√2, Σs² = n·rms².
	rms := 32768 * math.Pow(10, ThresholdDBFS(threshold)/20) / math.Sqrt2
	return &VAD{
		format:       cfg.Format,
		frameSamples: frame,
		samplesPerMs: perMs,
		minFrames:    (minSpeech + VADFrameMs - 1) / VADFrameMs,
		thresholdSS:  float64(frame) * rms * rms,
		prefixMs:     prefix,
		silenceMs:    silence,
	}, nil
}

// Position returns how much audio has been fed, in whole milliseconds on
// the cumulative timeline.
func (v *VAD) Position() int {
	return int(v.fed / int64(v.samplesPerMs))
}

// SetSilenceDuration changes how much silence ends a turn, from the next
// frame on, the turn in progress included. A negative value counts as 0.
func (v *VAD) SetSilenceDuration(ms int) { v.silenceMs = max(ms, 0) }

// Speaking reports whether a turn is in progress: SpeechStarted has been
// reported and SpeechStopped not yet.
func (v *VAD) Speaking() bool { return v.speaking }

// Reset forgets any turn in progress (no SpeechStopped is reported for it)
// and any partial onset, and starts a new turn buffer at the current
// position, as after input_audio_buffer.clear or a manual commit. The
// timeline keeps counting: Position is unchanged, and so is a partial frame
// or a carried odd byte, which belong to the timeline, not to the turn.
func (v *VAD) Reset() {
	v.speaking = false
	v.run = 0
	v.turnStartMs = v.Position()
}

// Feed measures the next chunk of audio, in the VAD's format, and returns
// the events it completes, in order; nil if none. An odd trailing byte of
// PCM16 is kept and joined to the first byte of the next chunk.
func (v *VAD) Feed(chunk []byte) []VADEvent {
	if v.frameSamples == 0 {
		panic("audio: VAD not made by NewVAD")
	}
	var events []VADEvent
	switch v.format {
	case PCM16:
		if v.hasCarry && len(chunk) > 0 {
			s := int16(uint16(v.carry) | uint16(chunk[0])<<8)
			events = v.add(events, s)
			chunk = chunk[1:]
			v.hasCarry = false
		}
		n := len(chunk) / 2
		for i := 0; i < n; {
			// Whole remainder of the current frame in one tight loop.
			k := min(n-i, v.frameSamples-v.frameN)
			v.frameSS += sumSquaresPCM16(chunk[2*i : 2*(i+k)])
			v.frameN += k
			v.fed += int64(k)
			i += k
			if v.frameN == v.frameSamples {
				events = v.endFrame(events)
			}
		}
		if len(chunk)%2 == 1 {
			v.carry = chunk[len(chunk)-1]
			v.hasCarry = true
		}
	case G711ULaw, G711ALaw:
		table := ulawDecodeTable
		if v.format == G711ALaw {
			table = alawDecodeTable
		}
		for i := 0; i < len(chunk); {
			k := min(len(chunk)-i, v.frameSamples-v.frameN)
			ss := v.frameSS
			for _, b := range chunk[i : i+k] {
				s := int64(table[b])
				ss += s * s
			}
			v.frameSS = ss
			v.frameN += k
			v.fed += int64(k)
			i += k
			if v.frameN == v.frameSamples {
				events = v.endFrame(events)
			}
		}
	}
	return events
}

// sumSquaresPCM16 returns the sum of the squares of the little-endian
// 16-bit samples in b (an even number of bytes), four at a time.
func sumSquaresPCM16(b []byte) int64 {
	var s0, s1, s2, s3 int64
	for len(b) >= 8 {
		x0 := int64(int16(binary.LittleEndian.Uint16(b[0:])))
		x1 := int64(int16(binary.LittleEndian.Uint16(b[2:])))
		x2 := int64(int16(binary.LittleEndian.Uint16(b[4:])))
		x3 := int64(int16(binary.LittleEndian.Uint16(b[6:])))
		s0 += x0 * x0
		s1 += x1 * x1
		s2 += x2 * x2
		s3 += x3 * x3
		b = b[8:]
	}
	for len(b) >= 2 {
		x := int64(int16(binary.LittleEndian.Uint16(b)))
		s0 += x * x
		b = b[2:]
	}
	return s0 + s1 + s2 + s3
}

// add accounts for one sample.
func (v *VAD) add(events []VADEvent, s int16) []VADEvent {
	v.frameSS += int64(s) * int64(s)
	v.frameN++
	v.fed++
	if v.frameN == v.frameSamples {
		events = v.endFrame(events)
	}
	return events
}

// endFrame classifies the frame just completed and advances the turn state.
func (v *VAD) endFrame(events []VADEvent) []VADEvent {
	voiced := float64(v.frameSS) >= v.thresholdSS && v.frameSS > 0
	v.frameSS, v.frameN = 0, 0
	endMs := int(v.fed / int64(v.samplesPerMs)) // frames end on whole ms
	if !v.speaking {
		if !voiced {
			v.run = 0
			return events
		}
		v.run++
		if v.run < v.minFrames {
			return events
		}
		onset := endMs - v.run*VADFrameMs
		v.speaking = true
		v.run = 0
		v.audioStartMs = max(onset-v.prefixMs, v.turnStartMs, 0)
		v.lastVoicedEnd = endMs
		return append(events, VADEvent{Type: SpeechStarted, AudioStartMs: v.audioStartMs})
	}
	if voiced {
		v.lastVoicedEnd = endMs
		return events
	}
	if end := v.lastVoicedEnd + v.silenceMs; endMs >= end {
		v.speaking = false
		v.turnStartMs = end
		return append(events, VADEvent{Type: SpeechStopped, AudioStartMs: v.audioStartMs, AudioEndMs: end})
	}
	return events
}

// String formats the event like the fields of the realtime event it stands
// for.
func (e VADEvent) String() string {
	if e.Type == SpeechStopped {
		return fmt.Sprintf("%v audio_start_ms=%d audio_end_ms=%d", e.Type, e.AudioStartMs, e.AudioEndMs)
	}
	return fmt.Sprintf("%v audio_start_ms=%d", e.Type, e.AudioStartMs)
}
