package mockserver

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync"
	"time"
)

// SDKs such as the openai npm package's realtime clients only dial wss://.
// So that they can talk to the mock unchanged, the server answers TLS and
// plain connections on the same port: it looks at the first byte a client
// sends (a TLS handshake record starts with 0x16, an HTTP request with a
// letter) and wraps the connection accordingly. The certificate is a fresh
// self-signed one for localhost, 127.0.0.1 and ::1; point the client's trust
// store at Server.CertPEM (Node: NODE_EXTRA_CA_CERTS).

// selfSigned makes a certificate valid for the loopback names.
func selfSigned(now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"rtmock"}, CommonName: "rtmock local realtime mock"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}

// sniffListener hands out connections that become TLS when the client
// starts a TLS handshake.
type sniffListener struct {
	net.Listener
	cfg *tls.Config
}

func (l *sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, cfg: l.cfg}, nil
}

// sniffConn decides on its first Read whether it carries TLS.
type sniffConn struct {
	net.Conn
	cfg   *tls.Config
	once  sync.Once
	inner net.Conn // the connection to read and write: plain or TLS
}

func (c *sniffConn) detect() {
	br := bufio.NewReader(c.Conn)
	c.inner = &bufferedConn{Conn: c.Conn, r: br}
	if b, err := br.Peek(1); err == nil && b[0] == 0x16 {
		c.inner = tls.Server(c.inner, c.cfg)
	}
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.once.Do(c.detect)
	return c.inner.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.once.Do(c.detect)
	return c.inner.Write(p)
}

func (c *sniffConn) Close() error {
	if c.inner != nil {
		return c.inner.Close()
	}
	return c.Conn.Close()
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
