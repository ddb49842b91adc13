package rtc_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtmock/rtmock/mockserver/rtc"
)

// dropEvery loses every nth packet.
type dropEvery struct {
	n    int
	mu   sync.Mutex
	seen int
}

func (d *dropEvery) Outgoing(rtc.Packet) (bool, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen++
	return d.seen%d.n == 0, 0
}

// delayOne holds the packet with the given index (from 0) back by delay.
type delayOne struct {
	index int
	delay time.Duration
	mu    sync.Mutex
	seen  int
	seqs  []uint16
}

func (d *delayOne) Outgoing(p rtc.Packet) (bool, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seqs = append(d.seqs, p.Seq)
	d.seen++
	if d.seen-1 == d.index {
		return false, d.delay
	}
	return false, 0
}

// playReply asks for a reply and paces its 1 s tone out.
func playReply(t *testing.T, r *rig, c *client, from *int) {
	t.Helper()
	c.send(`{"type":"response.create"}`)
	c.event("output_audio_buffer.started", from)
	for range 50 {
		r.step(20 * time.Millisecond)
	}
	c.event("output_audio_buffer.stopped", from)
}

// TestPacketLoss: lost packets leave gaps in the sequence numbers the
// client sees, and change neither pacing nor the playback reports.
func TestPacketLoss(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	s.Call().(rtc.Faults).SetRTPFault(&dropEvery{n: 5})
	from := 0
	start := r.clock.Now()
	playReply(t, r, c, &from)
	if pb := s.Playbacks(); len(pb) != 2 || pb[1].At.Sub(start) != time.Second {
		t.Fatalf("playback reports %+v, want stopped 1 s after the start", pb)
	}
	got := c.waitPackets(40)
	if len(got) != 40 {
		t.Fatalf("%d packets arrived, want 40 of 50", len(got))
	}
	first := got[0].SequenceNumber
	for i, p := range got {
		// Packets 4, 9, 14, … (from 0) were lost.
		want := first + uint16(i+i/4)
		if p.SequenceNumber != want {
			t.Fatalf("packet %d has sequence %d, want %d: %s", i, p.SequenceNumber, want, describePackets(got))
		}
	}
	// Removing the fault restores the stream.
	s.Call().(rtc.Faults).SetRTPFault(nil)
	playReply(t, r, c, &from)
	if got := c.waitPackets(90); len(got) != 90 {
		t.Fatalf("%d packets in all, want 40 + 50", len(got))
	}
}

// TestJitter: a packet held back arrives after the one sent after it.
func TestJitter(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	f := &delayOne{index: 10, delay: 30 * time.Millisecond}
	s.Call().(rtc.Faults).SetRTPFault(f)
	from := 0
	playReply(t, r, c, &from)
	got := c.waitPackets(50)
	var order []uint16
	for _, p := range got {
		order = append(order, p.SequenceNumber-got[0].SequenceNumber)
	}
	want := []uint16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10, 12}
	if !slices.Equal(order[:len(want)], want) {
		t.Fatalf("arrival order %v, want packet 10 after 11", order[:len(want)])
	}
}

// TestDataChannelClose: the fault closes the data channel; the client sees
// it close and the session ends.
func TestDataChannelClose(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	s.Call().(rtc.Faults).CloseDataChannel()
	select {
	case <-c.gone:
	case <-time.After(wait):
		t.Fatal("the client's data channel did not close")
	}
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("the session was not closed")
	}
	if !errors.Is(s.Err(), rtc.ErrDataChannelClosed) {
		t.Fatalf("Closed(%v), want ErrDataChannelClosed", s.Err())
	}
}

// TestClientHangsUp: the client closing its peer connection ends the call.
func TestClientHangsUp(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	c.shutdown()
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("the session was not closed")
	}
	if err := s.Err(); !errors.Is(err, rtc.ErrClientHungUp) {
		t.Fatalf("Closed(%v), want ErrClientHungUp: the client closed the call", err)
	}
}

// TestConnectTimeout: a call whose client never connects ends when the
// clock passes ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	r := newRig(t, &rtc.Options{ConnectTimeout: 5 * time.Second}, nil)
	c := newClient(t)
	got := do(t, r.srv.URL, request{path: "/v1/realtime/calls", ctype: "application/sdp", body: c.offer(), headers: bearer(testKey)})
	if got.status != 201 {
		t.Fatalf("%d %s", got.status, got.body)
	}
	s := mustNext(t, r)
	r.step(5 * time.Second)
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("the session was not closed")
	}
	if !errors.Is(s.Err(), rtc.ErrConnectTimeout) {
		t.Fatalf("Closed(%v), want ErrConnectTimeout", s.Err())
	}
}

// TestWebRTCFilter: Azure's ?webrtcfilter=on lets only its listed events
// through to the browser.
func TestWebRTCFilter(t *testing.T) {
	r := newRig(t, nil, nil)
	c := newClient(t)
	key := mintFor(t, r.srv.URL, "/openai/v1/realtime/client_secrets", apiKey(testKey), `{"session":{"type":"realtime","model":"d"}}`)
	c.dial(r.srv.URL+"/openai/v1/realtime/calls?webrtcfilter=on", key, "", nil)
	mustNext(t, r)
	c.waitOpen()
	c.send(`{"type":"session.update","session":{"type":"realtime"}}`)
	from := 0
	playReply(t, r, c, &from)
	if got := c.eventTypes(); got != "output_audio_buffer.started, output_audio_buffer.stopped" {
		t.Fatalf("events through the filter: %s; want only output_audio_buffer.started and .stopped (session.created, session.updated, response.created and response.done are withheld)", got)
	}
	if strings.Contains(c.eventTypes(), "session") {
		t.Fatal("session events passed the filter")
	}
}

// TestSessionClosesAtOnce: a Session that ends its call from NewSession
// gets Closed(nil), and the call leaves nothing running.
func TestSessionClosesAtOnce(t *testing.T) {
	var r *rig
	r = newRig(t, &rtc.Options{NewSession: func(info *rtc.CallInfo) (rtc.Session, error) {
		s, err := r.factory.NewSession(info)
		info.Call.Close("refused after all")
		return s, err
	}}, nil)
	got := do(t, r.srv.URL, request{path: "/v1/realtime/calls", ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(testKey)})
	if got.status != 201 {
		t.Fatalf("%d %s", got.status, got.body)
	}
	s := mustNext(t, r)
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("the session was not closed")
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Closed(%v), want nil after the Session's own Close", err)
	}
}
