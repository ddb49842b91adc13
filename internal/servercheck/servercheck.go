// Package servercheck judges a server that claims to speak the Realtime
// API: it plays scripted client sessions against it and checks what the
// server sends with the invariants rtmock holds itself to
// (internal/invariant: one response.done per response.created, items,
// parts and deltas nested and closed in order, transcripts equal to their
// deltas, whole audio samples, one dialect) and the orderings of a FIFO
// service (replies in the order of the requests). Gateways, local servers
// and rtmock itself are checked the same way; so is the live service, with
// a key from the environment.
package servercheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/internal/invariant"
	"github.com/rtmock/rtmock/realtime"
)

// Options configure Run.
type Options struct {
	// URL is the realtime endpoint (ws://, wss://, http:// or https://
	// with its path and query): /openai/realtime?api-version=… is the
	// preview dialect, as is /v1/realtime with Header OpenAI-Beta:
	// realtime=v1; other paths are GA.
	URL string
	// Header is sent with every upgrade (the key: api-key or
	// Authorization).
	Header http.Header
	// Timeout bounds each exchange. Default 60 s.
	Timeout time.Duration
}

// Exchange is one scripted session: the client events it sends at once
// after session.created, and the server events it waits for, in order.
type Exchange struct {
	Name  string
	Send  []string // client events; "{session}" stands for the dialect's session object
	Until []string // server event types waited for, in this order
	// Before lists pairs of server event types that must come in this
	// order (the first of each before the first of the other).
	Before [][2]string
}

// Exchanges are the scripted sessions Run plays.
var Exchanges = []Exchange{
	{Name: "text turn", Send: []string{
		`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Say hello."}]}}`,
		`{"type":"response.create"}`,
	}, Until: []string{"response.done"}},
	{Name: "response.create then response.cancel at once", Send: []string{`{"type":"response.create"}`, `{"type":"response.cancel"}`},
		Until: []string{"response.done"}, Before: [][2]string{{"response.created", "response.done"}}},
	// The second is refused while the first is active; a server whose
	// first response ended before the second arrived (an instant pace)
	// may answer it instead. Either way no refusal may precede the
	// response.created it refers to.
	{Name: "two response.create at once", Send: []string{`{"type":"response.create"}`, `{"type":"response.create"}`},
		Until: []string{"response.done"}, Before: [][2]string{{"response.created", "error"}}},
	{Name: "a bad event, then a turn", Send: []string{`{"type":"session.update","session":{session}}`, `{"type":"no.such.event"}`, `{"type":"response.create"}`},
		Until: []string{"error", "response.done"}, Before: [][2]string{{"session.updated", "error"}, {"error", "response.created"}}},
	spokenTurn(),
}

// spokenTurn streams a second of silence, a second of a 440 Hz tone and a
// second and a half of silence, as 100 ms appends, to the server's default
// server VAD: one turn, committed and answered.
func spokenTurn() Exchange {
	tone, err := audio.NewTone(audio.PCM16, 440, 0.5)
	if err != nil {
		panic("servercheck: " + err.Error())
	}
	silence := audio.NewSilence(audio.PCM16)
	const chunk = 100 * 48 // 100 ms of PCM16 at 24 kHz
	var sends []string
	for range 10 {
		sends = append(sends, appendEvent(silence.AppendBase64(nil, 0, chunk)))
	}
	for i := range 10 {
		sends = append(sends, appendEvent(tone.AppendBase64(nil, i*chunk, chunk)))
	}
	for range 15 {
		sends = append(sends, appendEvent(silence.AppendBase64(nil, 0, chunk)))
	}
	return Exchange{Name: "a spoken turn (server VAD)", Send: sends,
		Until: []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "response.done"},
		Before: [][2]string{{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"},
			{"input_audio_buffer.speech_stopped", "input_audio_buffer.committed"}, {"input_audio_buffer.committed", "response.created"}}}
}

func appendEvent(b64 []byte) string {
	return `{"type":"input_audio_buffer.append","audio":"` + string(b64) + `"}`
}

// Result is one exchange's outcome.
type Result struct {
	Exchange   string   `json:"exchange"`
	Dialect    string   `json:"dialect"`
	Events     int      `json:"events"`
	Problems   []string `json:"problems,omitempty"`
	Violations []string `json:"violations,omitempty"`
}

// Failed reports whether the exchange failed.
func (r *Result) Failed() bool { return len(r.Problems)+len(r.Violations) > 0 }

// Report is the outcome of Run.
type Report struct {
	URL     string    `json:"url"`
	Results []*Result `json:"results"`
}

// Failed reports whether any exchange failed.
func (r *Report) Failed() bool {
	for _, x := range r.Results {
		if x.Failed() {
			return true
		}
	}
	return false
}

// Dialect tells the dialect an endpoint speaks from its URL and headers.
func Dialect(rawURL string, h http.Header) (realtime.Dialect, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("servercheck: %w", err)
	}
	switch {
	case strings.HasSuffix(u.Path, "/openai/realtime") && u.Query().Get("api-version") != "":
		return realtime.Preview, nil
	case strings.Contains(strings.ToLower(h.Get("OpenAI-Beta")), "realtime=v1"):
		return realtime.Preview, nil
	case strings.HasSuffix(u.Path, "/realtime"):
		return realtime.GA, nil
	}
	return "", fmt.Errorf("servercheck: %s is no realtime endpoint (want …/openai/realtime?api-version=…, …/openai/v1/realtime?model=… or …/v1/realtime?model=…)", rawURL)
}

// Run plays every exchange, each in a session of its own, and judges them.
func Run(ctx context.Context, o *Options) (*Report, error) {
	d, err := Dialect(o.URL, o.Header)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	rep := &Report{URL: o.URL}
	for _, x := range Exchanges {
		rep.Results = append(rep.Results, play(ctx, o, d, x))
	}
	return rep, nil
}

func wsURL(u string) string {
	if strings.HasPrefix(u, "http") {
		return "ws" + strings.TrimPrefix(u, "http")
	}
	return u
}

// play runs one exchange.
func play(ctx context.Context, o *Options, d realtime.Dialect, x Exchange) *Result {
	res := &Result{Exchange: x.Name, Dialect: string(d)}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL(o.URL), &websocket.DialOptions{HTTPHeader: o.Header})
	if err != nil {
		res.Problems = append(res.Problems, "connect: "+dialError(err, resp))
		return res
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	chk := invariant.New(d, 2)
	var seen []string
	read := func(want string) bool {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				res.Problems = append(res.Problems, fmt.Sprintf("waiting for %s: %v (events so far: %s)", want, err, strings.Join(seen, " ")))
				return false
			}
			chk.Add(data)
			var ev struct{ Type string }
			json.Unmarshal(data, &ev)
			seen = append(seen, ev.Type)
			if ev.Type == want {
				return true
			}
		}
	}
	if !read("session.created") {
		return finish(res, chk, seen, x)
	}
	for _, s := range x.Send {
		s = strings.ReplaceAll(s, "{session}", sessionObject(d))
		if err := conn.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			res.Problems = append(res.Problems, "send: "+err.Error())
			return finish(res, chk, seen, x)
		}
	}
	for _, want := range x.Until {
		if !read(want) {
			break
		}
	}
	conn.Close(websocket.StatusNormalClosure, "")
	return finish(res, chk, seen, x)
}

func sessionObject(d realtime.Dialect) string {
	if d == realtime.GA {
		return `{"type":"realtime","instructions":"Be brief."}`
	}
	return `{"instructions":"Be brief."}`
}

// finish adds the invariants' violations and the orderings.
func finish(res *Result, chk *invariant.Checker, seen []string, x Exchange) *Result {
	res.Events = len(seen)
	for _, v := range chk.Finish(len(res.Problems) > 0).Violations {
		res.Violations = append(res.Violations, v.String())
	}
	for _, b := range x.Before {
		i, j := index(seen, b[0]), index(seen, b[1])
		if j >= 0 && (i < 0 || i > j) {
			res.Violations = append(res.Violations, fmt.Sprintf("%s came before %s: the service answers requests in the order they were sent", b[1], b[0]))
		}
	}
	return res
}

func index(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

func dialError(err error, resp *http.Response) string {
	if resp == nil {
		return err.Error()
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Sprintf("HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rtmock conformance --server %s\n", r.URL)
	failed := 0
	for _, x := range r.Results {
		status := "PASS"
		if x.Failed() {
			status, failed = "FAIL", failed+1
		}
		fmt.Fprintf(&b, "%s %s [%s] (%d events)\n", status, x.Exchange, x.Dialect, x.Events)
		for _, p := range x.Problems {
			fmt.Fprintf(&b, "  problem: %s\n", p)
		}
		for _, v := range x.Violations {
			fmt.Fprintf(&b, "  violation: %s\n", v)
		}
	}
	fmt.Fprintf(&b, "%d of %d exchanges failed\n", failed, len(r.Results))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		Passed bool `json:"passed"`
	}{r, !r.Failed()})
}

// ErrFailed is returned by callers that map a failed report to an exit
// status.
var ErrFailed = errors.New("servercheck: the server broke the protocol")
