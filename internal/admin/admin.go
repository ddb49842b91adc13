// Package admin is the control surface of a running mock, under the
// reserved prefix /__rtmock/: the sessions with their verdicts, one
// session's transcript and timeline, reset, a scenario loaded at run time,
// a fault injected into a live session, and simulated incoming SIP calls
// with their state. It answers only requests
// addressed to this machine (or to hosts allowed by name), with the same
// key as the realtime path when the mock has one.
package admin

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/internal/hostcheck"
	"github.com/rtmock/rtmock/internal/monitor"
	"github.com/rtmock/rtmock/internal/view"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// Prefix is where the admin API lives.
const Prefix = "/__rtmock/"

// maxBody bounds a request body (a scenario, a fault).
const maxBody = 4 << 20

// Options configure the admin API.
type Options struct {
	Handler func() *mockserver.Handler // the mock it controls (known once the server runs)
	Monitor *monitor.Monitor           // judged sessions
	APIKey  string                     // "" when the mock takes any key
	Hosts   *hostcheck.Checker         // which Host headers it answers; nil: loopback only
	Version string                     // for the timeline page
	// Middleware, when set, wraps the admin API (to count its requests).
	Middleware func(http.Handler) http.Handler
}

// Wrap returns a wrapper for mockserver.Options.Wrap: requests under
// Prefix go to the admin API, everything else to the mock.
func Wrap(o *Options) func(http.Handler) http.Handler {
	a := &api{o: *o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"sessions", a.sessions)
	mux.HandleFunc("GET "+Prefix+"sessions/{id}/transcript", a.transcript)
	mux.HandleFunc("GET "+Prefix+"sessions/{id}/timeline", a.timeline)
	mux.HandleFunc("POST "+Prefix+"sessions/{id}/faults", a.fault)
	mux.HandleFunc("POST "+Prefix+"reset", a.reset)
	mux.HandleFunc("PUT "+Prefix+"scenario", a.scenario)
	mux.HandleFunc("POST "+Prefix+"sip/calls", a.ring)
	mux.HandleFunc("GET "+Prefix+"sip/calls", a.sipCalls)
	mux.HandleFunc("GET "+Prefix+"sip/calls/{id}", a.sipCall)
	mux.HandleFunc("GET "+Prefix+"ui", serveAsset("ui.html", "text/html; charset=utf-8"))
	mux.HandleFunc("GET "+Prefix+"ui.js", serveAsset("ui.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET "+Prefix+"ui.css", serveAsset("ui.css", "text/css; charset=utf-8"))
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "no such admin route: "+r.Method+" "+r.URL.Path)
	})
	admin := a.guard(mux)
	if o.Middleware != nil {
		admin = o.Middleware(admin)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, Prefix) {
				admin.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type api struct{ o Options }

// UIPath is the live list of sessions (rtmock serve --ui).
const UIPath = Prefix + "ui"

//go:embed ui.html ui.js ui.css
var assets embed.FS

func serveAsset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		b, err := assets.ReadFile(name)
		if err != nil {
			fail(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	}
}

// guard refuses other hosts (DNS rebinding) and wrong keys.
func (a *api) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allowed := hostcheck.Loopback(r.Host)
		if a.o.Hosts != nil {
			allowed = a.o.Hosts.Allowed(r.Host)
		}
		if !allowed {
			fail(w, http.StatusForbidden, "the admin API answers only requests addressed to this machine")
			return
		}
		if a.o.APIKey != "" && !keyOK(r, a.o.APIKey) {
			fail(w, http.StatusUnauthorized, "the admin API needs the mock's key (api-key header or Authorization: Bearer)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func keyOK(r *http.Request, key string) bool {
	got := r.Header.Get("api-key")
	if got == "" {
		got, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(key)) == 1
}

// session is one session in the sessions listing.
type session struct {
	N             int64     `json:"n"`
	ID            string    `json:"id"`
	Dialect       string    `json:"dialect"`
	Path          string    `json:"path"`
	Scenario      string    `json:"scenario,omitempty"`
	Live          bool      `json:"live"`
	Verdict       string    `json:"verdict,omitempty"` // pass, fail or n/a, once judged
	NotApplicable string    `json:"not_applicable,omitempty"`
	Failures      []failure `json:"failures,omitempty"`
}

type failure struct {
	Rule    string  `json:"rule"`
	T       float64 `json:"t"`
	Problem string  `json:"problem"`
}

func (a *api) sessions(w http.ResponseWriter, _ *http.Request) {
	out := []session{}
	for _, s := range a.o.Handler().Sessions() {
		out = append(out, session{N: s.N, ID: s.ID, Dialect: string(s.Dialect), Path: s.Path, Scenario: s.Scenario, Live: true})
	}
	for _, r := range a.o.Monitor.Records() {
		out = append(out, judged(r))
	}
	writeJSON(w, map[string]any{"sessions": out})
}

func judged(r *monitor.Record) session {
	s := session{N: r.Info.N, ID: r.Info.ID, Dialect: string(r.Info.Dialect), Path: r.Info.Path, Scenario: r.Info.Scenario, Verdict: "pass"}
	switch {
	case r.NotApplicable != "":
		s.Verdict, s.NotApplicable = "n/a", r.NotApplicable
	case r.Failed:
		s.Verdict = "fail"
	}
	for _, v := range append(r.Verdicts[:len(r.Verdicts):len(r.Verdicts)], r.Expectations...) {
		if !v.Failed() {
			continue
		}
		for _, f := range v.Findings {
			s.Failures = append(s.Failures, failure{Rule: v.Rule, T: f.At.Seconds(), Problem: f.Problem})
		}
	}
	return s
}

func (a *api) record(w http.ResponseWriter, r *http.Request) *monitor.Record {
	rec := a.o.Monitor.Record(r.PathValue("id"))
	if rec == nil {
		fail(w, http.StatusNotFound, "no ended session "+r.PathValue("id")+" (live sessions have no transcript yet; the last ones judged are kept)")
	}
	return rec
}

func (a *api) transcript(w http.ResponseWriter, r *http.Request) {
	rec := a.record(w, r)
	if rec == nil {
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	rec.Transcript.WriteCassette(w, &cassette.WriterOptions{})
}

func (a *api) timeline(w http.ResponseWriter, r *http.Request) {
	rec := a.record(w, r)
	if rec == nil {
		return
	}
	var b bytes.Buffer
	if err := rec.Transcript.WriteCassette(&b, &cassette.WriterOptions{}); err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	s, err := view.ParseSession(b.Bytes(), "session "+rec.Info.ID)
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	for _, v := range append(rec.Verdicts[:len(rec.Verdicts):len(rec.Verdicts)], rec.Expectations...) {
		for _, f := range v.Findings {
			if v.Failed() {
				s.Findings = append(s.Findings, view.Finding{Rule: v.Rule, Severity: "error", T: f.At.Seconds(), Problem: f.Problem, Want: f.Want})
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	p := &view.Page{Generator: "rtmock " + a.o.Version, Sessions: []*view.Model{view.Build(s, nil)}}
	p.WriteHTML(w)
}

func (a *api) fault(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	f, err := faults.Parse(strings.TrimSpace(string(body)))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := a.o.Handler().InjectFault(r.PathValue("id"), f); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, mockserver.ErrNoSession) {
			status = http.StatusNotFound
		}
		fail(w, status, err.Error())
		return
	}
	writeJSON(w, map[string]string{"injected": f.String()})
}

func (a *api) reset(w http.ResponseWriter, _ *http.Request) {
	a.o.Monitor.Reset()
	writeJSON(w, map[string]string{"reset": "the judged sessions are forgotten"})
}

func (a *api) scenario(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	sc, err := scenarios.Parse("scenario", body)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	a.o.Handler().SetScenario(sc)
	writeJSON(w, map[string]string{"scenario": sc.Name, "applies_to": "sessions that start from now on"})
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "the body is over 4 MiB or could not be read")
		return nil, false
	}
	return b, true
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"status": status, "message": msg}})
}
