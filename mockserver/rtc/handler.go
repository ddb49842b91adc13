package rtc

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Options configure a Handler. The zero value of every field but NewSession
// means its default.
type Options struct {
	// NewSession creates the session core of a new call; required. It runs
	// while the client waits for its SDP answer: an error refuses the call
	// (a *RequestError with its status, any other error with 500).
	NewSession func(*CallInfo) (Session, error)

	// RenderSession returns the effective session the client-secret routes
	// send back (and store with the key) for a requested one; nil renders
	// the request itself, with "type":"realtime" filled in on GA routes.
	// A *RequestError refuses the request with its status.
	RenderSession func(*SessionRequest) (json.RawMessage, error)

	// APIKey is the standard key the routes require (as an "api-key"
	// header on Azure, or "Authorization: Bearer"); empty accepts any
	// non-empty key. Ephemeral keys ("ek_…") are always checked against
	// the keys this Handler minted.
	APIKey string

	// KeyTTL is how long an ephemeral key minted on a GA route lives when
	// the request does not say (expires_after.seconds); 0 means 600 s, the
	// service's default.
	KeyTTL time.Duration
	// PreviewKeyTTL is how long a key from Azure's preview sessions route
	// lives; 0 means 60 s, as Azure documents.
	PreviewKeyTTL time.Duration
	// ReusableKeys lets one ephemeral key open several calls until it
	// expires, as OpenAI's reference says; by default a key opens one call,
	// as clients have observed the live service enforce (see docs/webrtc.md).
	ReusableKeys bool

	// Clock paces the outgoing audio and dates key expiry and connection
	// timeouts; nil means the system clock.
	Clock Clock
	// ConnectTimeout ends a call whose client has not opened its data
	// channel this long after the answer; 0 means 30 s.
	ConnectTimeout time.Duration

	// WebhookURL is where IncomingCall posts the realtime.call.incoming
	// event of a simulated SIP call, unless the call names another URL.
	WebhookURL string
	// WebhookSecret signs the webhooks: "whsec_" and base64, as OpenAI
	// issues them, or any other string taken as bytes (as the SDKs read
	// it). Empty makes a "whsec_" secret from Seed; WebhookSecret tells it.
	WebhookSecret string
	// WebhookClient posts the webhooks; nil uses a client of the Handler's
	// own, which Close cleans up.
	WebhookClient *http.Client
	// OnSIPCallEnd, when set, is told of each simulated SIP call that is
	// over (rejected, referred or hung up), after its state changed and
	// outside the Handler's locks: the mock closes the call's control
	// WebSockets from it.
	OnSIPCallEnd func(SIPCall)

	// Seed makes call ids and keys reproducible; 0 seeds from the time.
	Seed int64
	// Logger receives the Handler's diagnostics; nil discards them.
	Logger *slog.Logger
}

// SessionRequest is a client-secret request as Options.RenderSession sees it.
type SessionRequest struct {
	Provider Provider
	Dialect  realtime.Dialect
	// Session is the requested session: the "session" member on GA routes,
	// the whole body on Azure's preview route; nil when absent.
	Session json.RawMessage
}

// Handler serves the HTTP surface of WebRTC calls (ephemeral keys, SDP
// offer/answer and hang-up, for OpenAI, Azure GA and Azure preview) and
// the call control of simulated SIP calls (IncomingCall; accept, reject,
// refer, hang-up). Paths it does not serve get 404, so it can be mounted
// on exactly these paths:
//
//	POST /v1/realtime/client_secrets            OpenAI GA ephemeral key
//	POST /openai/v1/realtime/client_secrets     Azure GA ephemeral key
//	POST /openai/realtimeapi/sessions?api-version=…  Azure preview ephemeral key
//	POST /v1/realtime/calls                     OpenAI GA SDP offer (application/sdp or multipart)
//	POST /openai/v1/realtime/calls              Azure GA SDP offer (?webrtcfilter=on)
//	POST /v1/realtimertc?model=…                Azure preview SDP offer
//	POST /v1/realtime/calls/{id}/hangup         OpenAI hang-up
//	POST /openai/v1/realtime/calls/{id}/hangup  Azure GA hang-up
//	POST /v1/realtime/calls/{id}/accept         SIP call control: accept (reject, refer alike)
//	POST /openai/v1/realtime/calls/{id}/accept  Azure GA SIP call control (reject, refer alike)
//
// and OPTIONS on each for browsers' CORS preflight.
type Handler struct {
	opts  Options
	clock Clock
	log   *slog.Logger
	keys  keyStore
	media *media

	rngMu sync.Mutex
	rng   *rand.Rand

	mu     sync.Mutex
	calls  map[string]*call
	closed bool
	wg     sync.WaitGroup // one per live call

	sip           sipCalls
	secret        string // signs webhooks
	webhookClient *http.Client
	ownTransport  *http.Transport // the webhook client's, when the Handler made it
}

// NewHandler returns a Handler with opts (copied; nil is not allowed, as
// NewSession is required).
func NewHandler(opts *Options) (*Handler, error) {
	if opts == nil || opts.NewSession == nil {
		return nil, errors.New("rtc: new handler: Options.NewSession is required")
	}
	o := *opts
	if o.KeyTTL == 0 {
		o.KeyTTL = 600 * time.Second
	}
	if o.PreviewKeyTTL == 0 {
		o.PreviewKeyTTL = 60 * time.Second
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	h := &Handler{opts: o, clock: o.Clock, log: o.Logger, calls: map[string]*call{}}
	if h.clock == nil {
		h.clock = systemClock{}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.rng = rand.New(rand.NewPCG(uint64(o.Seed), 0x7e1ec0de))
	if err := h.setUpWebhooks(); err != nil {
		return nil, err
	}
	m, err := newMedia()
	if err != nil {
		return nil, fmt.Errorf("rtc: new handler: %w", err)
	}
	h.media = m
	return h, nil
}

// route is what a path means.
type route struct {
	provider Provider
	dialect  realtime.Dialect
	kind     routeKind
	callID   string // hang-up and SIP call control
}

type routeKind int

const (
	routeSecret routeKind = iota + 1
	routeCall
	routeHangup
	routeAccept
	routeReject
	routeRefer
)

// callVerbs are the routes under …/calls/{id}/.
var callVerbs = map[string]routeKind{"hangup": routeHangup, "accept": routeAccept, "reject": routeReject, "refer": routeRefer}

// Handles reports whether path is one of the Handler's routes, so that a
// server can send those requests to it and the rest elsewhere.
func Handles(path string) bool {
	_, ok := parseRoute(path)
	return ok
}

func parseRoute(path string) (route, bool) {
	switch path {
	case "/v1/realtime/client_secrets":
		return route{OpenAI, realtime.GA, routeSecret, ""}, true
	case "/openai/v1/realtime/client_secrets":
		return route{Azure, realtime.GA, routeSecret, ""}, true
	case "/openai/realtimeapi/sessions":
		return route{Azure, realtime.Preview, routeSecret, ""}, true
	case "/v1/realtime/calls":
		return route{OpenAI, realtime.GA, routeCall, ""}, true
	case "/openai/v1/realtime/calls":
		return route{Azure, realtime.GA, routeCall, ""}, true
	case "/v1/realtimertc":
		return route{Azure, realtime.Preview, routeCall, ""}, true
	}
	for _, p := range []struct {
		prefix   string
		provider Provider
	}{{"/v1/realtime/calls/", OpenAI}, {"/openai/v1/realtime/calls/", Azure}} {
		rest, ok := strings.CutPrefix(path, p.prefix)
		if !ok {
			continue
		}
		id, verb, ok := strings.Cut(rest, "/")
		if kind := callVerbs[verb]; ok && kind != 0 && id != "" {
			return route{p.provider, realtime.GA, kind, id}, true
		}
	}
	return route{}, false
}

// ServeHTTP serves the routes listed on Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		notFound(w)
		return
	}
	allowCORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		(&RequestError{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("Method %s is not allowed on %s; use POST.", r.Method, r.URL.Path)}).write(w)
		return
	}
	if rt.provider == Azure && rt.dialect == realtime.Preview && rt.kind == routeSecret && r.URL.Query().Get("api-version") == "" {
		// Azure answers a preview route without api-version with 404.
		notFound(w)
		return
	}
	switch rt.kind {
	case routeSecret:
		h.serveSecret(w, r, rt)
	case routeCall:
		h.serveCall(w, r, rt)
	case routeHangup:
		h.serveHangup(w, r, rt)
	default:
		h.serveSIP(w, r, rt)
	}
}

// allowCORS lets pages of any origin call the routes, as the services do
// for browsers: the answer's Location header must be readable by script.
func allowCORS(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Add("Vary", "Origin")
	hd.Set("Access-Control-Expose-Headers", "Location")
	if r.Method == http.MethodOptions {
		hd.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			hd.Set("Access-Control-Allow-Headers", req)
		}
		hd.Set("Access-Control-Max-Age", "600")
	}
}

// credential is what a request authenticates with.
type credential struct {
	value     string // the key or token; "" when none was sent
	ephemeral bool
}

func credentials(r *http.Request) credential {
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		v := strings.TrimSpace(a[7:])
		return credential{value: v, ephemeral: strings.HasPrefix(v, ephemeralPrefix)}
	}
	if k := r.Header.Get("api-key"); k != "" {
		return credential{value: k, ephemeral: strings.HasPrefix(k, ephemeralPrefix)}
	}
	return credential{}
}

// standardKeyOK checks a standard (non-ephemeral) key against Options.APIKey.
func (h *Handler) standardKeyOK(c credential) bool {
	if c.value == "" || c.ephemeral {
		return false
	}
	return h.opts.APIKey == "" || subtle.ConstantTimeCompare([]byte(c.value), []byte(h.opts.APIKey)) == 1
}

// randomID returns prefix and n random characters of the id alphabet.
func (h *Handler) randomID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, len(prefix), len(prefix)+n)
	copy(b, prefix)
	h.rngMu.Lock()
	for range n {
		b = append(b, alphabet[h.rng.IntN(len(alphabet))])
	}
	h.rngMu.Unlock()
	return string(b)
}

// rngUint32 returns a random number from the Handler's seeded source.
func (h *Handler) rngUint32() uint32 {
	h.rngMu.Lock()
	defer h.rngMu.Unlock()
	return h.rng.Uint32()
}

// readBody reads at most limit bytes of the request body.
func readBody(r *http.Request, limit int64) ([]byte, *RequestError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, invalidRequest("", "", "Could not read the request body: %v.", err)
	}
	if int64(len(b)) > limit {
		return nil, &RequestError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("The request body is larger than %d bytes.", limit)}
	}
	return b, nil
}

// setUpWebhooks takes or makes the webhook secret and client.
func (h *Handler) setUpWebhooks() error {
	h.secret = h.opts.WebhookSecret
	if h.secret == "" {
		var key [32]byte
		for i := range key {
			key[i] = byte(h.rng.UintN(256))
		}
		h.secret = webhookSecretPrefix + base64.StdEncoding.EncodeToString(key[:])
	}
	if _, err := WebhookKey(h.secret); err != nil {
		return fmt.Errorf("rtc: new handler: %w", err)
	}
	if h.opts.WebhookURL != "" {
		if err := checkWebhookURL(h.opts.WebhookURL); err != nil {
			return fmt.Errorf("rtc: new handler: %w", err)
		}
	}
	h.webhookClient = h.opts.WebhookClient
	if h.webhookClient == nil {
		h.ownTransport = &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
		h.webhookClient = &http.Client{Transport: h.ownTransport}
	}
	return nil
}

// Close hangs up every call (their Sessions get Closed(ErrServerClosed))
// and waits until all of their goroutines have ended. Later requests for a
// call get 503. Close is idempotent.
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closed = true
	calls := make([]*call, 0, len(h.calls))
	for _, c := range h.calls {
		calls = append(calls, c)
	}
	h.mu.Unlock()
	for _, c := range calls {
		c.end(ErrServerClosed, "handler closed")
	}
	h.wg.Wait()
	if h.ownTransport != nil {
		h.ownTransport.CloseIdleConnections()
	}
	return nil
}
