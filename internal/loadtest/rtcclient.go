package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// rtcClient is one WebRTC session of a run, made with pion as a browser
// makes one: a microphone track, an "oai-events" data channel, the offer
// posted raw with a standard key. It streams its microphone while it works
// and times every RTP packet of the server's track against its schedule
// (rtpStats).
type rtcClient struct {
	pc      *webrtc.PeerConnection
	dc      *webrtc.DataChannel
	mic     *webrtc.TrackLocalStaticSample
	created chan struct{} // the first event (session.created) came
	turnEnd chan bool     // a reply played out (true) or an error event came (false)
	gone    chan struct{} // the peer connection failed or closed
	micSent atomic.Int64

	createdOnce, goneOnce, closeOnce sync.Once
	wg                               sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	events      int
	errorEvents int
	speech      int      // input_audio_buffer.speech_started: the quiet microphone must cause none
	kept        [][]byte // every event, when keep is set (the capture)
	keep        bool
	stats       rtpStats
}

// newRTCClient makes a client's peer connection on api; keep keeps every
// event it receives.
func newRTCClient(api *webrtc.API, keep bool) (*rtcClient, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c := &rtcClient{pc: pc, keep: keep, created: make(chan struct{}), turnEnd: make(chan bool, 4), gone: make(chan struct{})}
	if err := c.setUp(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *rtcClient) setUp() error {
	var err error
	c.mic, err = webrtc.NewTrackLocalStaticSample(rtcOpusCapability(), "mic", "rtmock-bench")
	if err != nil {
		return err
	}
	sender, err := c.pc.AddTrack(c.mic)
	if err != nil {
		return err
	}
	c.wg.Add(1)
	go c.drainRTCP(sender)
	if c.dc, err = c.pc.CreateDataChannel("oai-events", nil); err != nil {
		return err
	}
	c.dc.OnMessage(c.onMessage)
	c.pc.OnTrack(c.onTrack)
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			c.goneOnce.Do(func() { close(c.gone) })
		}
	})
	return nil
}

// drainRTCP reads the server's RTCP for the microphone, which the report
// interceptor needs read.
func (c *rtcClient) drainRTCP(sender *webrtc.RTPSender) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := sender.Read(buf); err != nil {
			return
		}
	}
}

func (c *rtcClient) onMessage(m webrtc.DataChannelMessage) {
	typ, _ := eventType(m.Data)
	c.mu.Lock()
	c.events++
	if c.keep {
		c.kept = append(c.kept, bytes.Clone(m.Data))
	}
	switch string(typ) {
	case "error":
		c.errorEvents++
	case "input_audio_buffer.speech_started":
		c.speech++
	}
	c.mu.Unlock()
	c.createdOnce.Do(func() { close(c.created) })
	switch string(typ) {
	case "output_audio_buffer.stopped":
		c.endTurn(true)
	case "error":
		c.endTurn(false)
	}
}

func (c *rtcClient) endTurn(played bool) {
	select {
	case c.turnEnd <- played:
	default:
	}
}

// onTrack times the server's packets until the track ends.
func (c *rtcClient) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()
	buf := make([]byte, 1500)
	var h rtp.Header
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		at := time.Now()
		if _, err := h.Unmarshal(buf[:n]); err != nil {
			continue
		}
		c.mu.Lock()
		c.stats.add(&h, at)
		c.mu.Unlock()
	}
}

// offer makes the client's SDP offer. As a browser, the client posts it at
// once, without candidates: the servers are ICE-lite and learn the
// client's address from its connectivity checks.
func (c *rtcClient) offer() (string, error) {
	o, err := c.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	if err := c.pc.SetLocalDescription(o); err != nil {
		return "", err
	}
	return o.SDP, nil
}

// dial posts the offer to url and sets the answer.
func (c *rtcClient) dial(ctx context.Context, hc *http.Client, url string) error {
	sdp, err := c.offer()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(sdp)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+rtcKey)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return protocolErrorf("POST %s: %s: %.200s", url, resp.Status, answer)
	}
	return c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)})
}

// waitCreated waits for the server's first event on the data channel.
func (c *rtcClient) waitCreated(ctx context.Context) error {
	select {
	case <-c.created:
		return nil
	case <-c.gone:
		return protocolErrorf("the peer connection ended before the first event (%s)", c.pc.ConnectionState())
	case <-ctx.Done():
		return fmt.Errorf("no first event on the data channel (connection %s): %w", c.pc.ConnectionState(), ctx.Err())
	}
}

// streamMic sends the microphone, one packet every 20 ms, until stop.
func (c *rtcClient) streamMic(packets [][]byte, stop <-chan struct{}) {
	defer c.wg.Done()
	t := time.NewTicker(rtcFrame)
	defer t.Stop()
	for i := 0; ; i++ {
		if err := c.mic.WriteSample(media.Sample{Data: packets[i%len(packets)], Duration: rtcFrame}); err != nil {
			return
		}
		c.micSent.Add(1)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// turn asks for a reply and waits until it has played out (or an error
// event refused it).
func (c *rtcClient) turn(ctx context.Context) (played bool, err error) {
	if err := c.dc.SendText(`{"type":"response.create"}`); err != nil {
		return false, protocolErrorf("send response.create: %v", err)
	}
	select {
	case played = <-c.turnEnd:
		return played, nil
	case <-c.gone:
		return false, protocolErrorf("the peer connection ended during a reply (%s)", c.pc.ConnectionState())
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// close hangs up and waits for the client's goroutines.
func (c *rtcClient) close() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.pc.Close()
		c.wg.Wait()
	})
}

// rtpStats times a server's RTP packets against their schedule. A burst
// starts with the first packet or a packet with the marker bit (the mock
// sets it when sending resumes after a pause); packet k of a burst is due
// 20 ms × k after the burst's first packet arrived, k being told by the RTP
// timestamps (which count pauses). Lateness is arrival − due for every
// packet but a burst's first.
type rtpStats struct {
	packets, bursts int
	late            []time.Duration
	ends            []time.Duration // lateness of each burst's last packet
	anchorAt        time.Time
	anchorTS        uint32
	lastLate        time.Duration
	inBurst         bool
	seqInit         bool
	firstSeq        int64 // extended sequence numbers
	maxSeq          int64
}

func (s *rtpStats) add(h *rtp.Header, at time.Time) {
	s.packets++
	s.trackSeq(h.SequenceNumber)
	if !s.inBurst || h.Marker {
		s.endBurst()
		s.inBurst, s.anchorAt, s.anchorTS, s.lastLate = true, at, h.Timestamp, 0
		s.bursts++
		return
	}
	ticks := int64(int32(h.Timestamp - s.anchorTS))
	l := at.Sub(s.anchorAt.Add(time.Duration(ticks * int64(time.Second) / rtcClockRate)))
	s.late = append(s.late, l)
	s.lastLate = l
}

func (s *rtpStats) endBurst() {
	if s.inBurst {
		s.ends = append(s.ends, s.lastLate)
		s.inBurst = false
	}
}

func (s *rtpStats) trackSeq(seq uint16) {
	if !s.seqInit {
		s.seqInit, s.firstSeq, s.maxSeq = true, int64(seq), int64(seq)
		return
	}
	s.maxSeq = max(s.maxSeq, s.maxSeq+int64(int16(seq-uint16(s.maxSeq))))
}

// lost is the number of packets missing from the span of sequence numbers
// that arrived.
func (s *rtpStats) lost() int {
	if !s.seqInit {
		return 0
	}
	return max(0, int(s.maxSeq-s.firstSeq+1)-s.packets)
}
