package mockserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// waitForStacks waits until n goroutines have frame in their stacks. It
// reads the stacks, which orders nothing between goroutines, so a data race
// the test then provokes is still one for the race detector.
func waitForStacks(t *testing.T, frame string, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(30 * time.Second)
	for {
		buf = buf[:runtime.Stack(buf[:cap(buf)], true)]
		if got := strings.Count(string(buf), frame); got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d goroutines in %s after 30s:\n%s", n, frame, buf)
		}
		time.Sleep(time.Millisecond)
	}
}

// Connections that sent nothing yet (net/http's StateNew) are closed by
// http.Server.Close while their serving goroutine is still sniffing the
// first byte. Run with -race: closing must not race with the sniffing.
func TestTLSSniffingDoesNotRaceClose(t *testing.T) {
	t.Parallel()
	cert, _, err := selfSigned(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl := &sniffListener{Listener: ln, cfg: &tls.Config{Certificates: []tls.Certificate{cert}}}
	hs := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(sl) }()

	const n = 20
	var conns []net.Conn
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitForStacks(t, "mockserver.(*sniffConn).detect", n)
	if err := hs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("connection %d: read %d bytes, %v; want EOF once the server closed it", i, n, err)
		}
	}
}

// The certificate clients are told to trust is a leaf for the loopback
// names: even its own key cannot issue a certificate that a client
// trusting it would accept for another host.
func TestTLSCertIsALoopbackLeaf(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cert, pemBytes, err := selfSigned(now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.IsCA || !leaf.BasicConstraintsValid || leaf.KeyUsage&x509.KeyUsageCertSign != 0 {
		t.Errorf("IsCA %v, basic constraints %v, key usage %b: want a leaf that cannot sign certificates", leaf.IsCA, leaf.BasicConstraintsValid, leaf.KeyUsage)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("not PEM")
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, CurrentTime: now}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "example.com", CurrentTime: now}); err == nil {
		t.Error("the certificate verifies for example.com")
	}

	// A certificate for another host, signed with the leaf's own key.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bank.example"}, DNSNames: []string{"bank.example"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, leaf, &key.PublicKey, cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := x509.ParseCertificate(der)
	if _, err := forged.Verify(x509.VerifyOptions{Roots: pool, DNSName: "bank.example", CurrentTime: now}); err == nil {
		t.Error("a certificate signed with the mock's key verifies for bank.example")
	}
}
