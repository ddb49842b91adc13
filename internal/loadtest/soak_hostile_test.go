//go:build soak

package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// The hostile part of the soak: clients that stop reading in the middle of
// a long reply, and keep-alive connections that go quiet after one
// request. The server must drop the first after its write timeout and
// close the second after its idle timeout, so that memory and file
// descriptors stay flat while such clients come and go.
const (
	soakHostile      = 40 // concurrent hostile workers
	soakWriteTimeout = time.Second
	soakIdleTimeout  = 2 * time.Second
)

// hostileServer is the mock the hostile workers use.
type hostileServer struct {
	srv     *mockserver.Server
	url     string
	slow    atomic.Int64 // sessions the watchdog dropped for not reading
	ended   atomic.Int64
	opened  atomic.Int64 // sessions hostile clients opened
	idle    atomic.Int64 // idle connections the server closed
	idleOut atomic.Int64 // idle connections still open after twice the timeout
}

func newHostileServer() (*hostileServer, error) {
	sc, err := scenarios.Parse("hostile.yaml", []byte("name: hostile\nturns:\n  - when: response.create\n    repeat: true\n    reply: {transcript: long, audio: {duration: 10m, chunk: 1s}, pace: instant}\n"))
	if err != nil {
		return nil, err
	}
	h := &hostileServer{}
	srv, err := mockserver.New(&mockserver.Options{
		Scenario: sc, DisableTLS: true, Seed: 99, WriteTimeout: soakWriteTimeout, IdleTimeout: soakIdleTimeout,
		OnSessionEnd: func(tr *mockserver.Transcript) {
			if tr.SlowConsumer {
				h.slow.Add(1)
			}
			h.ended.Add(1)
		},
	})
	if err != nil {
		return nil, err
	}
	h.srv, h.url = srv, "ws"+strings.TrimPrefix(srv.URL(), "http")+DefaultPath
	return h, nil
}

// run keeps hostile workers going until ctx is done.
func (h *hostileServer) run(ctx context.Context) {
	var wg sync.WaitGroup
	for w := range soakHostile {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if (w+i)%2 == 0 {
					h.stopReading(ctx)
				} else {
					h.goQuiet(ctx)
				}
			}
		}()
	}
	wg.Wait()
}

// stopReading asks for ten minutes of audio (more than socket buffers
// hold) and never reads it.
func (h *hostileServer) stopReading(ctx context.Context) {
	conn, _, err := websocket.Dial(ctx, h.url, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	h.opened.Add(1)
	conn.Write(ctx, websocket.MessageText, []byte(`{"type":"response.create"}`))
	select {
	case <-ctx.Done():
	case <-time.After(3 * soakWriteTimeout):
	}
}

// goQuiet makes one request on a keep-alive connection, then waits to be
// hung up on.
func (h *hostileServer) goQuiet(ctx context.Context) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", h.srv.Addr().String())
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return
	}
	resp.Body.Close()
	conn.SetReadDeadline(time.Now().Add(2 * soakIdleTimeout))
	if _, err := br.ReadByte(); err != nil && !isTimeout(err) {
		h.idle.Add(1)
	} else if ctx.Err() == nil {
		h.idleOut.Add(1)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// openFDs counts the process's open file descriptors.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}
