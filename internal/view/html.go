package view

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rtmock/rtmock/internal/hostcheck"
)

// The page: plain HTML, CSS and JavaScript, embedded, with no build step.
//
//go:embed assets/page.html assets/app.js assets/app.css
var assets embed.FS

func asset(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic("view: embedded asset missing: " + name) // a build without the assets is broken
	}
	return string(b)
}

var (
	pageHTML = asset("page.html")
	appJS    = asset("app.js")
	appCSS   = asset("app.css")
)

// csp is the page's Content-Security-Policy: nothing but its own inline
// script and style (by hash) and, when served, fetches from its own
// origin. A page written to a file makes no request at all.
func csp(scripts, styles []string) string {
	src := func(kind string, bodies []string) string {
		s := kind
		for _, b := range bodies {
			sum := sha256.Sum256([]byte(b))
			s += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		}
		return s
	}
	return "default-src 'none'; " + src("script-src", scripts) + "; " + src("style-src", styles) +
		"; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
}

// Page is what one page shows: one or more sessions.
type Page struct {
	Title     string   // the page's title; default: the first session's name
	Generator string   // what made it, e.g. "rtmock 0.2.0"
	Sessions  []*Model // in the order the page lists them
}

// pageData is the page's inline JSON.
type pageData struct {
	Title    string        `json:"title"`
	Fetch    string        `json:"fetch,omitempty"` // where the page fetches session N: Fetch + "N.json"
	Sessions []pageSession `json:"sessions"`
}

type pageSession struct {
	Name     string `json:"name"`
	Findings int    `json:"findings"`
	Model    *Model `json:"model,omitempty"` // inline, or fetched when nil
}

func (p *Page) title() string {
	if p.Title != "" {
		return p.Title
	}
	if len(p.Sessions) > 0 {
		return p.Sessions[0].Name + " · rtmock view"
	}
	return "rtmock view"
}

// render makes the page; inline puts every session's model in it, else
// the page fetches them from session/N.json.
func (p *Page) render(inline bool) ([]byte, error) {
	d := pageData{Title: p.title()}
	if !inline {
		d.Fetch = "session/"
	}
	for _, m := range p.Sessions {
		ps := pageSession{Name: m.Name, Findings: len(m.Findings)}
		if inline {
			ps.Model = m
		}
		d.Sessions = append(d.Sessions, ps)
	}
	js, err := json.Marshal(d) // escapes <, > and &: safe inside <script>
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	r := strings.NewReplacer(
		"{{CSP}}", csp([]string{appJS}, []string{appCSS}),
		"{{GENERATOR}}", html.EscapeString(p.Generator),
		"{{TITLE}}", html.EscapeString(p.title()),
		"{{CSS}}", appCSS,
		"{{DATA}}", string(js),
		"{{JS}}", appJS,
	)
	return []byte(r.Replace(pageHTML)), nil
}

// WriteHTML writes the page as one self-contained HTML file: script,
// style and every session inline, no request to anywhere.
func (p *Page) WriteHTML(w io.Writer) error {
	b, err := p.render(true)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Handler serves the page at "/" and session N's model at
// "/session/N.json". It answers only requests addressed to a loopback
// host (127.0.0.1, ::1, localhost), so that a web site cannot reach it
// through a DNS name of its own that resolves to loopback.
func (p *Page) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		b, err := p.render(false)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", csp([]string{appJS}, []string{appCSS}))
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	})
	mux.HandleFunc("GET /session/{file}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("file"), ".json"))
		if err != nil || !strings.HasSuffix(r.PathValue("file"), ".json") || n < 0 || n >= len(p.Sessions) {
			http.NotFound(w, r)
			return
		}
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(p.Sessions[n]); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b.Bytes())
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostcheck.Loopback(r.Host) {
			http.Error(w, "rtmock view answers only on loopback", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// IndexEntry is one page listed by [WriteIndex].
type IndexEntry struct {
	Name     string   // SCENARIO [DIALECT]
	File     string   // the page, relative to the index
	Passed   bool     // the run passed
	Failed   []string // the rules and expectations that failed
	Problems []string // what went wrong around the rules
	Sessions int
}

const indexCSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d232b}table{border-collapse:collapse}` +
	`td,th{padding:4px 12px;border-bottom:1px solid #d9dde3;text-align:left;vertical-align:top}.pass{color:#1a7f37}.fail{color:#d1242f;font-weight:600}.muted{color:#67707c}`

// WriteIndex writes the page that lists the timelines of a conformance
// run, self-contained like the pages themselves.
func WriteIndex(w io.Writer, title string, entries []IndexEntry) error {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", csp(nil, []string{indexCSS}))
	fmt.Fprintf(&b, "<link rel=\"icon\" href=\"data:,\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", html.EscapeString(title), indexCSS)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<table>\n<tr><th>run</th><th>verdict</th><th>sessions</th><th>failed</th></tr>\n", html.EscapeString(title))
	for _, e := range entries {
		verdict := `<span class="pass">pass</span>`
		if !e.Passed {
			verdict = `<span class="fail">FAIL</span>`
		}
		why := html.EscapeString(strings.Join(e.Failed, ", "))
		if len(e.Problems) > 0 {
			why += ` <span class="muted">` + html.EscapeString(strings.Join(e.Problems, "; ")) + `</span>`
		}
		name := html.EscapeString(e.Name)
		if e.File != "" {
			name = fmt.Sprintf(`<a href="%s">%s</a>`, html.EscapeString(e.File), name)
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%s</td></tr>\n", name, verdict, e.Sessions, why)
	}
	b.WriteString("</table>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
