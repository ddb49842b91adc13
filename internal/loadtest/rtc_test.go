package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestRTCSmoke runs a tiny WebRTC load (2 sessions, 2 replies, one pair)
// over real sockets and checks what does not depend on the machine's
// speed: both phases ran, every reply played with its packets, the
// lateness figures exist, the report survives JSON. Times are never
// asserted.
func TestRTCSmoke(t *testing.T) {
	rep, err := RunRTC(context.Background(), &Options{Sessions: 2, Turns: 2, Pairs: 1, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Product) != 1 || len(rep.Baseline) != 1 || len(rep.CPURatios) != 1 {
		t.Fatalf("%d rtmock and %d raw phases, %d ratios; want 1, 1, 1", len(rep.Product), len(rep.Baseline), len(rep.CPURatios))
	}
	if rep.ReplyPackets <= 0 {
		t.Errorf("the captured reply has %d packets", rep.ReplyPackets)
	}
	for _, p := range append(rep.Product, rep.Baseline...) {
		checkRTCPhase(t, &p, 2*2)
	}
	for _, l := range []*RTCLateness{rep.Lateness, rep.BaselineLateness} {
		if l == nil || l.Packets == 0 {
			t.Errorf("run lateness %+v, want timed packets", l)
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back RTCReport
	if err := json.Unmarshal(data, &back); err != nil || back.Lateness == nil || back.Lateness.Packets != rep.Lateness.Packets {
		t.Errorf("JSON round trip: %v, lateness %+v", err, back.Lateness)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"webrtc, default reply", "CPU × raw", "lateness  rtmock: p50", "lateness  raw: p50", "0 protocol errors"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	t.Logf("\n%s", text.String())
}

// checkRTCPhase checks a phase's counters: no failure, every reply played
// with audio both ways, lateness measured.
func checkRTCPhase(t *testing.T, p *RTCPhase, replies int) {
	t.Helper()
	if p.ProtocolErrors != 0 || p.Cut != 0 || p.Refused != 0 || p.ErrorEvents != 0 {
		t.Errorf("%s: %d protocol errors (first: %q), %d cut, %d refused, %d error events; want none",
			p.Target, p.ProtocolErrors, p.FirstError, p.Cut, p.Refused, p.ErrorEvents)
	}
	if p.Replies != replies || p.Packets <= 0 || p.MicPackets <= 0 || p.SessionSeconds <= 0 || p.CPUPerSessionSecond <= 0 {
		t.Errorf("%s: %d replies (want %d), %d packets received, %d microphone packets, %.2f session-seconds, %.0f ns CPU per session-second",
			p.Target, p.Replies, replies, p.Packets, p.MicPackets, p.SessionSeconds, p.CPUPerSessionSecond)
	}
	if p.SpeechStarted != 0 {
		t.Errorf("%s: %d speech_started from a microphone below the VAD's threshold", p.Target, p.SpeechStarted)
	}
	if p.Lateness == nil || p.Lateness.Packets == 0 || p.Lateness.Bursts == 0 {
		t.Errorf("%s: lateness %+v, want timed packets", p.Target, p.Lateness)
	}
}

// TestRTCLateness: bursts start at the first packet and at each marker; packet
// k of a burst is due 20 ms × k after the burst's first; the RTP
// timestamps tell k, pauses included; gaps in the sequence numbers are
// lost packets.
func TestRTCLateness(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var s rtpStats
	pkt := func(seq uint16, ts uint32, marker bool, at time.Duration) {
		s.add(&rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker}, t0.Add(at))
	}
	ms := time.Millisecond
	pkt(65534, 1000, true, 0)
	pkt(65535, 1000+960, false, 21*ms) // 1 ms late
	pkt(1, 1000+3*960, false, 58*ms)   // 2 ms early; seq 0 lost
	pkt(2, 1000+10*960, true, 500*ms)  // a new burst
	pkt(3, 1000+11*960, false, 525*ms) // 5 ms late
	s.endBurst()
	want := []time.Duration{ms, -2 * ms, 5 * ms}
	if len(s.late) != len(want) {
		t.Fatalf("late = %v, want %v", s.late, want)
	}
	for i := range want {
		if s.late[i] != want[i] {
			t.Errorf("late[%d] = %v, want %v", i, s.late[i], want[i])
		}
	}
	if s.bursts != 2 || s.lost() != 1 || s.packets != 5 {
		t.Errorf("%d bursts, %d lost, %d packets; want 2, 1, 5", s.bursts, s.lost(), s.packets)
	}
	if len(s.ends) != 2 || s.ends[0] != -2*ms || s.ends[1] != 5*ms {
		t.Errorf("burst ends = %v, want [-2ms 5ms]", s.ends)
	}
}
