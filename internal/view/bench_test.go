package view_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/internal/view"
)

// longSession is a 10-minute GA session: the client streams 100 ms of
// speech-like audio every 100 ms, and the assistant answers ten times
// with 30 s of audio in 200 ms deltas: 7 500 audio frames, 900 s of audio.
func longSession(tb testing.TB) []byte {
	tb.Helper()
	tn, err := audio.NewTone(audio.PCM16, 220, 0.3)
	if err != nil {
		tb.Fatal(err)
	}
	in := string(tn.AppendBase64(nil, 0, audio.PCM16.Bytes(100*time.Millisecond)))
	out := string(tn.AppendBase64(nil, 0, audio.PCM16.Bytes(200*time.Millisecond)))
	var b strings.Builder
	b.WriteString(gaHeader + "\n")
	b.WriteString(frame(0, "server", `{"type":"session.created","session":{}}`) + "\n")
	for i := 1; i <= 6000; i++ {
		t := float64(i) / 10
		b.WriteString(frame(t, "client", `{"type":"input_audio_buffer.append","audio":"`+in+`"}`) + "\n")
		if i%600 == 0 { // a response every minute, its audio streamed over the next 30 s
			r := i / 600
			b.WriteString(frame(t, "server", fmt.Sprintf(`{"type":"response.created","response":{"id":"r%d"}}`, r)) + "\n")
			for k := range 150 {
				b.WriteString(frame(t+0.01+float64(k)*0.2, "server", fmt.Sprintf(`{"type":"response.output_audio.delta","response_id":"r%d","item_id":"i%d","delta":"%s"}`, r, r, out)) + "\n")
			}
			b.WriteString(frame(t+30.1, "server", fmt.Sprintf(`{"type":"response.done","response":{"id":"r%d","status":"completed"}}`, r)) + "\n")
		}
	}
	return []byte(b.String())
}

// BenchmarkBuild decodes the 10-minute session into the page's model.
func BenchmarkBuild(b *testing.B) {
	data := longSession(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := view.ParseSession(data, "long.jsonl")
		if err != nil {
			b.Fatal(err)
		}
		view.Build(s, nil)
	}
}

// BenchmarkBrowserRender redraws the timeline of the 10-minute session in
// headless Chromium, all of it and zoomed to 10 s.
func BenchmarkBrowserRender(b *testing.B) {
	data := longSession(b)
	s, err := view.ParseSession(data, "long.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	var page bytes.Buffer
	if err := (&view.Page{Sessions: []*view.Model{view.Build(s, nil)}}).WriteHTML(&page); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "long.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	br := startChromium(b, nil)
	if err := chromedp.Do(br, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #timeline`))); err != nil {
		b.Fatal(err)
	}
	b.Logf("the page of the 10-minute session is %.1f MiB", float64(page.Len())/(1<<20))
	for _, tc := range []struct{ name, setup string }{
		{"whole", `rtmockTimeline.t0 = 0; rtmockTimeline.t1 = rtmockTimeline.m.end;`},
		{"10s", `rtmockTimeline.t0 = 300; rtmockTimeline.t1 = 310;`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var total float64
			for b.Loop() {
				ms, err := chromedp.Run(br, chromedp.Evaluate[float64](`(() => { `+tc.setup+` const t0 = performance.now(); rtmockTimeline.render(); return performance.now() - t0; })()`))
				if err != nil {
					b.Fatal(err)
				}
				total += ms
			}
			b.ReportMetric(total/float64(b.N), "ms/render")
		})
	}
}
