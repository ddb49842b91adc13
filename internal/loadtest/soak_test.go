//go:build soak

package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// The soak's shape. Run it with
//
//	go test -tags soak -run Soak -timeout 10m ./loadtest
const (
	soakWorkers  = 1000             // concurrent sessions
	soakDuration = 60 * time.Second // how long workers start new sessions
	soakTurns    = 5                // turns per session, unless a fault ends it
	soakWarmUp   = 15 * time.Second // RSS samples before this are not compared
	soakSample   = 5 * time.Second  // RSS sampling period
	soakAbort    = 0.1              // share of sessions the client drops abruptly
	// soakStuck ends a session that has not finished its turns: with realtime
	// replies of at most 4 s, a session needs about 15 s.
	soakStuck = 90 * time.Second
	// RSS is flat when the mean of the last two samples is at most
	// soakRSSGrowth times the mean of the first two after warm-up, plus
	// soakRSSSlack (garbage collection moves RSS by tens of percent).
	soakRSSGrowth = 1.25
	soakRSSSlack  = 16 << 20
)

// soakServer is one in-process mock of the soak with its faults, and what
// its sessions became.
type soakServer struct {
	name    string
	srv     *mockserver.Server
	url     string
	ended   *counter
	dialed  atomic.Int64
	allow   map[string]bool // how its sessions may end
	require []string        // how some of them must end: its faults happened
	refuses bool            // the scenario refuses a response.create with an error

	mu       sync.Mutex
	outcomes map[string]int
	closes   map[string]int // how the server saw its sessions end
}

func (s *soakServer) count(outcome string) {
	s.mu.Lock()
	s.outcomes[outcome]++
	s.mu.Unlock()
}

// TestSoak runs 1000 sessions for a minute against four mocks with faults
// on: a default reply behind latency, dropped and duplicated deltas,
// injected errors, refused upgrades and a dropped socket; the
// connection-drop, session-expired and server-error scenarios; and clients
// that drop 10% of their sessions abruptly. Beside them, hostile clients
// stop reading mid-reply or leave keep-alive connections quiet. It checks
// that every session is accounted for on both sides, that nothing
// unexpected happened, that the hostile clients are dropped and hung up
// on, that RSS and open file descriptors stay flat after warm-up, and that
// no goroutine outlives the servers.
func TestSoak(t *testing.T) {
	before := leakcheck.Take()
	servers := startSoakServers(t)
	closeServers := sync.OnceFunc(func() {
		for _, s := range servers {
			if err := s.srv.Close(); err != nil {
				t.Errorf("%s: close: %v", s.name, err)
			}
		}
	})
	defer closeServers()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	hostile, err := newHostileServer()
	if err != nil {
		t.Fatal(err)
	}
	defer hostile.srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), soakDuration)
	defer cancel()
	samples := make(chan []soakRSS, 1)
	go func() { samples <- sampleRSS(ctx) }()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		hostile.run(ctx)
	}()
	for w := range soakWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				s := servers[(w+i)%len(servers)]
				rng := rand.New(rand.NewPCG(uint64(w), uint64(i)))
				s.count(soakSession(ctx, hc, s, rng))
			}
		}()
	}
	wg.Wait()
	rss := <-samples

	// Every upgraded session ends on the server, and is counted once on
	// each side.
	settle, cancelSettle := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelSettle()
	total := 0
	for _, s := range servers {
		total += s.check(t, settle)
	}
	t.Logf("%d sessions in %v with %d workers", total, soakDuration, soakWorkers)
	t.Logf("hostile: %d sessions that stopped reading (%d dropped by the watchdog, %d ended), %d idle keep-alive connections closed by the server, %d left open",
		hostile.opened.Load(), hostile.slow.Load(), hostile.ended.Load(), hostile.idle.Load(), hostile.idleOut.Load())
	if hostile.slow.Load() == 0 || hostile.idle.Load() == 0 {
		t.Errorf("the hostile clients never got dropped or hung up on")
	}
	if hostile.idleOut.Load() > 0 {
		t.Errorf("%d idle keep-alive connections outlived twice the idle timeout", hostile.idleOut.Load())
	}

	checkFlat(t, rss)

	// Nothing outlives the servers.
	closeServers()
	hostile.srv.Close()
	hc.CloseIdleConnections()
	if leaked := before.Check(leakcheck.Wait); len(leaked) > 0 {
		t.Errorf("%d goroutines outlived the soak, the first:\n%s", len(leaked), leaked[0])
	}
}

// startSoakServers starts the soak's four mocks: the default reply behind
// faults, and three failure scenarios.
func startSoakServers(t *testing.T) []*soakServer {
	t.Helper()
	realtime := scenarios.Pace{Mode: scenarios.PaceRealtime, Factor: 1}
	var fs []faults.Fault
	for _, s := range []string{
		"latency:dir=server,delay=5ms,jitter=5ms",
		"drop:match=response.audio_transcript.delta,p=0.05",
		"duplicate:match=response.audio.delta,p=0.02",
		"error:code=server_error,type=server_error,at=3s",
		"disconnect:on=response.audio.delta,nth=12,code=1006",
		"handshake:status=503,p=0.05",
	} {
		f, err := faults.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	scenario := func(name string) *scenarios.Scenario {
		sc, err := scenarios.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	// Every session may complete, be aborted by its client, or be cut by
	// the soak's end; each server's faults add the outcomes they cause,
	// and those must happen at least once.
	specs := []struct {
		name    string
		opts    mockserver.Options
		require []string
		refuses bool
	}{
		{"faults", mockserver.Options{Faults: fs}, []string{"server dropped the socket", "upgrade refused", "client aborted"}, false},
		{"connection-drop", mockserver.Options{Scenario: scenario("connection-drop")}, []string{"server closed 1011"}, false},
		{"session-expired", mockserver.Options{Scenario: scenario("session-expired")}, []string{"server closed 1000", "client aborted"}, false},
		{"server-error", mockserver.Options{Scenario: scenario("server-error")}, []string{"completed", "client aborted"}, true},
	}
	var servers []*soakServer
	for i, sp := range specs {
		s := &soakServer{name: sp.name, ended: newCounter(), refuses: sp.refuses, require: sp.require,
			allow:    map[string]bool{"completed": true, "client aborted": true, "stopped at the end": true, stoppedDialling: true},
			outcomes: map[string]int{}, closes: map[string]int{}}
		for _, e := range sp.require {
			s.allow[e] = true
		}
		o := sp.opts
		o.Pace, o.Seed, o.DisableTLS = realtime, int64(1000*(i+1)), true
		o.OnSessionEnd = func(tr *mockserver.Transcript) {
			s.mu.Lock()
			s.closes[fmt.Sprintf("%s %d", tr.ClosedBy, tr.CloseCode)]++
			s.mu.Unlock()
			s.ended.add()
		}
		srv, err := mockserver.New(&o)
		if err != nil {
			t.Fatal(err)
		}
		s.srv, s.url = srv, "ws"+strings.TrimPrefix(srv.URL(), "http")+DefaultPath
		servers = append(servers, s)
	}
	return servers
}

// check waits until every session upgraded on s ended on the server,
// checks that each is counted once on each side with an outcome s allows,
// and returns how many there were.
func (s *soakServer) check(t *testing.T, settle context.Context) int {
	t.Helper()
	dialed := int(s.dialed.Load())
	if err := s.ended.wait(settle, dialed); err != nil {
		t.Errorf("%s: %v", s.name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	clientSide := 0
	for outcome, n := range s.outcomes {
		if outcome != "upgrade refused" && outcome != stoppedDialling {
			clientSide += n
		}
		if !s.allow[outcome] {
			t.Errorf("%s: %d sessions: %s", s.name, n, outcome)
		}
	}
	if clientSide != dialed {
		t.Errorf("%s: %d sessions upgraded, %d outcomes counted", s.name, dialed, clientSide)
	}
	// A dial the soak's end cut may have been upgraded on the server
	// before the client gave up on it: the server counts it, the client
	// does not.
	if ended := s.ended.value(); ended < dialed || ended > dialed+s.outcomes[stoppedDialling] {
		t.Errorf("%s: %d sessions upgraded, %d ended on the server (%d dials cut by the end)", s.name, dialed, ended, s.outcomes[stoppedDialling])
	}
	for _, outcome := range s.require {
		if s.outcomes[outcome] == 0 {
			t.Errorf("%s: no session ended as %q", s.name, outcome)
		}
	}
	t.Logf("%-16s %5d sessions; clients saw %v; the server saw %v", s.name, dialed, sortedCounts(s.outcomes), sortedCounts(s.closes))
	return dialed
}

// checkFlat checks that RSS and open file descriptors stay flat after the
// warm-up.
func checkFlat(t *testing.T, rss []soakRSS) {
	t.Helper()
	var kept []soakRSS
	for _, r := range rss {
		t.Logf("RSS at %4.0fs: %6.1f MiB, heap %6.1f MiB, %5d goroutines, %5d fds", r.at.Seconds(), float64(r.rss)/(1<<20), float64(r.heap)/(1<<20), r.goroutines, r.fds)
		if r.at >= soakWarmUp {
			kept = append(kept, r)
		}
	}
	if len(kept) < 4 {
		t.Errorf("only %d RSS samples after warm-up", len(kept))
	} else {
		first := float64(kept[0].rss+kept[1].rss) / 2
		last := float64(kept[len(kept)-2].rss+kept[len(kept)-1].rss) / 2
		if last > first*soakRSSGrowth+soakRSSSlack {
			t.Errorf("RSS grew from %.1f MiB to %.1f MiB after warm-up; flat means at most %.0f%% + %d MiB",
				first/(1<<20), last/(1<<20), (soakRSSGrowth-1)*100, soakRSSSlack>>20)
		}
		t.Logf("RSS after warm-up: first two samples %.1f MiB, last two %.1f MiB (bound %.1f MiB)",
			first/(1<<20), last/(1<<20), (first*soakRSSGrowth+soakRSSSlack)/(1<<20))
		firstFDs := (kept[0].fds + kept[1].fds) / 2
		lastFDs := (kept[len(kept)-2].fds + kept[len(kept)-1].fds) / 2
		if lastFDs > firstFDs+firstFDs/4+64 {
			t.Errorf("open file descriptors grew from %d to %d after warm-up", firstFDs, lastFDs)
		}
	}

}

// stoppedDialling is the outcome of a dial that the soak's end cut.
const stoppedDialling = "stopped while dialling"

// soakSession runs one session against s and says how it ended.
func soakSession(ctx context.Context, hc *http.Client, s *soakServer, rng *rand.Rand) string {
	sctx, cancel := context.WithTimeout(ctx, soakStuck)
	defer cancel()
	conn, resp, err := websocket.Dial(sctx, s.url, &websocket.DialOptions{HTTPClient: hc, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return stoppedDialling
		case resp != nil && resp.StatusCode == http.StatusServiceUnavailable:
			return "upgrade refused"
		}
		return "unexpected: dial: " + err.Error()
	}
	s.dialed.Add(1)
	conn.SetReadLimit(readLimit)
	c := newClient(sctx, conn, &tally{})
	defer c.close()
	abortAfter := 0
	if rng.Float64() < soakAbort {
		abortAfter = 1 + rng.IntN(60)
	}
	ended := func(err error) string {
		var pe *protocolError
		switch code := websocket.CloseStatus(err); {
		case ctx.Err() != nil:
			return "stopped at the end"
		case sctx.Err() != nil:
			return "unexpected: stuck"
		case errors.As(err, &pe):
			return "unexpected: " + pe.msg
		case code != -1:
			return "server closed " + strconv.Itoa(int(code))
		}
		return "server dropped the socket"
	}
	if k, _, err := c.read(); err != nil {
		return ended(err)
	} else if k != kindSessionCreated {
		return "unexpected: the first event is not session.created"
	}
	frames := 0
	for turn := 1; turn <= soakTurns; turn++ {
		id := "soak_" + strconv.Itoa(turn)
		if err := conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"response.create","event_id":"`+id+`"}`)); err != nil {
			return ended(err)
		}
		for done := false; !done; {
			created := c.created
			k, data, err := c.read()
			if err != nil {
				return ended(err)
			}
			if frames++; frames == abortAfter {
				return "client aborted" // the deferred close drops the socket
			}
			switch k {
			case kindResponseDone:
				if !created {
					return ended(protocolErrorf("response.done before response.created"))
				}
				done = true
			case kindError:
				// The scenario's refusal names the response.create; injected
				// errors and session_expired do not.
				done = !created && s.refuses && bytes.Contains(data, []byte(`"`+id+`"`))
			}
		}
	}
	c.closeNormally()
	return "completed"
}

type soakRSS struct {
	at         time.Duration
	rss        int64
	heap       uint64
	goroutines int
	fds        int
}

// sampleRSS reads the process's RSS every soakSample until ctx is done.
func sampleRSS(ctx context.Context) []soakRSS {
	start := time.Now()
	tick := time.NewTicker(soakSample)
	defer tick.Stop()
	var out []soakRSS
	for {
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			out = append(out, soakRSS{at: time.Since(start), rss: procStatus("VmRSS"), heap: m.HeapInuse, goroutines: runtime.NumGoroutine(), fds: openFDs()})
		}
	}
}

func sortedCounts(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}
