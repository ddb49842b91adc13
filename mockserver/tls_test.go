package mockserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// SDKs that only dial wss:// reach the same port over TLS, trusting the
// server's self-signed certificate.
func TestTLSOnTheSamePort(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertPEM()) {
		t.Fatal("CertPEM is not a PEM certificate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, host := range []string{"wss://" + strings.TrimPrefix(srv.TLSURL(), "https://"), "wss://localhost:" + srv.TLSURL()[strings.LastIndex(srv.TLSURL(), ":")+1:], "ws" + strings.TrimPrefix(srv.URL(), "http")} {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		conn, _, err := websocket.Dial(ctx, host+"/openai/v1/realtime?model=m", &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			t.Fatalf("dial %s: %v", host, err)
		}
		conn.SetReadLimit(1 << 20)
		_, data, err := conn.Read(ctx)
		if err != nil || !strings.Contains(string(data), `"type":"session.created"`) {
			t.Errorf("%s: first frame %q, %v", host, data, err)
		}
		conn.Close(websocket.StatusNormalClosure, "")
	}
	// A client that does not trust the certificate fails the handshake.
	_, _, err := websocket.Dial(ctx, "wss://"+strings.TrimPrefix(srv.TLSURL(), "https://")+"/openai/v1/realtime?model=m", nil)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted TLS dial: err = %v, want a certificate error", err)
	}
}
