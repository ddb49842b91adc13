package mockserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
)

// The control WebSocket of a WebRTC call (?call_id=): a server attaches to
// the call's session with its standard key. These tests make the call with
// a pion client (rtcClient) and attach with coder/websocket (rttest).

const controlKey = "test-key"

func controlAuth(header, value string) *rttest.DialOptions {
	return &rttest.DialOptions{Header: http.Header{header: {value}}}
}

var bearerAuth = controlAuth("Authorization", "Bearer "+controlKey)

// post sends an authorised POST to the mock and returns its status and body.
func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+controlKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestWebRTCControlSocket: the control socket sees the call's events, and
// what it sends goes into the same session, which the browser's data
// channel shows; a bad event gets the service's error and the call goes
// on; a second socket sees the same events; a socket failed by a frame
// that is not UTF-8 leaves the call up; the call keeps one transcript, the
// socket's events among its client frames.
func TestWebRTCControlSocket(t *testing.T) {
	t.Parallel()
	ended := make(chan *mockserver.Transcript, 1)
	srv := startServer(t, &mockserver.Options{APIKey: controlKey, KeepTranscripts: true,
		OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
	c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
	n := 0
	c.until("session.created", &n)
	side := rttest.Dial(t, srv.URL()+"/v1/realtime?call_id="+c.callID, bearerAuth)

	side.Send(`{"type":"session.update","session":{"type":"realtime","instructions":"Answer as the concierge."}}`)
	if got := side.Next(); got.Type != "session.updated" || got.Str("session.instructions") != "Answer as the concierge." {
		t.Fatalf("the control socket got %s, want its session.updated first (no session.created on attaching)", got.Raw)
	}
	c.until("session.updated", &n)
	if got := c.last("session.updated")["session"].(map[string]any)["instructions"]; got != "Answer as the concierge." {
		t.Errorf("the data channel's session.updated has instructions %v", got)
	}

	side.Send(`{"type":"response.creat"}`)
	if got := side.Next(); got.Type != "error" || got.Str("error.code") != "invalid_value" {
		t.Errorf("a bad event on the control socket got %s, want the service's error", got.Raw)
	}
	c.until("error", &n)

	other := rttest.Dial(t, srv.URL()+"/v1/realtime?call_id="+c.callID, bearerAuth)
	side.Send(`{"type":"response.create","event_id":"evt_from_the_server"}`)
	mine := rttest.Types(side.Until("response.done"))
	theirs := rttest.Types(other.Until("response.done"))
	if strings.Join(mine, " ") != strings.Join(theirs, " ") {
		t.Errorf("two control sockets saw different events:\n%v\n%v", mine, theirs)
	}
	seen := c.until("response.done", &n)
	if !contains(seen, "response.created") {
		t.Errorf("the data channel did not see the reply the control socket asked for: %v", seen)
	}
	for _, ty := range mine {
		if ty == "response.output_audio.delta" {
			t.Errorf("the control socket got audio deltas: the call's audio goes on its track (%v)", mine)
			break
		}
	}

	bad := rttest.Dial(t, srv.URL()+"/v1/realtime?call_id="+c.callID, bearerAuth)
	if err := bad.Conn.Write(bad.Ctx, websocket.MessageText, []byte{'{', 0xff, '}'}); err != nil {
		t.Fatal(err)
	}
	if ce := bad.CloseError(); ce.Code != websocket.StatusInvalidFramePayloadData {
		t.Errorf("a text frame not UTF-8 closed its socket with %v, want 1007", ce)
	}
	side.Send(`{"type":"input_audio_buffer.clear"}`)
	side.Until("input_audio_buffer.cleared") // the call is up: it answers

	c.pc.Close()
	for _, s := range []*rttest.Client{side, other} {
		if ce := s.CloseError(); ce.Code != websocket.StatusNormalClosure {
			t.Errorf("the call's end closed a control socket with %v, want 1000", ce)
		}
	}
	tr := <-ended
	var client []string
	for _, f := range tr.Frames {
		if f.Dir == cassette.Client && f.Kind == cassette.KindText {
			client = append(client, f.Type)
		}
	}
	if want := "session.update response.creat response.create input_audio_buffer.clear"; strings.Join(client, " ") != want {
		t.Errorf("the call's transcript has client events %v, want %s", client, want)
	}
	if tr.Transport != "webrtc" {
		t.Errorf("transcript transport %q", tr.Transport)
	}
}

// TestWebRTCControlSocketRefused: what is not a control socket of a call
// that is up, with the standard key, is refused, and no session opens.
func TestWebRTCControlSocketRefused(t *testing.T) {
	t.Parallel()
	noCall := func(*testing.T, *mockserver.Server, chan *mockserver.Transcript) string { return "rtc_nosuchcall" }
	aCall := func(t *testing.T, srv *mockserver.Server, _ chan *mockserver.Transcript) string {
		return newRTCClient(t, srv.URL()+"/v1/realtime/calls").callID
	}
	hungUp := func(t *testing.T, srv *mockserver.Server, ended chan *mockserver.Transcript) string {
		id := aCall(t, srv, ended)
		if st, b := post(t, srv.URL()+"/v1/realtime/calls/"+id+"/hangup", ""); st != http.StatusOK {
			t.Fatalf("hang-up: %d %s", st, b)
		}
		<-ended
		return id
	}
	cases := []struct {
		name   string
		path   string
		call   func(*testing.T, *mockserver.Server, chan *mockserver.Transcript) string
		auth   func(t *testing.T, srv *mockserver.Server) *rttest.DialOptions
		status int    // the refusal before the upgrade; 0: upgraded, then closed
		code   string // the error's code
	}{
		{"no such call", "/v1/realtime", noCall, nil, http.StatusNotFound, "call_id_not_found"},
		{"no such call, Azure", "/openai/v1/realtime", noCall,
			func(*testing.T, *mockserver.Server) *rttest.DialOptions { return controlAuth("api-key", controlKey) },
			http.StatusNotFound, "call_id_not_found"},
		{"a call hung up", "/v1/realtime", hungUp, nil, http.StatusNotFound, "call_id_not_found"},
		{"an ephemeral key", "/v1/realtime", aCall, func(t *testing.T, srv *mockserver.Server) *rttest.DialOptions {
			st, b := post(t, srv.URL()+"/v1/realtime/client_secrets", "{}")
			var key struct{ Value string }
			if st != http.StatusOK || json.Unmarshal(b, &key) != nil || key.Value == "" {
				t.Fatalf("client_secrets: %d %s", st, b)
			}
			return controlAuth("Authorization", "Bearer "+key.Value)
		}, http.StatusNotFound, "call_id_not_found"},
		{"a wrong key, Azure", "/openai/v1/realtime", aCall,
			func(*testing.T, *mockserver.Server) *rttest.DialOptions { return controlAuth("api-key", "wrong") },
			http.StatusUnauthorized, "401"},
		{"a wrong key", "/v1/realtime", aCall,
			func(*testing.T, *mockserver.Server) *rttest.DialOptions {
				return controlAuth("Authorization", "Bearer wrong")
			},
			0, "invalid_api_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ended := make(chan *mockserver.Transcript, 2)
			srv := startServer(t, &mockserver.Options{APIKey: controlKey, OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
			id := tc.call(t, srv, ended)
			auth := bearerAuth
			if tc.auth != nil {
				auth = tc.auth(t, srv)
			}
			url := srv.URL() + tc.path + "?call_id=" + id
			side, resp, err := rttest.TryDial(t, url, auth)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				if e := side.Next(); e.Type != "error" || e.Str("error.code") != tc.code {
					t.Errorf("first event %s, want error %s", e.Raw, tc.code)
				}
				if ce := side.CloseError(); ce.Code != 3000 {
					t.Errorf("closed with %v, want 3000", ce)
				}
				return
			}
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("err %v, response %v; want %d", err, resp, tc.status)
			}
			b, _ := io.ReadAll(resp.Body)
			var body struct{ Error map[string]any }
			if json.Unmarshal(b, &body) != nil || body.Error["code"] != tc.code {
				t.Errorf("body %s, want the error %s", b, tc.code)
			}
			if tc.code == "call_id_not_found" && (body.Error["message"] != "No session found for the provided call_id" ||
				body.Error["type"] != "invalid_request_error" || body.Error["param"] != "") {
				t.Errorf("body %s, want the service's", b)
			}
		})
	}
}

// TestWebRTCControlSocketEnd: the call's end, however it comes, closes its
// control socket with 1000; the control socket's own close leaves the call
// up; Azure's webrtcfilter narrows the data channel, not the control
// socket.
func TestWebRTCControlSocketEnd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		calls string // the call route
		path  string // the control socket's path
		end   func(t *testing.T, srv *mockserver.Server, c *rtcClient, side *rttest.Client)
	}{
		{"the peer closes", "/v1/realtime/calls", "/v1/realtime", func(t *testing.T, _ *mockserver.Server, c *rtcClient, _ *rttest.Client) {
			c.pc.Close()
		}},
		{"the hang-up route", "/v1/realtime/calls", "/v1/realtime", func(t *testing.T, srv *mockserver.Server, c *rtcClient, _ *rttest.Client) {
			if st, b := post(t, srv.URL()+"/v1/realtime/calls/"+c.callID+"/hangup", ""); st != http.StatusOK {
				t.Fatalf("hang-up: %d %s", st, b)
			}
		}},
		{"the data channel closes", "/openai/v1/realtime/calls", "/openai/v1/realtime", func(t *testing.T, _ *mockserver.Server, c *rtcClient, _ *rttest.Client) {
			c.dc.Close()
		}},
		{"webrtcfilter, Azure", "/openai/v1/realtime/calls?webrtcfilter=on", "/openai/v1/realtime", func(t *testing.T, _ *mockserver.Server, c *rtcClient, side *rttest.Client) {
			c.send(`{"type":"response.create"}`)
			n := 0
			seen := c.until("output_audio_buffer.stopped", &n)
			got := rttest.Types(side.Until("response.done"))
			for _, ty := range []string{"response.created", "response.done"} {
				if contains(seen, ty) || !contains(got, ty) {
					t.Errorf("%s: data channel %v, control socket %v; want it on the control socket only", ty, seen, got)
				}
			}
			c.pc.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ended := make(chan *mockserver.Transcript, 1)
			srv := startServer(t, &mockserver.Options{KeepTranscripts: true, OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
			c := newRTCClient(t, srv.URL()+tc.calls)
			url := srv.URL() + tc.path + "?call_id=" + c.callID
			// A socket that leaves first: the call goes on.
			first := rttest.Dial(t, url, bearerAuth)
			if err := first.Conn.Close(websocket.StatusNormalClosure, "done watching"); err != nil {
				t.Fatalf("close: %v", err)
			}
			side := rttest.Dial(t, url, bearerAuth)
			side.Send(`{"type":"session.update","session":{"type":"realtime","instructions":"Be brief."}}`)
			side.Until("session.updated")
			tc.end(t, srv, c, side)
			if ce := side.CloseError(); ce.Code != websocket.StatusNormalClosure {
				t.Errorf("the call's end closed the control socket with %v, want 1000", ce)
			}
			<-ended
			srv.Close() // every session over: the call's, and any other
			if trs := srv.Transcripts(); len(trs) != 1 || trs[0].Transport != "webrtc" {
				t.Errorf("the call and its control sockets made %d sessions, want the call's one", len(trs))
			}
		})
	}
}
