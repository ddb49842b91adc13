package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// TestSidebandWithTheOpenAIClient attaches the openai package's OpenAIRealtimeWS({callID}) to
// a WebRTC call that a pion client made on "rtmock serve", as an application server attaches to
// its browser's call: the socket's session.update and response.create act on the call (the
// data channel sees the instructions and the reply), the package's realtime.calls.hangup ends
// it, and the socket is closed with 1000.
func TestSidebandWithTheOpenAIClient(t *testing.T) {
	requireNodeClients(t)
	t.Parallel()
	srv := startRTMockWith(t, buildRTMock(t), defaultReply, nil, nil)
	call := dialCall(t, srv.url+"/v1/realtime/calls")
	r, ok := runNode(t, "sideband.mjs", nil, []string{
		"OPENAI_BASE_URL=" + srv.tlsURL + "/v1", "OPENAI_API_KEY=" + apiKey, "NODE_EXTRA_CA_CERTS=" + srv.caFile,
		"CALL_ID=" + call.id,
	})
	if !ok {
		return
	}
	var types []string
	closeCode := 0
	for line := range strings.Lines(r.stdout) {
		var v struct {
			Type  string
			Close int
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		if v.Type != "" {
			types = append(types, v.Type)
		}
		closeCode = max(closeCode, v.Close)
	}
	got := strings.Join(types, " ")
	t.Logf("the control socket saw %s; closed %d", got, closeCode)
	if !strings.HasPrefix(got, "session.updated response.created") || !strings.Contains(got, "response.done") ||
		strings.Contains(got, "session.created") || strings.Contains(got, "response.output_audio.delta") {
		t.Errorf("the control socket saw %s; want its session.updated first, the reply, no audio delta", got)
	}
	if closeCode != 1000 {
		t.Errorf("the hang-up closed the control socket with %d, want 1000\nstderr:\n%s", closeCode, r.stderr)
	}
	seen := call.events()
	if !strings.Contains(seen, `"instructions":"Answer from the server."`) || !strings.Contains(seen, `"type":"response.done"`) {
		t.Errorf("the data channel did not see the server's session.update and reply:\n%s", seen)
	}
}

// rtcCall is a WebRTC call as a browser makes it, with pion: an audio track, an "oai-events"
// data channel, the raw SDP offer posted with the key.
type rtcCall struct {
	id  string
	mu  sync.Mutex
	got bytes.Buffer // the data channel's messages, one a line
}

func (c *rtcCall) events() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got.String()
}

func dialCall(t *testing.T, url string) *rtcCall {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	mic, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "client")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(mic); err != nil {
		t.Fatal(err)
	}
	dc, err := pc.CreateDataChannel("oai-events", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &rtcCall{}
	open := make(chan struct{})
	dc.OnOpen(func() { close(open) })
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		c.mu.Lock()
		c.got.Write(msg.Data)
		c.got.WriteByte('\n')
		c.mu.Unlock()
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(offer.SDP))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, answer)
	}
	loc := resp.Header.Get("Location")
	c.id = loc[strings.LastIndexByte(loc, '/')+1:]
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-open:
	case <-time.After(30 * time.Second):
		t.Fatalf("the data channel did not open (connection %s)", pc.ConnectionState())
	}
	return c
}
