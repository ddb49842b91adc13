// Package loadtest measures how rtmock carries many sessions at once: it
// opens C concurrent WebSocket sessions (or WebRTC calls, [RunRTC]) on
// loopback, runs N turns in each, and reports throughput, pacing, memory
// and goroutines next to a baseline that does no work of its own.
//
// # What a run does
//
// [Run] starts a target (by default an in-process [mockserver.Server] on
// 127.0.0.1; [Options.Target] points it at a running one instead) and its
// own baseline, then:
//
//  1. captures one real session of the target, which gives the frames the
//     baseline sends and checks the target works before anything is timed;
//  2. measures idle sessions (below);
//  3. runs Pairs pairs of phases, alternately against the target and the
//     baseline (A B A B …), so that both see the same machine load. A phase
//     dials C sessions, waits until every one has its session.created, then
//     starts all their turns at once (paced phases spread the starts evenly
//     over a second, as independent callers would); the phase's time runs
//     from that start to the end of the last session's last turn.
//
// A turn of a scenario session sends response.create and reads to
// response.done (or to the error event that refuses the turn). A cassette
// session replays the recording's client frames, each once the server
// frames that preceded it in the recording have arrived, and reads the rest;
// a cassette's turns are its responses, and [Options.Turns] counts replays of
// the whole recording, each on a new connection (a recording starts at
// connect).
//
// # The baseline
//
// The baseline is a raw coder/websocket server with the same accept options
// as the mock. It answers each response.create (or, for a cassette, each
// recorded client frame) by writing the pre-serialised frames captured from
// the target, with the same pacing but none of the session's work: no
// parsing, no state, no JSON. The ratio target/baseline of each pair's
// throughput is what the target's own work costs; Report.MedianRatio is the
// median over the pairs. The same comparison is made in the process's CPU
// time per event (Report.MedianCPURatio, baseline/target), which other
// processes on a shared machine disturb far less than wall time. Both
// include the clients' work, which is the same on both sides.
//
// # Pacing lateness
//
// In paced runs (realtime, live or a factor) every audio delta has a time
// at which it should arrive. For each response, the schedule is anchored at
// the arrival of its first audio delta; delta k is due at
//
//	arrival(first delta) + (offset(k) − offset(first delta))
//
// where offset(k) is, for a simulated session, the audio duration of the
// deltas before k divided by the speed (the pace's factor for realtime; the
// factor times the live audio speed, 3, for live), and, for a cassette, the
// frame's recorded time divided by the pace's factor. Lateness is
// arrival − due for every delta but the first (which is on time by
// definition): positive when late, negative when early, which happens when
// the first delta itself was late and the rest kept to the server's
// schedule. Anchoring at the first delta leaves out the response's start
// latencies (which are simulated on purpose) and measures the cadence a
// player hears. Drift is the lateness of the last delta of each response:
// how far the schedule has slipped by the end of the response's audio.
//
// # Idle sessions
//
// RSS per idle session is the growth of the process's resident set (VmRSS,
// after runtime.GC and debug.FreeOSMemory) while K sessions are open and
// idle, divided by K. The clients live in the same process, so the same K
// clients are also measured against a null server that answers the upgrade
// and keeps nothing but the socket; the target's share is the difference.
// Goroutines per idle session count the whole process, but an idle client
// runs none, so they are the server's.
//
// # WebRTC runs
//
// [RunRTC] measures WebRTC calls instead. Each of N sessions posts an SDP
// offer to the mock's calls route with a standard key, opens the
// "oai-events" data channel, streams a quiet microphone (Opus, 20 ms
// packets in real time, below the server VAD's threshold, so that the
// server decodes it and never hears speech) and asks for Turns replies
// with response.create, each once the last has played out
// (output_audio_buffer.stopped). The baseline is a raw pion server
// ([ServeRTCBaseline]) with the same media configuration that decodes the
// microphone and answers each response.create with the events and the
// length of a reply captured from the mock, encoding a tone as the mock
// encodes it and sending a packet every 20 ms; it has no session core.
//
// The report gives the CPU per session-second, one second of Opus decoded
// and one encoded: (microphone packets + track packets) × 20 ms / 2 over a
// phase, and the CPU time spent meanwhile, the server process's own with
// [Options.Split]. And the lateness of the RTP packets: a burst starts at
// the first packet or a packet with the marker bit; packet k of a burst is
// due 20 ms × k after the burst's first packet arrived, k being told by the
// RTP timestamps. The mock continues a burst across replies when the next
// reply's audio is queued by the next 20 ms slot; the raw server starts a
// burst with every reply. Packets are timed when the client's goroutine
// reads them, so the clients' own scheduling adds to lateness on both
// sides alike.
//
// # Bounds
//
// Runs are bounded: every phase stops after [Options.Duration], every count
// has a maximum, only loopback addresses are dialled, and everything Run
// starts has stopped when it returns.
package loadtest
