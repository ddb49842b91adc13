package mockserver

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/rtmock/rtmock/clock"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/scenarios"
)

// Options configure a Server. A nil *Options, and every zero field, means the
// documented default.
type Options struct {
	// Addr is the TCP address New listens on. Default "127.0.0.1:0" (a free
	// loopback port). Ignored by NewHandler.
	Addr string
	// APIKey, when set, is the only key accepted. Azure paths answer a wrong
	// or missing key with HTTP 401 before the upgrade; the OpenAI path with
	// 101, an invalid_api_key error and close 3000, as the services do. Empty
	// accepts any key (or none).
	APIKey string
	// OpenAIBeta serves the retired beta dialect on the OpenAI path
	// (/v1/realtime with OpenAI-Beta: realtime=v1 or the
	// openai-beta.realtime-v1 subprotocol), as OpenAI did until May 2026.
	// Default false, as the service does today: such a handshake gets 101,
	// a beta_api_shape_disabled error and close 4000.
	OpenAIBeta bool
	// Models are model names the OpenAI path accepts besides the realtime
	// families (realtime.KnownModel): for a gateway's own names. "*" accepts
	// any. Any other model gets 101, an invalid_model error and close 4000,
	// as the service answers. Azure paths take any deployment name.
	Models []string
	// Scenario scripts what the assistant says and when; nil uses the
	// built-in default reply for every response.
	Scenario *scenarios.Scenario
	// Cassette, when set, replays a recorded session instead of simulating
	// one (see the package documentation on replay). It is parsed once and
	// shared by every session.
	Cassette *cassette.Cassette
	// Faults disturb every session (see package faults); a scenario's own
	// faults are added to these.
	Faults []faults.Fault
	// ReplayStrict answers a client event that differs from the cassette
	// with an error event; otherwise differences are only logged. Either
	// way they are listed in the session's Transcript.
	ReplayStrict bool
	// Pace is how fast the server answers. Default live: the live service's
	// latencies (Latencies) with audio streamed faster than playback.
	Pace scenarios.Pace
	// Latencies of the live pace. Zero fields take DefaultLatencies.
	Latencies Latencies
	// Seed makes ids and noise deterministic: the same seed and the same
	// client input give the same session byte for byte (in instant pace).
	// Zero derives a seed from the time; sessions get seed+n for the n-th
	// connection.
	Seed int64
	// Clock drives all pacing. Default: the system clock.
	Clock clock.Clock
	// Logger receives one line per session and per protocol error. Default:
	// discard.
	Logger *slog.Logger
	// Observer, when set, sees every session start and end and every frame
	// in between, with its time and decoded event (see Observer).
	Observer Observer
	// MaxMessageBytes is the WebSocket read limit. Default 21 MiB: the
	// service's 15 MiB audio appends are 20 MiB of base64, plus the
	// event's envelope.
	MaxMessageBytes int64
	// MaxQueuedBytes bounds the client events a session holds while they
	// wait for their turn (the live pace answers each some time after it
	// arrived); beyond it the server stops reading from that client until
	// the queue drains. Default 32 MiB.
	MaxQueuedBytes int
	// MaxSessions limits concurrent sessions; more get HTTP 429. Default 10000.
	MaxSessions int
	// SessionMaxDuration ends a session with session_expired. Default 60
	// minutes (the GA service's limit); a scenario's expires_after wins.
	SessionMaxDuration time.Duration
	// WriteTimeout is how long a write to a client may block (a client that
	// stopped reading) before the server drops the connection. Default 10s.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive HTTP connections that carry no session
	// and send nothing for this long (New only). Default 60s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the size of an upgrade request's URL and
	// headers (New only). Default 64 KiB.
	MaxHeaderBytes int
	// RateLimitsAtStart sends rate_limits.updated right after
	// response.created rather than after response.done (as observed on GA in
	// 2026 and documented by Azure).
	RateLimitsAtStart bool
	// DisableTLS serves plain HTTP only. By default the port also answers
	// TLS (wss://, https://) with a self-signed loopback certificate, for
	// SDKs that only dial wss://; see Server.CertPEM.
	DisableTLS bool
	// KeepTranscripts keeps every ended session's transcript, frames
	// included, for Server.Transcripts. Without it Transcripts returns
	// nothing (an Observer or OnSessionEnd sees sessions without keeping
	// them all in memory).
	KeepTranscripts bool
	// OnStepLate, when set, is told how late each scheduled step of a
	// session ran (a delta due at t sent at t+late): the pacing lateness
	// metrics report. It is called with the session's lock held: be quick.
	OnStepLate func(late time.Duration)
	// Wrap, when set, wraps the Handler that Server serves: a way to add
	// routes beside the realtime ones (rtmock serve mounts its admin API
	// and metrics so). Handler() still returns the mock's own handler.
	Wrap func(http.Handler) http.Handler
	// SIPWebhookURL is where a simulated incoming SIP call
	// (Handler.IncomingSIPCall) posts its realtime.call.incoming webhook
	// event; empty means each call must name its URL. See docs/sip.md.
	SIPWebhookURL string
	// SIPWebhookSecret signs the SIP webhooks as OpenAI does: "whsec_" and
	// base64 (or any other string, taken as bytes). Empty makes a whsec_
	// secret from Seed (Handler.SIPWebhookSecret).
	SIPWebhookSecret string
	// OnSessionEnd, when set, is called with each session's transcript when
	// it ends; its frames are there only with KeepTranscripts (an Observer
	// sees every frame without keeping them).
	OnSessionEnd func(*Transcript)
}

// Latencies are the live pace's delays, measured on the live service.
type Latencies struct {
	SessionUpdated      time.Duration // session.update → session.updated (~260 ms)
	Reply               time.Duration // any other client event but audio → its answer: errors, item acks, cancels (~265 ms)
	ResponseCreated     time.Duration // trigger → response.created (~280 ms)
	FirstDelta          time.Duration // trigger → first text/audio delta (~480 ms)
	Committed           time.Duration // commit → input_audio_buffer.committed (~260 ms)
	TranscriptionDelta  time.Duration // commit → first input transcription delta (~1.2 s)
	TranscriptionDone   time.Duration // commit → transcription completed
	RateLimitsAfterDone time.Duration // response.done → rate_limits.updated (~43 ms)
	AudioSpeed          float64       // audio generation speed as a multiple of playback (default 3)
}

// DefaultLatencies are the live service's observed latencies (docs/pace.md,
// with their sources).
var DefaultLatencies = Latencies{
	SessionUpdated:      260 * time.Millisecond,
	Reply:               265 * time.Millisecond,
	ResponseCreated:     280 * time.Millisecond,
	FirstDelta:          480 * time.Millisecond,
	Committed:           260 * time.Millisecond,
	TranscriptionDelta:  1200 * time.Millisecond,
	TranscriptionDone:   1500 * time.Millisecond,
	RateLimitsAfterDone: 43 * time.Millisecond,
	AudioSpeed:          3,
}

func (l Latencies) withDefaults() Latencies {
	d := DefaultLatencies
	set := func(dst *time.Duration, v time.Duration) {
		if v != 0 {
			*dst = v
		}
	}
	set(&d.SessionUpdated, l.SessionUpdated)
	set(&d.Reply, l.Reply)
	set(&d.ResponseCreated, l.ResponseCreated)
	set(&d.FirstDelta, l.FirstDelta)
	set(&d.Committed, l.Committed)
	set(&d.TranscriptionDelta, l.TranscriptionDelta)
	set(&d.TranscriptionDone, l.TranscriptionDone)
	set(&d.RateLimitsAfterDone, l.RateLimitsAfterDone)
	if l.AudioSpeed > 0 {
		d.AudioSpeed = l.AudioSpeed
	}
	return d
}

// config is Options with every default applied; immutable once built.
type config struct {
	Options
	lat       Latencies
	replay    *replayPlan
	paceGiven bool // Options.Pace was set: a scenario's pace does not override it
}

func newConfig(opts *Options) *config {
	var o Options
	if opts != nil {
		o = *opts
	}
	paceGiven := o.Pace.Mode != scenarios.PaceDefault
	o.Pace = defaultPace(o.Pace, o.Scenario)
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 21 << 20 // 15 MiB of audio is 20 MiB of base64
	}
	orInt(&o.MaxQueuedBytes, 32<<20)
	orInt(&o.MaxSessions, 10000)
	orInt(&o.MaxHeaderBytes, 64<<10)
	orDuration(&o.SessionMaxDuration, 60*time.Minute)
	orDuration(&o.WriteTimeout, 10*time.Second)
	orDuration(&o.IdleTimeout, 60*time.Second)
	c := &config{Options: o, lat: o.Latencies.withDefaults(), paceGiven: paceGiven}
	if o.Cassette != nil {
		c.replay = newReplayPlan(o.Cassette)
	}
	return c
}

func orInt(dst *int, v int) {
	if *dst == 0 {
		*dst = v
	}
}

func orDuration(dst *time.Duration, v time.Duration) {
	if *dst == 0 {
		*dst = v
	}
}

// defaultPace is the pace a server uses: the one asked for, else the
// scenario's, else live.
func defaultPace(p scenarios.Pace, scn *scenarios.Scenario) scenarios.Pace {
	if p.Mode == scenarios.PaceDefault {
		if scn != nil && scn.Pace.Mode != scenarios.PaceDefault {
			p = scn.Pace
		} else {
			p = scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}
		}
	}
	if p.Factor <= 0 {
		p.Factor = 1
	}
	return p
}
