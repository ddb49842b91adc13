package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

var trustRE = regexp.MustCompile(`and on (https://127\.0\.0\.1:\d+)\b.*\btrust (\S+)`)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serveUntilBanner runs "rtmock args…" until its banner names the TLS URL
// and the certificate to trust; stop ends it as SIGINT would.
func serveUntilBanner(t *testing.T, args ...string) (tlsURL, certPath string, out *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	cmd := NewRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := trustRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], m[2], out, stop
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited before its banner: %v\n%s", err, out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no banner naming the certificate:\n%s", out.String())
		}
	}
}

// Whatever is at the name rtmock serve once used in the shared temp dir
// (rtmock-PORT.pem) is neither followed, reused nor in the way: the
// certificate goes to a private directory of its own, removed at exit.
func TestServeCertificateFileIsPrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	victim := filepath.Join(t.TempDir(), "root-only")
	if err := os.WriteFile(victim, []byte("root-only data"), 0o600); err != nil {
		t.Fatal(err)
	}
	plants := []struct {
		name  string
		plant func(path string) error
		check func(t *testing.T, path string)
	}{
		{"a symlink to another file", func(p string) error { return os.Symlink(victim, p) }, func(t *testing.T, p string) {
			if got, _ := os.ReadFile(victim); string(got) != "root-only data" {
				t.Errorf("the planted symlink was followed: its target holds %q", got)
			}
		}},
		{"a file another user made", func(p string) error { return os.WriteFile(p, []byte("planted CA"), 0o666) }, func(t *testing.T, p string) {
			if got, _ := os.ReadFile(p); string(got) != "planted CA" {
				t.Errorf("the planted file was reused: it holds %q", got)
			}
		}},
		{"a directory", func(p string) error { return os.Mkdir(p, 0o755) }, func(t *testing.T, p string) {
			if st, err := os.Lstat(p); err != nil || !st.IsDir() {
				t.Errorf("the planted directory: %v, %v", st, err)
			}
		}},
	}
	for _, pl := range plants {
		t.Run(pl.name, func(t *testing.T) {
			port := freePort(t)
			old := filepath.Join(tmp, "rtmock-"+strconv.Itoa(port)+".pem")
			if err := pl.plant(old); err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(old)
			tlsURL, certPath, out, stop := serveUntilBanner(t, "serve", "--addr", "127.0.0.1:"+strconv.Itoa(port), "--pace", "instant")
			pl.check(t, old)
			dir := filepath.Dir(certPath)
			if certPath == old || filepath.Dir(dir) != tmp {
				t.Errorf("certificate at %s, want a file in a directory of its own under %s", certPath, tmp)
			}
			if st, err := os.Lstat(dir); err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("certificate directory %s: %v, %v; want mode 0700", dir, st, err)
			}
			if strings.Contains(out.String(), "SSL_CERT_FILE") || !strings.Contains(out.String(), "NODE_EXTRA_CA_CERTS="+certPath) {
				t.Errorf("the banner should add trust with NODE_EXTRA_CA_CERTS, never replace it with SSL_CERT_FILE:\n%s", out.String())
			}
			dialTrusting(t, tlsURL, certPath)
			stop()
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Errorf("after exit, %s: %v; want it removed", dir, err)
			}
			pl.check(t, old)
		})
	}
}

// dialTrusting opens a wss session at base trusting only the PEM file.
func dialTrusting(t *testing.T, base, certPath string) {
	t.Helper()
	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	conn, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(base, "https")+"/openai/v1/realtime?model=m", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("wss dial trusting %s: %v", certPath, err)
	}
	conn.SetReadLimit(1 << 24)
	if _, data, err := conn.Read(ctx); err != nil || !strings.Contains(string(data), "session.created") {
		t.Errorf("first frame %q, %v", data, err)
	}
	conn.Close(websocket.StatusNormalClosure, "")
	hc.CloseIdleConnections()
}
