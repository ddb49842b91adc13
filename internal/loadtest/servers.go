package loadtest

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// counter counts sessions that ended on a server and lets a caller wait
// until a number of them have.
type counter struct {
	mu      sync.Mutex
	n       int
	changed chan struct{}
}

func newCounter() *counter { return &counter{changed: make(chan struct{})} }

func (c *counter) add() {
	c.mu.Lock()
	c.n++
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *counter) value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// wait returns when at least n sessions have ended, or ctx is done.
func (c *counter) wait(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		have, ch := c.n, c.changed
		c.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d sessions ended: %w", have, n, ctx.Err())
		}
	}
}

// loopServer is an http.Server on a free loopback port.
type loopServer struct {
	ln       net.Listener
	hs       *http.Server
	serveErr chan error
}

func listen(h http.Handler) (*loopServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	s := &loopServer{ln: ln, serveErr: make(chan error, 1), hs: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // never the global logger
	}}
	go func() { s.serveErr <- s.hs.Serve(ln) }()
	return s, nil
}

func (s *loopServer) url() string { return "ws://" + s.ln.Addr().String() }

func (s *loopServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.hs.Shutdown(ctx)
	if serr := <-s.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// timedFrame is a frame the baseline sends at an offset from the start of
// its block.
type timedFrame struct {
	at   time.Duration
	typ  websocket.MessageType
	data []byte
}

type block []timedFrame

// script is everything the baseline says: frames on connect, then either
// the same block for every response.create (simulated sessions) or one
// block per client frame (cassettes).
type script struct {
	connect block
	repeat  block   // answers every response.create when replies is nil
	replies []block // replies[k] answers the k-th client frame
}

// baselineServer is a raw coder/websocket server that writes a script's
// pre-serialised frames and does nothing else: the floor the target is
// compared with.
type baselineServer struct {
	sc     *script
	srv    *loopServer
	ctx    context.Context
	cancel context.CancelFunc
	ended  *counter

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func startBaseline(sc *script) (*baselineServer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	b := &baselineServer{sc: sc, ctx: ctx, cancel: cancel, ended: newCounter()}
	srv, err := listen(b)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start the baseline: %w", err)
	}
	b.srv = srv
	return b, nil
}

func (b *baselineServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	b.wg.Add(1)
	b.mu.Unlock()
	defer b.wg.Done()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	defer b.ended.add()
	defer c.CloseNow()
	c.SetReadLimit(readLimit)
	ctx := b.ctx
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	if b.send(ctx, c, b.sc.connect, timer) != nil {
		return
	}
	for k := 0; ; k++ {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var blk block
		switch {
		case b.sc.replies != nil:
			if k < len(b.sc.replies) {
				blk = b.sc.replies[k]
			}
		default:
			if typ, _ := eventType(data); string(typ) == "response.create" {
				blk = b.sc.repeat
			}
		}
		if b.send(ctx, c, blk, timer) != nil {
			return
		}
	}
}

// send writes a block's frames, each at its offset from now.
func (b *baselineServer) send(ctx context.Context, c *websocket.Conn, blk block, timer *time.Timer) error {
	start := time.Now()
	for _, f := range blk {
		if f.at > 0 {
			if d := time.Until(start.Add(f.at)); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		if err := c.Write(ctx, f.typ, f.data); err != nil {
			return err
		}
	}
	return nil
}

func (b *baselineServer) url() string { return b.srv.url() }

// close ends every session and waits for their goroutines.
func (b *baselineServer) close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	err := b.srv.close()
	b.wg.Wait()
	return err
}

// nullServer answers the WebSocket upgrade by hand, writes the connect
// frames and keeps only the socket: no goroutine, no buffers. Idle clients
// held by it cost what the clients themselves cost.
type nullServer struct {
	frames []byte // the connect frames, encoded
	srv    *loopServer

	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func startNull(connect block) (*nullServer, error) {
	n := &nullServer{}
	for _, f := range connect {
		n.frames = appendFrame(n.frames, f.typ, f.data)
	}
	srv, err := listen(n)
	if err != nil {
		return nil, fmt.Errorf("start the null server: %w", err)
	}
	n.srv = srv
	return n, nil
}

// websocketGUID is the key suffix of RFC 6455, section 1.3.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func (n *nullServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	hj, ok := w.(http.Hijacker)
	if key == "" || !ok {
		http.Error(w, "a WebSocket upgrade is expected", http.StatusBadRequest)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	brw.WriteString(base64.StdEncoding.EncodeToString(sum[:]))
	brw.WriteString("\r\n\r\n")
	brw.Write(n.frames)
	if brw.Flush() != nil {
		conn.Close()
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		conn.Close()
		return
	}
	n.conns = append(n.conns, conn)
}

// dropConns closes every socket the server holds.
func (n *nullServer) dropConns() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.conns {
		c.Close()
	}
	n.conns = nil
}

func (n *nullServer) url() string { return n.srv.url() }

func (n *nullServer) close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.dropConns()
	return n.srv.close()
}

// appendFrame appends an unmasked, final server frame (RFC 6455, 5.2).
func appendFrame(dst []byte, typ websocket.MessageType, payload []byte) []byte {
	op := byte(0x1)
	if typ == websocket.MessageBinary {
		op = 0x2
	}
	dst = append(dst, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
