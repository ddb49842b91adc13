package mockserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// BenchmarkResponseStream streams the default reply (1750 ms of audio in 8
// deltas plus 9 transcript deltas, 23 events) to a real client over
// loopback, next to a baseline server that writes the same pre-serialised
// frames in a loop. The ratio of their MB/s is what rtmock's own work costs.
func BenchmarkResponseStream(b *testing.B) {
	srv, err := mockserver.New(&mockserver.Options{Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}, Seed: 1, KeepTranscripts: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	path := "/openai/realtime?api-version=2024-10-01-preview&deployment=d"

	// Capture one response's frames for the baseline.
	var frames [][]byte
	{
		ctx := context.Background()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL(), "http")+path, nil)
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadLimit(1 << 24)
		conn.Read(ctx)
		conn.Write(ctx, websocket.MessageText, []byte(`{"type":"response.create"}`))
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			frames = append(frames, data)
			if strings.Contains(string(data[:40]), "response.done") {
				break
			}
		}
		conn.Close(websocket.StatusNormalClosure, "")
	}
	total := 0
	for _, f := range frames {
		total += len(f)
	}

	baseline := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
			for _, f := range frames {
				if err := c.Write(ctx, websocket.MessageText, f); err != nil {
					return
				}
			}
		}
	}))
	defer baseline.Close()

	run := func(b *testing.B, url string) {
		ctx := context.Background()
		conn, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.CloseNow()
		conn.SetReadLimit(1 << 24)
		b.SetBytes(int64(total))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			conn.Write(ctx, websocket.MessageText, []byte(`{"type":"response.create"}`))
			for {
				_, data, err := conn.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(data) > 30 && strings.Contains(string(data[:30]), "response.done") {
					break
				}
			}
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, "ws"+strings.TrimPrefix(baseline.URL, "http")) })
	b.Run("rtmock", func(b *testing.B) {
		mock, err := mockserver.New(&mockserver.Options{Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer mock.Close()
		url := "ws" + strings.TrimPrefix(mock.URL(), "http") + path
		// Skip session.created.
		run(b, url)
	})
}
