// Package faults describes the disturbances rtmock can inject into a
// session, each a small typed value in the manner of a network proxy's
// "toxics": a kind, a direction, an optional probability and the point at
// which it applies. The mock server applies them; scenarios and the
// command line spell them the same way:
//
//	latency:dir=server,delay=80ms,jitter=20ms      every server frame 60–100 ms late
//	latency:dir=client,delay=50ms                   client frames reach the session late
//	stall:at=2s,for=3s                              nothing is sent from 2 s to 5 s, then all of it
//	disconnect:on=response.output_audio.delta,nth=3,code=1006   drop the socket mid-audio
//	disconnect:at=1500ms,code=1011,reason=boom      close with 1011 at 1.5 s
//	drop:match=response.audio.delta,p=0.1           lose 10% of audio deltas
//	duplicate:match=response.audio_transcript.delta,p=0.05
//	reorder:match=response.*.delta,p=0.2            swap a delta with the next server event
//	error:code=server_error,on=response.created     an error event after the first response.created
//	error:code=rate_limit_exceeded,at=3s,type=rate_limit_error
//	expire:at=30s                                   session_expired at 30 s, then close
//	handshake:status=429,p=0.5                      refuse half of the upgrades with 429
//	ratelimits:exhausted                            rate_limits.updated reports nothing left
//	rtp:p=0.05                                      WebRTC: lose 5% of the audio packets
//	rtp:delay=40ms,jitter=30ms,p=0.2                WebRTC: hold a fifth of the packets back 10–70 ms
//	datachannel-close:at=3s                         WebRTC: the data channel fails at 3 s
//
// Probabilities draw on the session's seeded random source, so a seed
// reproduces which frames a fault hits.
//
// # Layers
//
// A Fault is only a description. [Fault.Bind] turns it into a [Layer] for
// one session: a small type per kind (latency.go, drop.go, …) that sits
// between the session and its transport, sees every server frame on its way
// out and every client frame on its way in, and may delay, drop, repeat,
// hold back or rewrite them, or act on the session through its [Env]. The
// session knows nothing of the kinds: adding a fault is adding a file and a
// line in the table of binders. The package imports the standard library,
// cassette (for the one frame type) and realtime.
package faults

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Kind is what a fault does.
type Kind string

// The kinds of fault.
const (
	Latency    Kind = "latency"
	Stall      Kind = "stall"
	Disconnect Kind = "disconnect"
	Drop       Kind = "drop"
	Duplicate  Kind = "duplicate"
	Reorder    Kind = "reorder"
	Error      Kind = "error"
	Expire     Kind = "expire"
	Handshake  Kind = "handshake"
	RateLimits Kind = "ratelimits"
	// RTP and DataChannelClose act on WebRTC calls only: on the outgoing
	// audio packets, and on the data channel.
	RTP              Kind = "rtp"
	DataChannelClose Kind = "datachannel-close"
)

// Direction is which way the frames a fault affects travel.
type Direction string

// Directions.
const (
	Server Direction = "server" // frames the mock sends (the default)
	Client Direction = "client" // frames the client sends
)

// Fault is one disturbance. Zero fields mean "always", "from the start",
// "every matching frame".
type Fault struct {
	Kind Kind
	Dir  Direction
	// Probability that the fault applies to a matching frame (or, for
	// handshake, to an upgrade); 0 means 1.
	Probability float64
	// Match restricts the fault to server events whose type matches this
	// path.Match pattern ("response.*.delta"); "" matches every frame.
	Match string
	// At is when the fault fires, since the upgrade (stall, disconnect,
	// error, expire).
	At time.Duration
	// On makes the fault fire after the Nth server event of this type
	// instead of at a time (disconnect, error).
	On  string
	Nth int // default 1
	// Delay and Jitter are the latency's mean and spread (± Jitter).
	Delay, Jitter time.Duration
	// For is how long a stall lasts.
	For time.Duration
	// Code is the close code (disconnect; 1006 closes without a close
	// frame), the error code (error), or the HTTP status (handshake).
	Code int
	// ErrorCode, ErrorType and Message describe an injected error event.
	ErrorCode, ErrorType, Message string
	// Reason is the close reason of a disconnect.
	Reason string
}

// Parse reads a fault in the form "kind:key=value,key=value".
func Parse(s string) (Fault, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	f := Fault{Kind: Kind(kind), Dir: Server, Nth: 1}
	switch f.Kind {
	case Latency, Stall, Disconnect, Drop, Duplicate, Reorder, Error, Expire, Handshake, RateLimits, RTP, DataChannelClose:
	default:
		return f, fmt.Errorf("fault %q: unknown kind %q (want latency, stall, disconnect, drop, duplicate, reorder, error, expire, handshake, ratelimits, rtp or datachannel-close)", s, kind)
	}
	if rest != "" {
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				if kv == "exhausted" && f.Kind == RateLimits {
					continue
				}
				if kv == "server" || kv == "client" {
					f.Dir = Direction(kv)
					continue
				}
				return f, fmt.Errorf("fault %q: %q is not key=value", s, kv)
			}
			if err := f.set(k, v); err != nil {
				return f, fmt.Errorf("fault %q: %s: %w", s, k, err)
			}
		}
	}
	return f, f.Validate()
}

func (f *Fault) set(k, v string) error {
	setter := setters[k]
	if setter == nil {
		return fmt.Errorf("unknown key")
	}
	return setter(f, v)
}

// setters reads each key of a fault's text form.
var setters = map[string]func(f *Fault, v string) error{
	"dir": func(f *Fault, v string) error {
		if v != "server" && v != "client" {
			return fmt.Errorf("%q: want server or client", v)
		}
		f.Dir = Direction(v)
		return nil
	},
	"p": func(f *Fault, v string) error {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return fmt.Errorf("%q: want a probability from 0 to 1", v)
		}
		f.Probability = p
		return nil
	},
	"match": func(f *Fault, v string) error {
		if _, err := path.Match(v, ""); err != nil {
			return fmt.Errorf("%q is not a valid pattern", v)
		}
		f.Match = v
		return nil
	},
	"at":     func(f *Fault, v string) error { return parseDuration(v, &f.At) },
	"on":     func(f *Fault, v string) error { f.On = v; return nil },
	"nth":    func(f *Fault, v string) error { return parseCount(v, &f.Nth) },
	"delay":  func(f *Fault, v string) error { return parseDuration(v, &f.Delay) },
	"jitter": func(f *Fault, v string) error { return parseDuration(v, &f.Jitter) },
	"for":    func(f *Fault, v string) error { return parseDuration(v, &f.For) },
	"code": func(f *Fault, v string) error {
		if f.Kind == Error {
			f.ErrorCode = v
			return nil
		}
		return parseCount(v, &f.Code)
	},
	"status":  func(f *Fault, v string) error { return parseCount(v, &f.Code) },
	"type":    func(f *Fault, v string) error { f.ErrorType = v; return nil },
	"message": func(f *Fault, v string) error { f.Message = v; return nil },
	"reason":  func(f *Fault, v string) error { f.Reason = v; return nil },
}

func parseDuration(v string, dst *time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration (like 250ms or 2s)", v)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative: a fault cannot act before the session starts or take negative time", v)
	}
	*dst = d
	return nil
}

func parseCount(v string, dst *int) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	if n < 0 {
		return fmt.Errorf("%q is negative", v)
	}
	*dst = n
	return nil
}

// Validate reports a fault that cannot work.
func (f Fault) Validate() error {
	if f.Nth < 1 {
		return fmt.Errorf("fault %s: nth must be at least 1", f.Kind)
	}
	if check := validators[f.Kind]; check != nil {
		return check(f)
	}
	return nil
}

// validators check what each kind needs beyond its keys' own syntax.
var validators = map[Kind]func(Fault) error{
	Latency: func(f Fault) error {
		switch {
		case f.Delay <= 0 && f.Jitter <= 0:
			return fmt.Errorf("fault latency: needs delay= or jitter=")
		case f.Jitter > f.Delay:
			return fmt.Errorf("fault latency: jitter %v exceeds delay %v (frames cannot arrive early)", f.Jitter, f.Delay)
		}
		return nil
	},
	Stall: func(f Fault) error {
		if f.For <= 0 {
			return fmt.Errorf("fault stall: needs for=")
		}
		return nil
	},
	Handshake: func(f Fault) error {
		if f.Code < 400 || f.Code > 599 {
			return fmt.Errorf("fault handshake: status=%d is not an HTTP error status", f.Code)
		}
		return nil
	},
	Error: func(f Fault) error {
		if f.ErrorCode == "" && f.ErrorType == "" {
			return fmt.Errorf("fault error: needs code= or type=")
		}
		return nil
	},
	Disconnect: func(f Fault) error {
		if f.Code != 0 && (f.Code < 1000 || f.Code > 4999) {
			return fmt.Errorf("fault disconnect: code=%d is not a WebSocket close code", f.Code)
		}
		return nil
	},
	RTP: func(f Fault) error {
		switch {
		case f.Probability == 0 && f.Delay == 0 && f.Jitter == 0:
			return fmt.Errorf("fault rtp: needs p= (packet loss) or delay=/jitter= (late packets)")
		case f.Delay > 0 && f.Jitter > f.Delay:
			return fmt.Errorf("fault rtp: jitter %v exceeds delay %v (packets cannot arrive early)", f.Jitter, f.Delay)
		}
		return nil
	},
}

// Matches reports whether the fault applies to a server event of type typ.
func (f Fault) Matches(typ string) bool {
	if f.Match == "" {
		return true
	}
	ok, _ := path.Match(f.Match, typ)
	return ok
}

// Timed reports whether the fault fires once at a point (time or event)
// rather than acting on every frame.
func (f Fault) Timed() bool {
	switch f.Kind {
	case Stall, Disconnect, Error, Expire, DataChannelClose:
		return true
	}
	return false
}

// String renders the fault in the syntax Parse reads.
func (f Fault) String() string {
	var kv []string
	add := func(k, v string) { kv = append(kv, k+"="+v) }
	if f.Dir == Client {
		add("dir", "client")
	}
	if f.Probability > 0 {
		add("p", strconv.FormatFloat(f.Probability, 'f', -1, 64))
	}
	if f.Match != "" {
		add("match", f.Match)
	}
	if f.At > 0 {
		add("at", f.At.String())
	}
	if f.On != "" {
		add("on", f.On)
		if f.Nth > 1 {
			add("nth", strconv.Itoa(f.Nth))
		}
	}
	if f.Delay > 0 {
		add("delay", f.Delay.String())
	}
	if f.Jitter > 0 {
		add("jitter", f.Jitter.String())
	}
	if f.For > 0 {
		add("for", f.For.String())
	}
	switch {
	case f.Kind == Handshake:
		add("status", strconv.Itoa(f.Code))
	case f.Code != 0:
		add("code", strconv.Itoa(f.Code))
	}
	if f.ErrorCode != "" {
		add("code", f.ErrorCode)
	}
	if f.ErrorType != "" {
		add("type", f.ErrorType)
	}
	if f.Message != "" {
		add("message", f.Message)
	}
	if f.Reason != "" {
		add("reason", f.Reason)
	}
	if len(kv) == 0 {
		return string(f.Kind)
	}
	return string(f.Kind) + ":" + strings.Join(kv, ",")
}
