package mockserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SDKs such as the openai npm package's realtime clients only dial wss://.
// So that they can talk to the mock unchanged, the server answers TLS and
// plain connections on the same port: it looks at the first byte a client
// sends (a TLS handshake record starts with 0x16, an HTTP request with a
// letter) and wraps the connection accordingly.
//
// The certificate is a fresh self-signed leaf for localhost, 127.0.0.1 and
// ::1, made at start with a key that lives only in the process. It is not a
// CA (basic constraints CA:FALSE, key usage digital signature only), so a
// client told to trust it trusts this one certificate for the loopback
// names and nothing else: whoever reads the file cannot mint certificates
// for other hosts with it, which a CA certificate, even one with name
// constraints, would let its key holder do, and not every TLS stack honours
// name constraints. Node (NODE_EXTRA_CA_CERTS), OpenSSL and Go accept a
// self-signed leaf as its own trust anchor. Point the client's trust store
// at Server.CertPEM, written to disk by WriteCertFile.

// selfSigned makes a leaf certificate valid for the loopback names.
func selfSigned(now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"rtmock"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
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

// sniffConn decides on its first Read whether it carries TLS. Read and
// Write see inner through once; Close may come from another goroutine
// (http.Server.Close on a connection that has sent nothing yet) while the
// first Read still waits for a byte, so it reads inner under mu.
type sniffConn struct {
	net.Conn
	cfg  *tls.Config
	once sync.Once

	mu    sync.Mutex
	inner net.Conn // the connection to read and write: plain or TLS; nil until detected
}

// detect reads the connection's first byte: 0x16 opens a TLS handshake.
// The byte is kept in the connection rather than behind a bufio.Reader, so
// sniffing costs an idle connection one byte and not a 4 KiB buffer.
func (c *sniffConn) detect() {
	pc := &prefixConn{Conn: c.Conn}
	n, err := io.ReadFull(c.Conn, pc.first[:])
	pc.pending, pc.err = n == 1, err
	var inner net.Conn = pc
	if n == 1 && pc.first[0] == 0x16 {
		inner = tls.Server(inner, c.cfg)
	}
	c.mu.Lock()
	c.inner = inner
	c.mu.Unlock()
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.once.Do(c.detect)
	return c.inner.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.once.Do(c.detect)
	return c.inner.Write(p)
}

// Close closes the TLS layer when there is one (it sends close_notify),
// else the socket; a Read still sniffing then fails and returns.
func (c *sniffConn) Close() error {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Close()
	}
	return c.Conn.Close()
}

// prefixConn gives back the byte detect read, then reads the socket.
type prefixConn struct {
	net.Conn
	first   [1]byte
	pending bool  // first is still unread
	err     error // what the first read returned
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if c.pending && len(p) > 0 {
		c.pending = false
		p[0] = c.first[0]
		return 1, nil
	}
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(p)
}

// CertFile is the server's certificate on disk, for clients that must be
// told which certificate to trust (NODE_EXTRA_CA_CERTS=Path).
type CertFile struct {
	Path string // the PEM file

	dir     string      // the private directory made for it, removed with it; "" for a given path
	written fs.FileInfo // the file as written, so that Remove leaves a file put there since alone
}

// WriteCertFile writes certPEM (Server.CertPEM) to disk for TLS clients to
// trust and says where.
//
// With path "", it makes a new directory that only the current user can
// enter (mode 0700, a random name in os.TempDir) and creates cert.pem in it
// exclusively (O_EXCL, which never follows a symlink). No predictable name
// in a shared directory is used, so nothing another user planted there (a
// symlink, a file they can write, a directory) is followed, reused or in
// the way.
//
// With a path, the file there is replaced as a whole: the certificate is
// written to a new file beside it, synced, and renamed over it. A symlink
// at path is replaced, not followed, and an existing file's contents, owner
// and permissions are never reused. A directory at path is an error.
//
// Remove deletes what WriteCertFile wrote.
func WriteCertFile(certPEM []byte, path string) (*CertFile, error) {
	if path == "" {
		return writeCertPrivate(certPEM)
	}
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("write certificate to %s: it is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	if err := writeAndClose(tmp, certPEM); err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("write certificate %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	st, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	return &CertFile{Path: path, written: st}, nil
}

func writeCertPrivate(certPEM []byte) (*CertFile, error) {
	dir, err := os.MkdirTemp("", "rtmock-tls-")
	if err != nil {
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	// MkdirTemp makes 0700 directories; say so for umasks and platforms
	// that would do otherwise.
	if err := os.Chmod(dir, 0o700); err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	path := filepath.Join(dir, "cert.pem")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		err = writeAndClose(f, certPEM)
	}
	var st fs.FileInfo
	if err == nil {
		st, err = os.Lstat(path)
	}
	if err != nil {
		os.Remove(path)
		os.Remove(dir)
		return nil, fmt.Errorf("write certificate: %w", err)
	}
	return &CertFile{Path: path, dir: dir, written: st}, nil
}

func writeAndClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // a certificate is public; only its integrity matters
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// isOurs reports whether st is still the file WriteCertFile wrote: the
// same inode, size and modification time. The inode alone is not enough:
// a file written there after ours was removed may get its number again.
func (c *CertFile) isOurs(st fs.FileInfo) bool {
	return os.SameFile(st, c.written) && st.Size() == c.written.Size() && st.ModTime().Equal(c.written.ModTime())
}

// Remove deletes the certificate file, and the directory made for it. A
// file that replaced it at Path since is left alone. Remove is idempotent.
func (c *CertFile) Remove() error {
	var err error
	if st, lerr := os.Lstat(c.Path); lerr == nil && c.isOurs(st) {
		err = os.Remove(c.Path)
	}
	if c.dir != "" {
		if derr := os.Remove(c.dir); derr != nil && !errors.Is(derr, fs.ErrNotExist) && err == nil {
			err = derr
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return err
}
