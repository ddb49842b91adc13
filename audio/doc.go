// Package audio is the sound side of rtmock: the realtime API's audio
// formats and their arithmetic, G.711 codecs, synthetic audio for assistant
// responses, server-side voice activity detection, and WAV files. It imports
// the standard library and package realtime, whose table of formats it
// re-exports as [Format].
//
// # Formats
//
// A realtime session carries audio in one of three [Format]s, named
// differently by the two protocol dialects:
//
//	Format     preview      GA           rate    bytes/sample  bytes/ms
//	PCM16      pcm16        audio/pcm    24 kHz  2 (LE, mono)  48
//	G711ULaw   g711_ulaw    audio/pcmu   8 kHz   1             8
//	G711ALaw   g711_alaw    audio/pcma   8 kHz   1             8
//
// [ParseFormat] accepts exactly these names, as the service does;
// [ParseFormatLenient] also accepts other cases and the hyphenated
// "g711-ulaw"/"g711-alaw" of the Azure rtclient libraries. [Format.Bytes] and
// [Format.Duration] convert between byte counts and play time in whole
// samples: 100 ms of PCM16 is 4800 bytes, 250 ms is 12000.
//
// # The timeline
//
// Times in realtime events (audio_start_ms, audio_end_ms) are milliseconds on
// the session's cumulative input-audio timeline: position 0 is the first byte
// the client ever appended and every byte appended since counts, whatever
// the wall clock did in between. A [VAD] keeps that timeline: its
// [VAD.Position] is the audio fed so far, and its events are positions on
// it. Synthetic audio has a timeline of its own: [Tone] chunks are read at
// byte offsets from the start of the response's audio, so a response's audio
// is the same bytes however it is cut into deltas.
//
// # Synthesis
//
// [NewTone] makes a sine (or [NewSilence] silence) from one exactly periodic
// table, so chunks read at consecutive offsets join without phase jumps, and
// [Tone.AppendBase64] appends a chunk's base64 text straight into an event
// being built, copying precomputed text rather than computing samples. A
// Tone is immutable and shared by all sessions. [AppendNoise] draws white
// noise from a caller's *rand.Rand; the package holds no randomness of its
// own.
//
// # Voice activity detection
//
// [VAD] is a small energy detector standing in for the service's server_vad.
// It cuts the audio into 10 ms frames and calls a frame voiced when its RMS
// level reaches the threshold level, −60 dBFS + 50 dB × threshold (see
// [ThresholdDBFS]; the default threshold 0.5 is −35 dBFS, and levels are
// relative to a full-scale sine). MinSpeechMs of consecutive voiced frames
// (30 ms) start a turn; SilenceDurationMs (200 ms) without a voiced frame
// end it. SpeechStarted reports the onset minus PrefixPaddingMs (300 ms) and
// SpeechStopped the end of the last voiced frame plus SilenceDurationMs,
// which is where the turn's audio ends; both depend only on the bytes fed,
// never on how they were chunked. It is not a speech model: any sound loud
// enough for long enough is a turn, which is what a test harness wants.
//
// # WAV
//
// [WriteWAV] writes wire audio as a mono WAV file (G.711 with its own format
// tags, byte for byte). [ReadWAV] reads the WAV files people have: PCM of 8
// to 32 bits, float, µ-law, A-law, any channel count, 1 to 768 kHz; errors
// name the chunk and byte offset at fault. [WAV.Convert] turns any of them into a
// wire format, such as 24 kHz mono PCM16.
//
// # Concurrency
//
// Formats, Tones and the functions are safe to use from any number of
// goroutines. A VAD keeps the state of one session's input and must be used
// by one goroutine at a time.
package audio
