package view_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	chromiumpath "github.com/rtmock/rtmock/internal/chromium"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/view"
)

// chromium finds Debian's chromium (or another Chrome) to drive; "" when
// none is installed. RTMOCK_CHROMIUM names one explicitly.
func chromium() string { return chromiumpath.Path() }

// browser is a headless Chromium tab that records every request the page
// makes and every error it reports.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	requests []string
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	b := &browser{t: t}
	b.ctx = startChromium(t, b.listen)
	return b
}

// startChromium starts a headless Chromium with a fresh profile, stopped
// when the test ends, and returns the context of its tab; listen sees
// every event of the tab. It skips the test when no Chromium is installed.
func startChromium(tb testing.TB, listen func(any)) context.Context {
	tb.Helper()
	path := chromium()
	if path == "" {
		tb.Skip("no Chromium installed: the page is tested in a real browser (scripts/test installs Debian's chromium with apt; or set RTMOCK_CHROMIUM)")
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	opts := []chromedp.ContextOption{}
	if listen != nil {
		opts = append(opts, chromedp.WithListener(listen))
	}
	ctx, cancel := chromedp.NewContext(actx, opts...)
	tb.Cleanup(func() { cancel(); acancel() })
	tctx, tcancel := context.WithTimeout(ctx, 5*time.Minute)
	tb.Cleanup(tcancel)
	if err := chromedp.Do(tctx); err != nil {
		tb.Fatalf("start %s: %v", path, err)
	}
	return tctx
}

func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *runtime.EventExceptionThrown:
		b.problems = append(b.problems, "exception: "+e.ExceptionDetails.Text+" "+describe(e.ExceptionDetails.Exception))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			b.problems = append(b.problems, "console: "+e.Entry.Text)
		}
	}
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	return o.Description
}

// open loads url and waits for the page to have drawn its first session.
func (b *browser) open(url string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #timeline`))); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) click(css string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		b.t.Fatalf("click %s: %v", css, err)
	}
}

func (b *browser) waitFor(js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		b.t.Fatalf("wait for %s: %v", js, err)
	}
}

type box struct{ Left, Width, Top, Height float64 }

func (b *browser) box(css string) box {
	b.t.Helper()
	return eval[box](b, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {Left: r.left, Width: r.width, Top: r.top, Height: r.height}; })()`, css))
}

// xAt is where time t falls on the page's plot area when the axis shows
// t0..t1.
func (b *browser) xAt(t, t0, t1 float64) float64 {
	p := b.box("#plot")
	return p.Left + (t-t0)/(t1-t0)*p.Width
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("RTMOCK_SCREENSHOT_DIR")
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// checkRequests fails the test for any request to anywhere but allowed
// prefixes, and for any error the page reported.
func (b *browser) checkRequests(allowed ...string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		b.t.Errorf("no request seen at all: is the network listener working?")
	}
	for _, u := range b.requests {
		ok := strings.HasPrefix(u, "data:")
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(u, a)
		}
		if !ok {
			b.t.Errorf("the page requested %s; it may only load from %v", u, allowed)
		}
	}
	for _, p := range b.problems {
		b.t.Errorf("the page reported an error: %s", p)
	}
}

// bargeIn is what the test reads from the barge-in cassette itself, with
// code of its own, to place the markers.
type bargeIn struct {
	end        float64 // the last frame's time: the end of the axis
	clients    int     // frames from the client
	servers    int
	truncIndex int // the truncate's frame index
	truncT     float64
	endMs      float64 // its audio_end_ms
	item       string
	firstDelta float64 // the item's first audio delta: playback starts there
	receivedMs float64
	peak       float64 // the loudest sample of the item up to the cut, full scale 1
	responses  map[string]int
}

func readBargeIn(t *testing.T, path string) bargeIn {
	t.Helper()
	c, err := cassette.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f := bargeIn{truncIndex: -1, firstDelta: -1, responses: map[string]int{}}
	type event struct {
		Type       string  `json:"type"`
		ItemID     string  `json:"item_id"`
		AudioEndMs float64 `json:"audio_end_ms"`
		Delta      string  `json:"delta"`
		Response   struct {
			Status string `json:"status"`
		} `json:"response"`
	}
	var pcm []byte
	for i, fr := range c.All() {
		f.end = max(f.end, fr.T.Seconds())
		if fr.Dir == cassette.Client {
			f.clients++
		} else {
			f.servers++
		}
		var ev event
		if fr.Kind != cassette.KindText || json.Unmarshal(fr.Data, &ev) != nil {
			continue
		}
		switch {
		case ev.Type == "conversation.item.truncate":
			f.truncIndex, f.truncT, f.endMs, f.item = i, fr.T.Seconds(), ev.AudioEndMs, ev.ItemID
		case ev.Type == "response.done":
			f.responses[ev.Response.Status]++
		case ev.Type == "response.output_audio.delta" && f.truncIndex < 0:
			if f.item == "" || ev.ItemID == f.item {
				if f.firstDelta < 0 || f.item != ev.ItemID {
					f.firstDelta, f.item, pcm = fr.T.Seconds(), ev.ItemID, nil
				}
				b, err := base64.StdEncoding.DecodeString(ev.Delta)
				if err != nil {
					t.Fatal(err)
				}
				pcm = append(pcm, b...)
			}
		}
	}
	if f.truncIndex < 0 || f.firstDelta < 0 {
		t.Fatalf("%s holds no truncate of an item with audio", path)
	}
	f.receivedMs = float64(len(pcm)) / 48
	for i := 0; i+1 < len(pcm) && float64(i) < f.endMs*48; i += 2 {
		f.peak = max(f.peak, math.Abs(float64(int16(binary.LittleEndian.Uint16(pcm[i:]))))/32768)
	}
	return f
}

func writePage(t *testing.T, paths ...string) string {
	t.Helper()
	ss, err := view.Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	p := &view.Page{Generator: "rtmock test"}
	for _, s := range ss {
		p.Sessions = append(p.Sessions, view.Build(s, nil))
	}
	var b bytes.Buffer
	if err := p.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

const near = 1.0 // px: markers sit within a pixel of where the cassette puts them

// TestBrowserBargeIn loads the self-contained page of the barge-in
// cassette in headless Chromium and checks what it draws against the
// cassette.
func TestBrowserBargeIn(t *testing.T) {
	b := newBrowser(t)
	want := readBargeIn(t, bargeInCassette)
	file := writePage(t, bargeInCassette)
	b.open("file://" + file)

	t.Run("lanes and markers", func(t *testing.T) {
		b.t = t
		labels := eval[[]string](b, `[...document.querySelectorAll('.lane-label')].map(e => e.textContent)`)
		for _, l := range []string{"faults · findings", "client events", "input audio · VAD", "server events", "responses", "assistant audio"} {
			if !strings.Contains(strings.Join(labels, "|"), l) {
				t.Errorf("lane %q missing; lanes: %q", l, labels)
			}
		}
		counts := eval[map[string]int](b, `(() => { const n = (s) => document.querySelectorAll(s).length; return {
			client: n('.ev.client'), server: n('.ev.server'), trunc: n('.trunc-at'), cut: n('.trunc-cut'), vad: n('.vad'),
			barge: n('.vad.barge'), cancelled: n('.resp[data-status="cancelled"]'), completed: n('.resp[data-status="completed"]'),
			played: n('.wave.played'), unplayed: n('.wave.unplayed') }; })()`)
		wantCounts := map[string]int{"client": want.clients, "server": want.servers, "trunc": 1, "cut": 1, "vad": 1, "barge": 1,
			"cancelled": want.responses["cancelled"], "completed": want.responses["completed"], "played": 1, "unplayed": 1}
		for k, v := range wantCounts {
			if counts[k] != v {
				t.Errorf("%s: %d on the page, want %d", k, counts[k], v)
			}
		}
		b.screenshot("barge-in")
	})

	t.Run("the truncate sits at its time and the cut at the played position", func(t *testing.T) {
		b.t = t
		axisEnd := eval[float64](b, `+document.querySelector('#timeline').dataset.t1`)
		if math.Abs(axisEnd-want.end) > 1e-6 {
			t.Fatalf("the axis ends at %v s, the cassette at %v s", axisEnd, want.end)
		}
		at := b.box("#trunc-0")
		if got, x := at.Left+at.Width/2, b.xAt(want.truncT, 0, want.end); math.Abs(got-x) > near {
			t.Errorf("truncate marker at x=%.2f, want %.2f (t=%.6f s of %.6f s)", got, x, want.truncT, want.end)
		}
		cut := b.box("#trunc-cut-0")
		cutT := want.firstDelta + want.endMs/1000
		if got, x := cut.Left+cut.Width/2, b.xAt(cutT, 0, want.end); math.Abs(got-x) > near {
			t.Errorf("cut marker at x=%.2f, want %.2f (first delta %.6f s + %v ms)", got, x, want.firstDelta, want.endMs)
		}
	})

	t.Run("zoom keeps the markers on their times", func(t *testing.T) {
		b.t = t
		b.click("#zoom-in")
		t0 := eval[float64](b, `+document.querySelector('#timeline').dataset.t0`)
		t1 := eval[float64](b, `+document.querySelector('#timeline').dataset.t1`)
		if math.Abs((t1-t0)-want.end/2) > 1e-9 || math.Abs((t0+t1)/2-want.end/2) > 1e-9 {
			t.Errorf("zoom in: axis %v..%v, want half of 0..%v around its middle", t0, t1, want.end)
		}
		at := b.box("#trunc-0")
		if got, x := at.Left+at.Width/2, b.xAt(want.truncT, t0, t1); math.Abs(got-x) > near {
			t.Errorf("zoomed truncate marker at x=%.2f, want %.2f", got, x)
		}
		b.screenshot("barge-in-zoomed")
		b.click("#zoom-fit")
		if t1 := eval[float64](b, `+document.querySelector('#timeline').dataset.t1`); math.Abs(t1-want.end) > 1e-6 {
			t.Errorf("fit: axis ends at %v, want %v", t1, want.end)
		}
	})

	t.Run("clicking an event shows its JSON", func(t *testing.T) {
		b.t = t
		b.click(fmt.Sprintf(`.ev[data-i="%d"]`, want.truncIndex))
		var got struct {
			Type       string  `json:"type"`
			ItemID     string  `json:"item_id"`
			AudioEndMs float64 `json:"audio_end_ms"`
		}
		text := eval[string](b, `document.querySelector('#json').textContent`)
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("the details show no JSON: %v\n%s", err, text)
		}
		if got.Type != "conversation.item.truncate" || got.ItemID != want.item || got.AudioEndMs != want.endMs {
			t.Errorf("details show %+v, want the truncate of %s at %v ms", got, want.item, want.endMs)
		}
		if title := eval[string](b, `document.querySelector('#d-title').textContent`); !strings.Contains(title, "conversation.item.truncate") {
			t.Errorf("details title %q", title)
		}
		b.click(`.resp[data-status="cancelled"]`)
		if text := eval[string](b, `document.querySelector('#json').textContent`); !strings.Contains(text, `"turn_detected"`) {
			t.Errorf("the cancelled response's details do not show its response.done:\n%s", text)
		}
		b.screenshot("barge-in-details")
	})

	t.Run("playing the item stops at the cut", func(t *testing.T) {
		b.t = t
		if want.endMs > want.receivedMs {
			t.Fatalf("fixture: the truncate reaches past the audio received")
		}
		b.click("#trunc-0")
		b.click("#d-actions button")
		b.waitFor(`!!document.querySelector('#play-status').dataset.samples`)
		got := eval[map[string]string](b, `Object.assign({}, document.querySelector('#play-status').dataset)`)
		if wantN := fmt.Sprint(math.Round(want.endMs * 24)); got["samples"] != wantN || got["rate"] != "24000" {
			t.Errorf("playback %v, want %s samples at 24000 Hz (%v ms)", got, wantN, want.endMs)
		}
		var peak float64
		fmt.Sscan(got["peak"], &peak)
		if math.Abs(peak-want.peak) > 0.05*want.peak+0.001 {
			t.Errorf("played audio peaks at %.4f, the cassette's at %.4f: the page decodes the audio wrong", peak, want.peak)
		}
	})

	b.t = t
	b.checkRequests("file://" + file)
}

// TestBrowserServed serves several sessions as "rtmock view" does and
// checks that the page lists them, fetches each from its own origin only,
// and pins rule failures at their instants.
func TestBrowserServed(t *testing.T) {
	b := newBrowser(t)
	ss, err := view.Load([]string{bargeInCassette, audioTurnCassette, slowTruncateDir, faultsCassette})
	if err != nil {
		t.Fatal(err)
	}
	p := &view.Page{Generator: "rtmock test"}
	for _, s := range ss {
		p.Sessions = append(p.Sessions, view.Build(s, nil))
	}
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	b.open(srv.URL + "/")

	if n := eval[int](b, `document.querySelectorAll('#sessions button').length`); n != 4 {
		t.Fatalf("%d sessions listed, want 4", n)
	}
	b.click(`#sessions button[data-i="1"]`)
	b.waitFor(`window.rtmockTimeline.i === 1`)
	if n := eval[int](b, `document.querySelectorAll('.wave.input').length`); n != 1 {
		t.Errorf("audio-turn: %d input waveforms, want 1", n)
	}
	b.screenshot("audio-turn")

	b.click(`#sessions button[data-i="2"]`)
	b.waitFor(`window.rtmockTimeline.i === 2`)
	var report struct {
		Runs []struct {
			Verdicts, Expectations []struct {
				Rule, Status string
				Findings     []struct{ T float64 }
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(slowTruncateDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	end := eval[float64](b, `+document.querySelector('#timeline').dataset.t1`)
	found := 0
	for _, v := range append(report.Runs[0].Verdicts, report.Runs[0].Expectations...) {
		if v.Status != "fail" {
			continue
		}
		for _, f := range v.Findings {
			found++
			// The marker of this finding: its flag's pole is at its time.
			m := eval[*box](b, fmt.Sprintf(`(() => {
				const e = [...document.querySelectorAll('.finding')].find(e => Math.abs(+e.dataset.t - %v) < 1e-9);
				if (!e) return null;
				const r = e.getBoundingClientRect();
				return {Left: r.left, Width: r.width, Top: r.top, Height: r.height}; })()`, f.T))
			if m == nil {
				t.Errorf("no marker for %s at %v s", v.Rule, f.T)
				continue
			}
			if x := b.xAt(f.T, 0, end); math.Abs(m.Left-x) > near {
				t.Errorf("%s pinned at x=%.2f, want %.2f (t=%v s)", v.Rule, m.Left, x, f.T)
			}
		}
	}
	if n := eval[int](b, `document.querySelectorAll('.finding').length`); found == 0 || n != found {
		t.Errorf("%d finding markers, the report has %d failures", n, found)
	}
	b.click(`#findings li[data-finding="0"]`)
	if title := eval[string](b, `document.querySelector('#d-title').textContent`); !strings.HasPrefix(title, "rule failure") {
		t.Errorf("clicking a rule failure shows %q", title)
	}
	b.screenshot("slow-truncate-findings")
	// The faults the mock marked, one marker each, at their times.
	c, err := cassette.Load(faultsCassette)
	if err != nil {
		t.Fatal(err)
	}
	var faultTimes []float64
	for _, f := range c.All() {
		if f.Kind == cassette.KindFault {
			faultTimes = append(faultTimes, f.T.Seconds())
		}
	}
	b.click(`#sessions button[data-i="3"]`)
	b.waitFor(`window.rtmockTimeline.i === 3`)
	got := eval[[]float64](b, `[...document.querySelectorAll('.fault')].map(e => +e.dataset.t)`)
	if len(faultTimes) == 0 || len(got) != len(faultTimes) {
		t.Errorf("%d fault markers on the page, the cassette has %d fault frames", len(got), len(faultTimes))
	}
	end = eval[float64](b, `+document.querySelector('#timeline').dataset.t1`)
	for i, ft := range faultTimes {
		if i < len(got) && math.Abs(got[i]-ft) > 1e-6 {
			t.Errorf("fault %d marked at %v s, the cassette has it at %v s", i, got[i], ft)
		}
	}
	if len(faultTimes) > 0 {
		m := b.box(".fault")
		if x := b.xAt(faultTimes[0], 0, end); math.Abs(m.Left+m.Width/2-x) > near {
			t.Errorf("the first fault marker is at x=%.2f, want %.2f", m.Left+m.Width/2, x)
		}
	}
	b.screenshot("faults")
	b.checkRequests(srv.URL + "/")
	if !b.requested(srv.URL + "/session/2.json") {
		t.Errorf("the page did not fetch session 2 from its server: %v", b.requests)
	}
}

func (b *browser) requested(url string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.requests {
		if u == url {
			return true
		}
	}
	return false
}
