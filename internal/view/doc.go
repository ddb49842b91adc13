// Package view turns recorded realtime sessions into the timeline page of
// "rtmock view": one self-contained HTML file, or a page served on
// loopback, that shows when each event went which way, the audio both
// sides carried, where server VAD cut the user's turn, how much assistant
// audio played before a barge-in, where the truncate landed, which faults
// were injected and which conformance rule failed at what instant.
//
// # Sources
//
// A session comes from a cassette (the JSON Lines format of package
// cassette; mock transcripts and the failing runs "rtmock conformance
// --out" writes are cassettes too). [Load] reads files, directories of
// cassettes and conformance JSON reports: the findings of a report
// ("rtmock conformance --json", report.json in an output directory) are
// pinned to the sessions its runs name.
//
// # The model
//
// [Build] decodes a session once into a compact [Model] so that the page
// does little parsing: every frame as an [Event] with its time, direction,
// type, ids and its JSON with the audio left out; the client's audio as
// one [Track] placed on the time axis where it arrived; each assistant
// audio item as played; VAD windows; responses with their final status;
// truncates against the played position; faults; findings. Audio is
// decoded to waveform peaks (one min/max pair per 10 ms) and, for
// playback, to 8-bit G.711 µ-law at the session's sample rate: half the
// size of PCM16 and plenty for listening. Only the first Options.MaxAudio
// of each session keeps playable audio.
//
// Times are seconds since the upgrade, as in cassettes. The time axis
// runs from 0 to [Model.End]: the last frame's time, or the end of the
// last audio drawn when that is later.
//
// # Models of playback and arrival
//
// A cassette records when bytes moved, not when a person heard them, so
// the page draws two models, the ones the conformance rules use:
//
//   - Assistant audio plays in real time from its item's first delta: at
//     time t the client has played min(received, t − first delta). A
//     truncate cuts the item at its audio_end_ms: what is drawn solid is
//     what was heard, the rest of what arrived is drawn faint.
//   - Client audio is drawn ending where each append arrived, at most its
//     own duration long and never overlapping the previous append: a
//     client that streams in real time shows its audio where it was
//     spoken; audio sent faster than real time is drawn squeezed into the
//     time it took to arrive.
//
// # Faults
//
// The mock's transcripts write a "fault" frame where an injected fault
// fired ({"t":1.2,"dir":"server","fault":"drop response.output_audio.delta"}):
// the page marks each, named by its first word. Cassettes without them
// (recordings, older transcripts) still show what faults leave behind:
// "dropped", "error" and "http" frames, close frames with code 1006 or a
// reason starting "fault:", and error events whose message starts
// "Injected fault" (what the mock's error fault sends).
package view
