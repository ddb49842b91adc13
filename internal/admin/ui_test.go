package admin_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtmock/rtmock/internal/chromium"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/admin"
	"github.com/rtmock/rtmock/internal/rttest"
)

// TestLiveUIInChromium opens the live list in headless Chromium: a session
// appears while it runs, turns into its verdict with a link when it ends,
// the link opens its timeline, and the page asks nothing of anyone but
// the mock.
func TestLiveUIInChromium(t *testing.T) {
	path := chromium.Path()
	if path == "" {
		t.Skip("no Chromium installed: the page is tested in a real browser (scripts/test installs Debian's chromium with apt; or set RTMOCK_CHROMIUM)")
	}
	f := start(t, "")
	actx, acancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.Flag("headless", true),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(t.TempDir()))
	defer acancel()
	var mu sync.Mutex
	var requests []string
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, r.Request.URL)
			mu.Unlock()
		}
	}))
	defer cancel()
	ctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer tcancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL()+admin.UIPath)); err != nil {
		t.Fatal(err)
	}
	waitFor := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("wait for %s: %v", js, err)
		}
	}
	text := func(css string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(css)+`).textContent`))
		if err != nil {
			t.Fatalf("read %s: %v", css, err)
		}
		return v
	}

	// A live session shows as live.
	c := rttest.Dial(t, f.srv.URL()+"/openai/v1/realtime?model=gpt-realtime", nil)
	id := c.Next().Str("session.id")
	row := `tr[data-id="` + id + `"]`
	waitFor(`!!document.querySelector(` + strconv.Quote(row+`.live`) + `)`)
	if state := text(row + ` td.state`); state != "live" {
		t.Errorf("live session state %q", state)
	}

	// It ends: its verdict and a link to its timeline.
	changed := f.mon.Changed()
	c.Send(`{"type":"response.create"}`)
	c.Until("response.done")
	c.Conn.Close(websocket.StatusNormalClosure, "")
	<-changed
	waitFor(`!!document.querySelector(` + strconv.Quote(row+`.pass a`) + `)`)
	if state := text(row + ` td.state`); state != "pass" {
		t.Errorf("ended session state %q, want pass", state)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90)); err == nil {
		out := filepath.Join(t.TempDir(), "live-ui.png")
		if os.WriteFile(out, png, 0o644) == nil {
			t.Logf("screenshot: %s", out)
		}
	}
	// Follow the session's link as a click would.
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(row+` a`)+`).href`))
	if err != nil || !strings.HasSuffix(href, "/timeline") {
		t.Fatalf("the session's link: %q, %v", href, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #timeline`))); err != nil {
		t.Fatalf("open the timeline: %v", err)
	}
	if title := text("title"); !strings.Contains(title, id) {
		t.Errorf("timeline title %q does not name %s", title, id)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Error("no request seen: is the network listener working?")
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, f.srv.URL()+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s", u)
		}
	}
}
