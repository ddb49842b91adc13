package mockserver_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtmock/rtmock/mockserver"
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

// Without a path the certificate goes to a new directory only its user can
// enter, under the temp dir, and Remove takes both away.
func TestWriteCertFileInAPrivateDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	pem := []byte("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n")
	a, err := mockserver.WriteCertFile(pem, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := mockserver.WriteCertFile(pem, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Path == b.Path {
		t.Errorf("two servers share %s", a.Path)
	}
	for _, c := range []*mockserver.CertFile{a, b} {
		dir := filepath.Dir(c.Path)
		if filepath.Dir(dir) != tmp {
			t.Errorf("%s is not in a directory of its own under %s", c.Path, tmp)
		}
		if st, err := os.Lstat(dir); err != nil || st.Mode().Perm() != 0o700 || !st.IsDir() {
			t.Errorf("directory %s: %v, %v; want a 0700 directory", dir, st.Mode(), err)
		}
		if got, err := os.ReadFile(c.Path); err != nil || !bytes.Equal(got, pem) {
			t.Errorf("%s holds %q, %v", c.Path, got, err)
		}
		if err := c.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Remove, %s: %v; want it gone", dir, err)
		}
		if err := c.Remove(); err != nil {
			t.Errorf("second Remove: %v", err)
		}
	}
}

// A given path is replaced as a whole: whatever was there is neither
// followed nor reused.
func TestWriteCertFileReplacesWhatIsAtThePath(t *testing.T) {
	t.Parallel()
	pem := []byte("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n")
	t.Run("a symlink to another file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		victim := filepath.Join(dir, "victim")
		if err := os.WriteFile(victim, []byte("root-only data"), 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "ca.pem")
		if err := os.Symlink(victim, path); err != nil {
			t.Fatal(err)
		}
		c, err := mockserver.WriteCertFile(pem, path)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(victim); string(got) != "root-only data" {
			t.Errorf("the symlink was followed: the victim now holds %q", got)
		}
		if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s is %v, %v; want a regular file in place of the link", path, st.Mode(), err)
		}
		if err := c.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Remove: %v", err)
		}
	})
	t.Run("a file someone else can write", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(path, []byte("planted"), 0o666); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, 0o666)
		before, _ := os.Lstat(path)
		c, err := mockserver.WriteCertFile(pem, path)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := os.Lstat(path)
		if os.SameFile(before, after) {
			t.Error("the planted file was reused")
		}
		if after.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", after.Mode().Perm())
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, pem) {
			t.Errorf("file holds %q", got)
		}
		// A file put there later is not the server's to remove.
		os.Remove(path)
		os.WriteFile(path, []byte("someone else's"), 0o644)
		if err := c.Remove(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != "someone else's" {
			t.Errorf("Remove deleted a file that was not the server's: %q", got)
		}
	})
	t.Run("a directory", func(t *testing.T) {
		t.Parallel()
		path := t.TempDir()
		_, err := mockserver.WriteCertFile(pem, path)
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("err = %v, want one saying %s is a directory", err, path)
		}
	})
}
