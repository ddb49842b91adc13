package browser

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
)

func TestClientChecksItsOptions(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "agent.html")
	if err := os.WriteFile(page, []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		o        *Options
		chromium string // RTMOCK_CHROMIUM
		wantErr  string
		noChrome bool
	}{
		{"an HTML file", &Options{Page: page, Chromium: "sh"}, "", "", false},
		{"a URL", &Options{Page: "https://example.test/agent.html", Chromium: "sh"}, "", "", false},
		{"no page", &Options{Chromium: "sh"}, "", "browser: no page", false},
		{"a folder is no page", &Options{Page: dir, Chromium: "sh"}, "", "not an http(s) URL nor an HTML file", false},
		{"a missing file", &Options{Page: filepath.Join(dir, "nope.html"), Chromium: "sh"}, "", "not an http(s) URL nor an HTML file", false},
		{"a named chromium that is not there", &Options{Page: page, Chromium: "no-such-chromium"}, "", "chromium no-such-chromium", false},
		{"RTMOCK_CHROMIUM names it", &Options{Page: page}, "sh", "", false},
		{"none on PATH", &Options{Page: page}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RTMOCK_CHROMIUM", tt.chromium)
			if tt.noChrome {
				t.Setenv("PATH", dir)
			}
			fn, err := Client(tt.o)
			switch {
			case tt.noChrome:
				if !errors.Is(err, ErrNoChromium) {
					t.Fatalf("err %v, want ErrNoChromium", err)
				}
			case tt.wantErr == "":
				if err != nil || fn == nil {
					t.Fatalf("Client: %v", err)
				}
			case err == nil || !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("err %v, want it to say %q", err, tt.wantErr)
			}
		})
	}
}

func TestTheRunGoesIntoThePageQuery(t *testing.T) {
	t.Parallel()
	page, _ := url.Parse("http://127.0.0.1:3000/agent.html?voice=verse&rtmock_key=stale")
	env := conformance.Env{Endpoint: "http://127.0.0.1:4000", APIKey: "k", Deployment: "gpt-realtime",
		Scenario: "barge-in", InputText: "hi there", Vars: []string{conformance.EnvDialect + "=" + string(realtime.GA)}}
	q := withRun(page, env).Query()
	want := map[string]string{"voice": "verse", "rtmock_endpoint": "http://127.0.0.1:4000", "rtmock_key": "k",
		"rtmock_deployment": "gpt-realtime", "rtmock_dialect": "ga", "rtmock_scenario": "barge-in", "rtmock_input_text": "hi there", "rtmock_api_version": ""}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if page.Query().Get("rtmock_key") != "stale" {
		t.Error("withRun changed the page's own URL")
	}
}

func TestMicrophoneSaysTheUsersLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if got, err := microphone(dir, conformance.Env{InputWAV: "/x/speech.wav"}); err != nil || got != "/x/speech.wav" {
		t.Errorf("with user speech: %q, %v", got, err)
	}
	p, err := microphone(dir, conformance.Env{InputText: "typed"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, conformance.SpeechWAV()) {
		t.Errorf("a typing scenario's microphone %s: %v; want the runner's spoken line", p, err)
	}
}
