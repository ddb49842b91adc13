package mockserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a running mock of the realtime service, like an
// httptest.Server: New starts it, URL tells where, Close stops it and every
// session it carries.
type Server struct {
	cfg      *config
	ln       net.Listener
	hs       *http.Server
	url      string
	handler  *Handler
	serveErr chan error
	closeOne sync.Once
	certPEM  []byte
}

// New starts a Server listening on opts.Addr.
func New(opts *Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", h.cfg.Addr)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("listen on %s: %w", h.cfg.Addr, err)
	}
	var certPEM []byte
	if !h.cfg.DisableTLS {
		cert, pemBytes, err := selfSigned(time.Now())
		if err != nil {
			ln.Close()
			h.Close()
			return nil, fmt.Errorf("make a TLS certificate: %w", err)
		}
		certPEM = pemBytes
		ln = &sniffListener{Listener: ln, cfg: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}}
	}
	var served http.Handler = h
	if opts != nil && opts.Wrap != nil {
		served = opts.Wrap(h)
	}
	s := &Server{
		cfg:      h.cfg,
		ln:       ln,
		certPEM:  certPEM,
		handler:  h,
		url:      "http://" + ln.Addr().String(),
		serveErr: make(chan error, 1),
		hs: &http.Server{
			Handler: served,
			// Upgraded sessions are not net/http's any more: these bound
			// only requests and idle keep-alive connections.
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       h.cfg.IdleTimeout,
			MaxHeaderBytes:    h.cfg.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(h.cfg.Logger.Handler(), slog.LevelWarn),
		},
	}
	go func() { s.serveErr <- s.hs.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL, e.g. "http://127.0.0.1:41234". Point an SDK's
// endpoint (Azure) or base URL (OpenAI, with "/v1") at it.
func (s *Server) URL() string { return s.url }

// TLSURL is the server's base URL for TLS clients ("https://…"), or ""
// with Options.DisableTLS. Clients must trust CertPEM.
func (s *Server) TLSURL() string {
	if s.certPEM == nil {
		return ""
	}
	return "https://" + s.ln.Addr().String()
}

// CertPEM is the PEM of the self-signed certificate the server presents to
// TLS clients (a leaf certificate for localhost, 127.0.0.1 and ::1; see WriteCertFile).
func (s *Server) CertPEM() []byte { return s.certPEM }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() *Handler { return s.handler }

// Transcripts returns the transcripts of the sessions that have ended so far,
// with Options.KeepTranscripts; nil without it.
func (s *Server) Transcripts() []*Transcript { return s.handler.Transcripts() }

// Close stops accepting connections, closes every live session with 1001
// (going away) and waits for all of the server's goroutines. It is safe to
// call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOne.Do(func() {
		// Sessions first: upgraded sockets are not net/http's to close, and
		// each must get its 1001 close frame before the listener goes.
		// That may take the sessions' shutdown grace; the plain requests
		// then get their own five seconds.
		s.handler.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.hs.Shutdown(ctx)
		if serr := <-s.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	})
	return err
}
