package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/thesyncim/gopus"
)

// rtcScript is what the raw WebRTC server says on the data channel,
// captured from a call of the mock, and how long its replies play.
type rtcScript struct {
	Connect []string `json:"connect"` // when the data channel opens (session.created)
	Reply   []string `json:"reply"`   // at once on every response.create
	Stopped string   `json:"stopped"` // once the reply's last packet has played
	Packets int      `json:"packets"` // RTP packets of 20 ms in a reply
}

// rtcRaw is the baseline of a WebRTC run: a pion server that answers the
// same SDP offer with the same media configuration as the mock's
// transport, decodes the client's Opus, and answers each response.create
// with the captured events and the reply's length of a 440 Hz tone,
// encoded as the mock encodes (24 kHz mono, complexity 0) and sent one
// packet every 20 ms. It has no session core: no event parsing beyond
// spotting response.create, no VAD, no state, no queue. What the mock
// spends above it is what its core and its binding to the transport cost.
type rtcRaw struct {
	sc    *rtcScript
	api   *webrtc.API
	tone  [][]int16
	srv   *loopServer
	ended *counter
	ids   atomic.Int64

	mu     sync.Mutex
	calls  map[*rawCall]bool
	closed bool
	wg     sync.WaitGroup // one per live call
}

func startRTCRaw(sc *rtcScript) (*rtcRaw, error) {
	api, err := newRTCAPI(true)
	if err != nil {
		return nil, err
	}
	tone, err := toneFrames()
	if err != nil {
		return nil, err
	}
	s := &rtcRaw{sc: sc, api: api, tone: tone, ended: newCounter(), calls: map[*rawCall]bool{}}
	if s.srv, err = listen(s); err != nil {
		return nil, fmt.Errorf("start the raw WebRTC server: %w", err)
	}
	return s, nil
}

func (s *rtcRaw) url() string { return httpBase(s.srv.url()) }

func (s *rtcRaw) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST an SDP offer", http.StatusMethodNotAllowed)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	c, answer, err := s.newCall(r.Context(), offer)
	if err != nil {
		s.wg.Done()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls[c] = true
	closed := s.closed
	s.mu.Unlock()
	c.start()
	if closed {
		c.end()
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/v1/realtime/calls/raw_"+strconv.FormatInt(s.ids.Add(1), 10))
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// close stops taking calls, ends every call and waits for their
// goroutines.
func (s *rtcRaw) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.srv.close() // no handler runs after it: the set of calls is complete
	s.mu.Lock()
	calls := make([]*rawCall, 0, len(s.calls))
	for c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.end()
	}
	s.wg.Wait()
	return err
}

func (s *rtcRaw) forget(c *rawCall) {
	s.mu.Lock()
	delete(s.calls, c)
	s.mu.Unlock()
	s.ended.add()
	s.wg.Done()
}

// rawCall is one call of the raw server.
type rawCall struct {
	s      *rtcRaw
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	enc    *gopus.Encoder
	opus   []byte
	create chan struct{} // response.create came
	done   chan struct{}

	endOnce sync.Once
	wg      sync.WaitGroup // player, RTCP reader, microphone decoder
	mu      sync.Mutex
	ended   bool
	dc      *webrtc.DataChannel

	// Owned by the player.
	seq     uint16
	ts      uint32
	frame   int
	lastEnd time.Time
}

// newCall sets up the peer connection of an offer and returns the answer
// with its loopback candidates.
func (s *rtcRaw) newCall(ctx context.Context, offer []byte) (*rawCall, string, error) {
	enc, err := newReplyEncoder()
	if err != nil {
		return nil, "", err
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	c := &rawCall{s: s, pc: pc, enc: enc, opus: make([]byte, rtcMaxPacket), create: make(chan struct{}, 8), done: make(chan struct{}),
		seq: uint16(rand.Uint32()), ts: rand.Uint32()}
	answer, err := c.negotiate(ctx, offer)
	if err != nil {
		c.endOnce.Do(func() {}) // closing the connection must not start a teardown
		pc.Close()
		c.wg.Wait()
		return nil, "", err
	}
	return c, answer, nil
}

func (c *rawCall) negotiate(ctx context.Context, offer []byte) (string, error) {
	pc := c.pc
	pc.OnDataChannel(c.onDataChannel)
	pc.OnTrack(c.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			c.end()
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		return "", err
	}
	var err error
	if c.track, err = webrtc.NewTrackLocalStaticRTP(rtcOpusCapability(), "audio", "raw"); err != nil {
		return "", err
	}
	sender, err := pc.AddTrack(c.track)
	if err != nil {
		return "", err
	}
	c.wg.Add(1)
	go c.drainRTCP(sender)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

func (c *rawCall) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.wg.Add(1)
		go c.play()
	}
}

// end starts ending the call once; it never blocks.
func (c *rawCall) end() {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.ended = true
		c.mu.Unlock()
		close(c.done)
		go func() {
			c.pc.Close()
			c.wg.Wait()
			c.s.forget(c)
		}()
	})
}

func (c *rawCall) drainRTCP(sender *webrtc.RTPSender) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := sender.Read(buf); err != nil {
			return
		}
	}
}

// onDataChannel adopts the client's first data channel.
func (c *rawCall) onDataChannel(d *webrtc.DataChannel) {
	c.mu.Lock()
	if c.dc != nil || c.ended {
		c.mu.Unlock()
		return
	}
	c.dc = d
	c.mu.Unlock()
	d.OnOpen(func() { c.send(c.s.sc.Connect...) })
	d.OnMessage(func(m webrtc.DataChannelMessage) {
		if bytes.Contains(m.Data, []byte(`"response.create"`)) {
			select {
			case c.create <- struct{}{}:
			default:
			}
		}
	})
	d.OnClose(c.end)
}

func (c *rawCall) send(events ...string) {
	c.mu.Lock()
	d := c.dc
	c.mu.Unlock()
	for _, ev := range events {
		if d == nil || d.SendText(ev) != nil {
			return
		}
	}
}

// onTrack decodes the client's microphone until the track ends.
func (c *rawCall) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()
	dec, err := newMicDecoder()
	if err != nil {
		return
	}
	pcm := make([]int16, rtcMaxDecoded)
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) == nil {
			dec.DecodeInt16(pkt.Payload, pcm)
		}
	}
}

// play answers response.create with a reply until the call ends.
func (c *rawCall) play() {
	defer c.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.create:
			if !c.reply(t) {
				return
			}
		}
	}
}

// reply sends the reply's events, then its packets, each due 20 ms after
// the one before from the first on (a late one goes at once, as the mock's
// pacing catches up), then output_audio_buffer.stopped when the last one
// has played. The RTP timestamps count the pause since the last reply.
func (c *rawCall) reply(t *time.Timer) bool {
	c.send(c.s.sc.Reply...)
	start := time.Now()
	if !c.lastEnd.IsZero() {
		if gap := (start.Sub(c.lastEnd) + rtcFrame/2) / rtcFrame; gap > 0 {
			c.ts += uint32(gap) * rtcFrameTicks
		}
	}
	for k := range c.s.sc.Packets {
		if !c.waitUntil(t, start.Add(time.Duration(k)*rtcFrame)) {
			return false
		}
		c.sendPacket(k == 0)
	}
	c.lastEnd = start.Add(time.Duration(c.s.sc.Packets) * rtcFrame)
	if !c.waitUntil(t, c.lastEnd) {
		return false
	}
	c.send(c.s.sc.Stopped)
	return true
}

func (c *rawCall) waitUntil(t *time.Timer, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	t.Reset(d)
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

func (c *rawCall) sendPacket(marker bool) {
	frame := c.s.tone[c.frame%len(c.s.tone)]
	c.frame++
	n, err := c.enc.EncodeInt16(frame, c.opus)
	if err != nil {
		n = 0
	}
	pkt := rtp.Packet{
		Header:  rtp.Header{Version: 2, Marker: marker, PayloadType: rtcOpusPayload, SequenceNumber: c.seq, Timestamp: c.ts},
		Payload: c.opus[:n],
	}
	c.track.WriteRTP(&pkt)
	c.seq++
	c.ts += rtcFrameTicks
}

// ServeRTCBaseline serves the raw WebRTC server of a split run on a free
// loopback port until ctx is done: it reads the script file a split run
// wrote, tells ready the server's URL, and answers calls as the in-process
// raw server does.
func ServeRTCBaseline(ctx context.Context, scriptFile string, ready func(url string)) error {
	data, err := os.ReadFile(scriptFile)
	if err != nil {
		return err
	}
	var sc rtcScript
	if err := json.Unmarshal(data, &sc); err != nil {
		return fmt.Errorf("read the script %s: %w", scriptFile, err)
	}
	s, err := startRTCRaw(&sc)
	if err != nil {
		return err
	}
	ready(s.url())
	<-ctx.Done()
	return s.close()
}
