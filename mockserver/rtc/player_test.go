package rtc_test

import (
	"testing"
	"time"

	"github.com/rtmock/rtmock/audio"
)

// toneMs returns ms of the 440 Hz test tone as PCM16 24 kHz.
func toneMs(t *testing.T, ms int) []byte {
	t.Helper()
	tone, err := audio.NewTone(audio.PCM16, 440, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	return tone.AppendBytes(nil, 0, ms*48)
}

// settle waits until the player has handled everything due now and is
// waiting for its next moment at or before the clock plus d.
func (r *rig) settle(d time.Duration) {
	r.t.Helper()
	timeout := make(chan struct{})
	timer := time.AfterFunc(wait, func() { close(timeout) })
	defer timer.Stop()
	if !r.clock.AwaitTimer(r.clock.Now().Add(d), timeout) {
		r.t.Fatalf("the player has nothing scheduled within %v", d)
	}
}

// TestPlayerPausesWhenAudioIsLate: audio that runs out before EndAudio
// pauses the stream; later audio resumes it with a marker and with RTP
// timestamps that count the pause; PlaybackStopped follows EndAudio when
// the last audio has played.
func TestPlayerPausesWhenAudioIsLate(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	call := s.Call()
	from := 0
	start := r.clock.Now()
	call.PlayAudio("resp_a", "item_a", toneMs(t, 100))
	c.event("output_audio_buffer.started", &from)
	for range 5 {
		r.step(20 * time.Millisecond) // packets at 0 … 80 ms; at 100 ms the queue is dry
	}
	// Nothing is scheduled now: the stream paused. 60 ms later more comes.
	r.clock.Advance(60 * time.Millisecond)
	call.PlayAudio("resp_a", "item_a", toneMs(t, 40))
	r.settle(20 * time.Millisecond)
	r.step(20 * time.Millisecond)
	call.EndAudio("resp_a")
	r.step(20 * time.Millisecond)
	c.event("output_audio_buffer.stopped", &from)
	pb := s.Playbacks()
	if len(pb) != 2 || pb[1].At.Sub(start) != 200*time.Millisecond {
		t.Fatalf("playback reports %+v, want stopped at 200 ms (100 ms, a 60 ms pause, 40 ms)", pb)
	}
	got := c.waitPackets(7)
	if !got[5].Marker {
		t.Fatalf("the resumed stream has no marker: %s", describePackets(got))
	}
	// The pause between the last packet at 80 ms and the next at 160 ms is
	// 4 packets' time: 3 skipped.
	if d := got[5].Timestamp - got[4].Timestamp; d != 4*960 {
		t.Fatalf("timestamp step across the pause %d, want %d: %s", d, 4*960, describePackets(got))
	}
}

// TestPlayerItems: items end on a padded packet, a response's items play
// in turn, and ClearAudio reports the item going out.
func TestPlayerItems(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	call := s.Call()
	if rid, iid, ms := call.ClearAudio(); rid != "" || iid != "" || ms != 0 {
		t.Fatalf("ClearAudio with nothing queued = %q %q %d", rid, iid, ms)
	}
	from := 0
	call.PlayAudio("resp_b", "item_1", toneMs(t, 30))
	call.PlayAudio("resp_b", "item_2", toneMs(t, 60))
	c.event("output_audio_buffer.started", &from)
	// item_1's first 20 ms went out at once; then its last 10 ms, padded,
	// and item_2's first 20 ms.
	r.step(20 * time.Millisecond)
	r.step(20 * time.Millisecond)
	r.settle(20 * time.Millisecond)
	rid, iid, ms := call.ClearAudio()
	if rid != "resp_b" || iid != "item_2" || ms != 20 {
		t.Fatalf("ClearAudio = %q %q %d ms, want resp_b item_2 20 ms", rid, iid, ms)
	}
	// Audio of a cleared response is dropped; so is audio after EndAudio.
	call.PlayAudio("resp_b", "item_2", toneMs(t, 100))
	call.PlayAudio("resp_c", "item_3", toneMs(t, 20))
	call.EndAudio("resp_c")
	call.PlayAudio("resp_c", "item_3", toneMs(t, 100))
	r.step(20 * time.Millisecond)
	c.event("output_audio_buffer.stopped", &from)
	pb := s.Playbacks()
	if len(pb) != 3 || pb[1].ResponseID != "resp_c" || !pb[1].Started || pb[2].ResponseID != "resp_c" || pb[2].Started {
		t.Fatalf("playback reports %+v, want resp_b started, then resp_c started and stopped (no stop for the cleared resp_b)", pb)
	}
	if got := burstSizes(splitBursts(t, c.waitPackets(4))); len(got) != 2 || got[0] != 3 || got[1] != 1 {
		t.Fatalf("bursts %v, want 3 packets (30 ms + 20 ms of two items) then 1", got)
	}
}

// TestPlayerLateEnd: EndAudio after the audio has all gone out reports the
// stop when it comes, not in the past.
func TestPlayerLateEnd(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	call := s.Call()
	from := 0
	start := r.clock.Now()
	call.PlayAudio("resp_d", "item_d", toneMs(t, 40))
	c.event("output_audio_buffer.started", &from)
	r.step(20 * time.Millisecond)
	r.step(20 * time.Millisecond)
	r.clock.Advance(100 * time.Millisecond)
	call.EndAudio("resp_d")
	c.event("output_audio_buffer.stopped", &from)
	if pb := s.Playbacks(); len(pb) != 2 || pb[1].At.Sub(start) != 140*time.Millisecond {
		t.Fatalf("playback reports %+v, want stopped at 140 ms, when EndAudio came", pb)
	}
}
