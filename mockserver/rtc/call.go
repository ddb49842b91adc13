package rtc

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// call is one WebRTC call: a peer connection with the client's data channel
// and an audio track each way, bound to its Session. It implements Call and
// Faults.
type call struct {
	h     *Handler
	info  CallInfo
	clock Clock
	log   *slog.Logger

	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	filter bool // Azure's ?webrtcfilter=on

	session Session
	packets PacketObserver // the session, when it records packets; else nil
	in      inbox
	player  *player

	mu      sync.Mutex
	dc      *webrtc.DataChannel
	dcOpen  bool
	pending [][]byte // events sent before the data channel opened
	ended   bool
	faulted bool           // the fault closed the data channel (CloseDataChannel)
	wg      sync.WaitGroup // player, RTCP reader, RTP listener, watchdog

	opened    chan struct{} // closed when the data channel opens
	openOnce  sync.Once
	done      chan struct{} // closed when the call starts ending
	endOnce   sync.Once
	inboxDone chan struct{}
}

var (
	_ Call   = (*call)(nil)
	_ Faults = (*call)(nil)
)

func newCall(h *Handler, info CallInfo, filter bool) *call {
	c := &call{
		h:         h,
		info:      info,
		clock:     h.clock,
		log:       h.log.With("call", info.ID),
		filter:    filter,
		opened:    make(chan struct{}),
		done:      make(chan struct{}),
		inboxDone: make(chan struct{}),
	}
	c.in.signal = make(chan struct{}, 1)
	return c
}

// start binds the call to its Session and starts its goroutines.
func (c *call) start(s Session) {
	c.session = s
	if o, ok := s.(PacketObserver); ok && o.WantsPackets() {
		c.packets = o
	}
	c.mu.Lock()
	if !c.ended { // the Session may have closed the call from NewSession
		c.wg.Add(2)
		go c.player.run()
		go c.watchdog()
	}
	c.mu.Unlock()
	go c.runInbox()
}

// watchdog ends a call whose client never opened its data channel.
func (c *call) watchdog() {
	defer c.wg.Done()
	t := c.clock.NewTimer(c.h.opts.ConnectTimeout)
	defer t.Stop()
	select {
	case <-t.C():
		c.end(ErrConnectTimeout, "no data channel in time")
	case <-c.opened:
	case <-c.done:
	}
}

// onDataChannel adopts the client's first data channel, whatever its label
// ("oai-events" from the OpenAI SDKs, "realtime-channel" in Azure's
// samples): the service accepts both.
func (c *call) onDataChannel(d *webrtc.DataChannel) {
	c.mu.Lock()
	if c.dc != nil || c.ended {
		c.mu.Unlock()
		c.log.Debug("extra data channel ignored", "label", d.Label())
		return
	}
	c.dc = d
	c.mu.Unlock()
	d.OnOpen(func() {
		c.mu.Lock()
		c.dcOpen = true
		for _, ev := range c.pending {
			if err := c.fits(ev); err != nil {
				c.log.Warn("queued event not sent", "err", err)
				continue
			}
			if err := d.SendText(string(ev)); err != nil {
				c.log.Debug("queued event not sent", "err", err)
			}
		}
		c.pending = nil
		c.mu.Unlock()
		c.openOnce.Do(func() { close(c.opened) })
	})
	d.OnMessage(func(m webrtc.DataChannelMessage) {
		data, at := bytes.Clone(m.Data), c.clock.Now()
		c.in.push(func(s Session) { s.ClientEvent(data, at) })
	})
	d.OnClose(func() { c.end(c.closeCause(ErrClientHungUp), "data channel closed") })
}

func (c *call) onConnectionState(s webrtc.PeerConnectionState) {
	switch s {
	case webrtc.PeerConnectionStateFailed:
		c.end(ErrPeerClosed, "peer connection "+s.String())
	case webrtc.PeerConnectionStateClosed:
		c.end(c.closeCause(ErrClientHungUp), "peer connection "+s.String())
	}
}

// closeCause is why the channel or connection closed: the fault's doing,
// or else clientErr.
func (c *call) closeCause(clientErr error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.faulted {
		return ErrDataChannelClosed
	}
	return clientErr
}

// onTrack listens to the client's microphone.
func (c *call) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if tr.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()
	c.listen(tr)
}

// SendEvent implements Call.
func (c *call) SendEvent(data []byte) error {
	if c.filter && !filterAllows(data) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrClosed
	}
	if !c.dcOpen {
		c.pending = append(c.pending, bytes.Clone(data))
		return nil
	}
	if err := c.fits(data); err != nil {
		return err
	}
	if err := c.dc.SendText(string(data)); err != nil {
		return fmt.Errorf("rtc: send event on call %s: %w", c.info.ID, err)
	}
	return nil
}

// PlayAudio implements Call.
func (c *call) PlayAudio(responseID, itemID string, pcm []byte) {
	c.player.play(responseID, itemID, pcm)
}

// EndAudio implements Call.
func (c *call) EndAudio(responseID string) { c.player.end(responseID) }

// ClearAudio implements Call.
func (c *call) ClearAudio() (responseID, itemID string, playedMs int) { return c.player.clear() }

// Close implements Call.
func (c *call) Close(reason string) { c.end(nil, reason) }

// SetRTPFault implements Faults.
func (c *call) SetRTPFault(f RTPFault) { c.player.setFault(f) }

// CloseDataChannel implements Faults.
func (c *call) CloseDataChannel() {
	c.mu.Lock()
	d := c.dc
	c.faulted = true
	c.mu.Unlock()
	if d == nil {
		c.end(ErrDataChannelClosed, "data channel closed before it opened")
		return
	}
	if err := d.Close(); err != nil {
		c.end(ErrDataChannelClosed, "data channel close failed")
	}
}

// end starts ending the call once; the Session's Closed(err) follows when
// everything has stopped. It never blocks, so pion's callbacks and the
// Session may call it.
func (c *call) end(err error, reason string) {
	c.endOnce.Do(func() {
		c.log.Debug("call ends", "reason", reason, "err", err)
		c.mu.Lock()
		c.ended = true
		c.mu.Unlock()
		close(c.done)
		go c.teardown(err)
	})
}

// teardown closes the peer connection, waits for the call's goroutines,
// delivers Closed and lets the Handler forget the call.
func (c *call) teardown(err error) {
	if cerr := c.pc.Close(); cerr != nil {
		c.log.Debug("peer connection close", "err", cerr)
	}
	c.wg.Wait()
	c.in.finish(func(s Session) { s.Closed(err) })
	<-c.inboxDone
	c.h.forget(c)
}

// inbox serializes a call's inputs to its Session: an unbounded FIFO, so a
// producer never waits for the Session.
type inbox struct {
	mu     sync.Mutex
	items  []func(Session)
	final  bool
	signal chan struct{}
}

func (b *inbox) push(f func(Session)) {
	b.mu.Lock()
	if b.final {
		b.mu.Unlock()
		return
	}
	b.items = append(b.items, f)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// finish queues the last item; nothing is accepted after it.
func (b *inbox) finish(f func(Session)) {
	b.mu.Lock()
	if !b.final {
		b.items = append(b.items, f)
		b.final = true
	}
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// runInbox delivers the inbox to the Session until the last item.
func (c *call) runInbox() {
	defer close(c.inboxDone)
	for {
		<-c.in.signal
		for {
			c.in.mu.Lock()
			if len(c.in.items) == 0 {
				final := c.in.final
				c.in.mu.Unlock()
				if final {
					return
				}
				break
			}
			f := c.in.items[0]
			c.in.items[0] = nil
			c.in.items = c.in.items[1:]
			c.in.mu.Unlock()
			f(c.session)
		}
	}
}

// pushPlayback queues a playback report.
func (c *call) pushPlayback(started bool, responseID string, at time.Time) {
	if started {
		c.in.push(func(s Session) { s.PlaybackStarted(responseID, at) })
	} else {
		c.in.push(func(s Session) { s.PlaybackStopped(responseID, at) })
	}
}

// pushPacket shows a packet the call produced to a Session that observes
// packets.
func (c *call) pushPacket(frame []byte, ts uint32, seq uint16, at time.Time) {
	if c.packets == nil {
		return
	}
	pcm := append([]byte(nil), frame...)
	c.in.push(func(Session) { c.packets.ServerPacket(pcm, ts, seq, at) })
}

// MaxMessageSize is the largest event the client's data channel takes, in
// bytes: what its SDP offer says (a=max-message-size; Chromium offers
// 262144), 65535 when it says nothing (RFC 8841), 0 before the channel's
// transport is up.
func (c *call) MaxMessageSize() int {
	sctp := c.pc.SCTP()
	if sctp == nil {
		return 0
	}
	return int(sctp.GetCapabilities().MaxMessageSize)
}

// fits refuses an event the client's data channel cannot take as one
// message: libwebrtc aborts a channel that receives one.
func (c *call) fits(data []byte) error {
	if lim := c.MaxMessageSize(); lim > 0 && len(data) > lim {
		return fmt.Errorf("%w: %d bytes, the client takes %d", ErrMessageTooLarge, len(data), lim)
	}
	return nil
}
