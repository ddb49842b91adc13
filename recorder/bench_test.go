//go:build unix

package recorder

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkRecorder measures what recording costs over relaying alone, at
// 100 concurrent sessions. Each exchange is what a talking session does:
// the client sends a 100 ms input_audio_buffer.append (4,800 bytes of PCM16,
// 6.4 KB of JSON) and the upstream answers with one audio delta of 10 to
// 40 KB. The same sessions run through a plain relay (the recorder's own
// code path with recording switched off) and through the recorder, in
// alternating rounds so that both see the same machine.
//
// Reported: exchanges per second for each, their ratio (record/relay,
// target >= 0.8), round-trip p99 for each and its ratio (target <= 1.5),
// and the process CPU time per exchange for each (client, proxy and
// upstream together; the difference is what recording costs). On a busy
// machine the CPU figures are the steadier ones.
//
//	go test -run XXX -bench Recorder -benchtime 20000x ./recorder
func BenchmarkRecorder(b *testing.B) {
	const sessions = 100
	const rounds = 10
	rng := rand.New(rand.NewPCG(1, 2))
	var deltas [][]byte
	for range 16 {
		deltas = append(deltas, deltaEvent(7500+rng.IntN(22500)).data) // 10–40 KB of JSON
	}
	up := newUpstream(b, func(c *websocket.Conn) {
		ctx := context.Background()
		for i := 0; ; i++ {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
			if err := c.Write(ctx, websocket.MessageText, deltas[i%len(deltas)]); err != nil {
				return
			}
		}
	})
	append100ms := appendEvent(4800).data

	type mode struct {
		name    string
		clients []*websocket.Conn
		elapsed time.Duration
		cpu     time.Duration
		rtts    []time.Duration
		rec     *Recorder
	}
	modes := []*mode{{name: "relay"}, {name: "record"}}
	for _, m := range modes {
		opts := &Options{Upstream: up.srv.URL, Dir: b.TempDir(), relayOnly: m.name == "relay"}
		rec, url := startRecorder(b, opts)
		m.rec = rec
		for range sessions {
			c := dial(b, url+"/openai/realtime?api-version=2024-10-01-preview&deployment=bench",
				&websocket.DialOptions{HTTPHeader: http.Header{"api-key": {"bench-key-0123456789abcdef"}}})
			m.clients = append(m.clients, c)
		}
	}
	exchange := func(c *websocket.Conn) (time.Duration, error) {
		start := time.Now()
		if err := c.Write(context.Background(), websocket.MessageText, append100ms); err != nil {
			return 0, err
		}
		if _, _, err := c.Read(context.Background()); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}
	run := func(m *mode, perSession int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		cpu := cpuTime()
		start := time.Now()
		for _, c := range m.clients {
			wg.Go(func() {
				local := make([]time.Duration, 0, perSession)
				for range perSession {
					d, err := exchange(c)
					if err != nil {
						b.Error(err)
						return
					}
					local = append(local, d)
				}
				mu.Lock()
				m.rtts = append(m.rtts, local...)
				mu.Unlock()
			})
		}
		wg.Wait()
		m.elapsed += time.Since(start)
		m.cpu += cpuTime() - cpu
	}
	// Warm up both paths.
	for _, m := range modes {
		run(m, 2)
		m.elapsed, m.cpu, m.rtts = 0, 0, nil
	}

	perRound := max(1, b.N/(sessions*rounds))
	b.ResetTimer()
	for i := range rounds {
		// Alternate which goes first, so that neither always follows the other.
		for j := range modes {
			run(modes[(i+j)%len(modes)], perRound)
		}
	}
	b.StopTimer()

	exchanges := float64(perRound * sessions * rounds)
	rate := func(m *mode) float64 { return exchanges / m.elapsed.Seconds() }
	p99 := func(m *mode) time.Duration {
		slices.Sort(m.rtts)
		return m.rtts[len(m.rtts)*99/100]
	}
	relay, record := modes[0], modes[1]
	b.ReportMetric(rate(relay), "relay-exchanges/s")
	b.ReportMetric(rate(record), "record-exchanges/s")
	b.ReportMetric(rate(record)/rate(relay), "throughput-ratio")
	b.ReportMetric(float64(p99(relay).Microseconds())/1000, "relay-p99-ms")
	b.ReportMetric(float64(p99(record).Microseconds())/1000, "record-p99-ms")
	b.ReportMetric(float64(p99(record))/float64(p99(relay)), "p99-ratio")
	b.ReportMetric(float64(relay.cpu.Microseconds())/exchanges, "relay-cpu-µs/exchange")
	b.ReportMetric(float64(record.cpu.Microseconds())/exchanges, "record-cpu-µs/exchange")
	for _, m := range modes {
		for _, c := range m.clients {
			c.Close(websocket.StatusNormalClosure, "")
		}
		if err := m.rec.Close(); err != nil {
			b.Fatal(fmt.Errorf("%s: %w", m.name, err))
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
