package rtc_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtmock/rtmock/clock"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/thesyncim/gopus"
)

// wait bounds how long a test waits for something the network delivers.
const wait = 20 * time.Second

// manualClock is a clock.Manual the tests move, as an rtc.Clock.
type manualClock struct{ *clock.Manual }

func (c manualClock) NewTimer(d time.Duration) rtc.Timer { return rtc.ClockOf(c.Manual).NewTimer(d) }

func newManualClock() manualClock {
	return manualClock{clock.NewManual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
}

// client is a WebRTC client written with pion, as a browser would be: it
// offers an audio track and an "oai-events" data channel, posts the offer
// and sets the answer.
type client struct {
	t     *testing.T
	pc    *webrtc.PeerConnection
	dc    *webrtc.DataChannel
	mic   *webrtc.TrackLocalStaticSample
	open  chan struct{}
	gone  chan struct{} // the data channel closed
	wg    sync.WaitGroup
	resp  *http.Response
	close sync.Once

	mu      sync.Mutex
	events  []json.RawMessage
	evCh    chan struct{}
	packets []*rtp.Packet
	pktCh   chan struct{}
}

// newClient makes the peer connection and its offer.
func newClient(t *testing.T) *client {
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
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, pc: pc, open: make(chan struct{}), gone: make(chan struct{}), evCh: make(chan struct{}, 1), pktCh: make(chan struct{}, 1)}
	t.Cleanup(c.shutdown)
	c.mic, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "client")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := pc.AddTrack(c.mic)
	if err != nil {
		t.Fatal(err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	c.dc, err = pc.CreateDataChannel("oai-events", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.dc.OnOpen(func() { close(c.open) })
	c.dc.OnClose(func() { close(c.gone) })
	c.dc.OnMessage(func(m webrtc.DataChannelMessage) {
		c.mu.Lock()
		c.events = append(c.events, append(json.RawMessage(nil), m.Data...))
		c.mu.Unlock()
		notify(c.evCh)
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.packets = append(c.packets, pkt)
			c.mu.Unlock()
			notify(c.pktCh)
		}
	})
	return c
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (c *client) shutdown() {
	c.close.Do(func() {
		c.pc.Close()
		c.wg.Wait()
	})
}

// offer returns the client's SDP offer, without candidates, as a browser
// posts it right after setLocalDescription.
func (c *client) offer() string {
	c.t.Helper()
	o, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.pc.SetLocalDescription(o); err != nil {
		c.t.Fatal(err)
	}
	return o.SDP
}

// dial posts the offer to url with the body and content type given (raw
// SDP when contentType is "") and sets the answer; it returns the response.
func (c *client) dial(url, bearer, contentType string, body []byte) *http.Response {
	c.t.Helper()
	if contentType == "" {
		contentType, body = "application/sdp", []byte(c.offer())
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("POST %s: %s: %s", url, resp.Status, answer)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		c.t.Fatalf("set answer: %v\n%s", err, answer)
	}
	c.resp = resp
	return resp
}

func (c *client) waitOpen() {
	c.t.Helper()
	select {
	case <-c.open:
	case <-time.After(wait):
		c.t.Fatalf("data channel did not open in %v (connection %s)", wait, c.pc.ConnectionState())
	}
}

func (c *client) send(ev string) {
	c.t.Helper()
	if err := c.dc.SendText(ev); err != nil {
		c.t.Fatal(err)
	}
}

// event waits for the next server event of the given type and returns it,
// with the types of every event received before it since the last call.
func (c *client) event(typ string, from *int) map[string]any {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		for *from < len(c.events) {
			raw := c.events[*from]
			*from++
			var ev map[string]any
			if err := json.Unmarshal(raw, &ev); err != nil {
				c.mu.Unlock()
				c.t.Fatalf("server event is not JSON: %v: %s", err, raw)
			}
			if ev["type"] == typ {
				c.mu.Unlock()
				return ev
			}
		}
		c.mu.Unlock()
		select {
		case <-c.evCh:
		case <-deadline:
			c.t.Fatalf("no %s event in %v; events: %s", typ, wait, c.eventTypes())
		}
	}
}

func (c *client) eventTypes() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var types []string
	for _, raw := range c.events {
		var ev struct{ Type string }
		json.Unmarshal(raw, &ev)
		types = append(types, ev.Type)
	}
	return strings.Join(types, ", ")
}

// waitPackets waits until n RTP packets have arrived.
func (c *client) waitPackets(n int) []*rtp.Packet {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		if len(c.packets) >= n {
			p := append([]*rtp.Packet(nil), c.packets...)
			c.mu.Unlock()
			return p
		}
		got := len(c.packets)
		c.mu.Unlock()
		select {
		case <-c.pktCh:
		case <-deadline:
			c.t.Fatalf("%d RTP packets arrived in %v, want %d", got, wait, n)
		}
	}
}

// sendAudio encodes 24 kHz PCM as a browser does (48 kHz Opus, 20 ms
// packets) and sends it on the microphone track as fast as it can.
func (c *client) sendAudio(pcm24 []int16) {
	c.t.Helper()
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		c.t.Fatal(err)
	}
	pcm48 := upsample2(pcm24)
	buf := make([]byte, 4000)
	for off := 0; off+960 <= len(pcm48); off += 960 {
		n, err := enc.EncodeInt16(pcm48[off:off+960], buf)
		if err != nil {
			c.t.Fatal(err)
		}
		if err := c.mic.WriteSample(media.Sample{Data: append([]byte(nil), buf[:n]...), Duration: 20 * time.Millisecond}); err != nil {
			c.t.Fatal(err)
		}
	}
}

// upsample2 doubles the sample rate by linear interpolation: good enough
// for a test signal below 6 kHz.
func upsample2(s []int16) []int16 {
	out := make([]int16, 2*len(s))
	for i, v := range s {
		next := v
		if i+1 < len(s) {
			next = s[i+1]
		}
		out[2*i] = v
		out[2*i+1] = int16((int32(v) + int32(next)) / 2)
	}
	return out
}

// postJSON posts body to url with the headers and decodes the JSON answer.
func postJSON(t *testing.T, url string, headers map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("POST %s: %s: not JSON: %s", url, resp.Status, raw)
		}
	}
	return resp.StatusCode, out
}

// mint gets an ephemeral key from an OpenAI client_secrets route.
func mint(t *testing.T, base, apiKey string) string {
	t.Helper()
	status, out := postJSON(t, base+"/v1/realtime/client_secrets", map[string]string{"Authorization": "Bearer " + apiKey},
		`{"session":{"type":"realtime","model":"gpt-realtime"}}`)
	if status != http.StatusOK {
		t.Fatalf("mint: %d %v", status, out)
	}
	v, _ := out["value"].(string)
	if !strings.HasPrefix(v, "ek_") {
		t.Fatalf("mint: value %q", v)
	}
	return v
}

func describePackets(ps []*rtp.Packet) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d/%d/%v ", p.SequenceNumber, p.Timestamp, p.Marker)
	}
	return b.String()
}
