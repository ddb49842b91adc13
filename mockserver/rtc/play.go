package rtc

import (
	"encoding/binary"
	"sort"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/thesyncim/gopus"
)

// player paces a call's assistant audio onto its RTP track: one Opus
// packet of 20 ms every 20 ms of the call's clock, from the first packet of
// a burst of audio on, for as long as audio is queued.
//
// The played position of an item is the audio of it that went out (the
// packets pacing sent, lost ones included); ClearAudio reports it. When
// the queue runs dry before a response's EndAudio (the core is late with
// its audio), sending pauses and resumes with the next audio; the RTP
// timestamps keep counting the pause, as for silence.
type player struct {
	c    *call
	wake chan struct{}

	mu      sync.Mutex
	queue   []chunk
	ended   map[string]time.Time // responses whose EndAudio came, and when
	dropped map[string]bool      // responses cleared: their later audio is dropped
	started map[string]bool      // responses whose PlaybackStarted went out
	lastEnd map[string]time.Time // when each started response's sent audio ends
	stops   []stop               // PlaybackStopped reports due
	cur     current              // the item going out
	fault   RTPFault

	streaming bool      // packets go out every 20 ms
	next      time.Time // when the next packet is due while streaming
	lastSlot  time.Time // when the last packet went out
	seq       uint16    // of the next packet
	ts        uint32    // of the next packet
	marker    bool      // the next packet starts a burst

	// Owned by run.
	enc  *gopus.Encoder
	pcm  [frameSamples]int16
	opus []byte
	held []heldPacket // delayed by an RTPFault, by due time
}

type chunk struct {
	responseID, itemID string
	pcm                []byte
	at                 time.Time // when PlayAudio queued it
}

type current struct {
	responseID, itemID string
	sentBytes          int // of the item's PCM that went out
}

type stop struct {
	responseID string
	at         time.Time
}

type heldPacket struct {
	due time.Time
	pkt *rtp.Packet
}

// frame is 20 ms of one item's audio, zero-padded after its end.
type frame struct {
	responseID, itemID string
	pcm                [frameBytes]byte
	n                  int // bytes of real audio
	lastOfResponse     bool
}

func newPlayer(c *call) (*player, error) {
	enc, err := newOpusEncoder()
	if err != nil {
		return nil, err
	}
	return &player{
		c:       c,
		wake:    make(chan struct{}, 1),
		ended:   map[string]time.Time{},
		dropped: map[string]bool{},
		started: map[string]bool{},
		lastEnd: map[string]time.Time{},
		enc:     enc,
		opus:    make([]byte, maxOpusPacket),
		seq:     uint16(c.h.rngUint32()),
		ts:      c.h.rngUint32(),
	}, nil
}

func (p *player) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *player) play(responseID, itemID string, pcm []byte) {
	pcm = pcm[:len(pcm)&^1]
	if len(pcm) == 0 {
		return
	}
	p.mu.Lock()
	if _, ended := p.ended[responseID]; ended || p.dropped[responseID] {
		p.mu.Unlock()
		return
	}
	p.queue = append(p.queue, chunk{responseID, itemID, append([]byte(nil), pcm...), p.c.clock.Now()})
	p.mu.Unlock()
	p.poke()
}

func (p *player) end(responseID string) {
	p.mu.Lock()
	defer p.poke()
	defer p.mu.Unlock()
	if _, ended := p.ended[responseID]; ended || p.dropped[responseID] {
		return
	}
	now := p.c.clock.Now()
	p.ended[responseID] = now
	if p.started[responseID] && !p.queued(responseID) {
		// Everything it had went out before EndAudio came.
		at := p.lastEnd[responseID]
		if at.Before(now) {
			at = now
		}
		p.stops = append(p.stops, stop{responseID, at})
	}
}

// queued reports whether audio of the response waits in the queue.
func (p *player) queued(responseID string) bool {
	for _, ch := range p.queue {
		if ch.responseID == responseID {
			return true
		}
	}
	return false
}

func (p *player) clear() (responseID, itemID string, playedMs int) {
	p.mu.Lock()
	defer p.poke()
	defer p.mu.Unlock()
	switch {
	case p.cur.itemID != "" || p.cur.responseID != "":
		responseID, itemID = p.cur.responseID, p.cur.itemID
		playedMs = p.cur.sentBytes * 1000 / (2 * pcmRate)
	case len(p.queue) > 0:
		responseID, itemID = p.queue[0].responseID, p.queue[0].itemID
	}
	if p.cur.responseID != "" {
		p.dropped[p.cur.responseID] = true
	}
	for _, ch := range p.queue {
		p.dropped[ch.responseID] = true
	}
	p.queue = nil
	kept := p.stops[:0]
	for _, s := range p.stops {
		if !p.dropped[s.responseID] {
			kept = append(kept, s)
		}
	}
	p.stops = kept
	p.cur = current{}
	p.streaming = false // the next audio starts a new burst at once
	return responseID, itemID, playedMs
}

func (p *player) setFault(f RTPFault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

// run is the pacing loop.
func (p *player) run() {
	defer p.c.wg.Done()
	clock := p.c.clock
	t := clock.NewTimer(time.Hour)
	t.Stop()
	for {
		now := clock.Now()
		deadline, ok := p.step(now)
		if ok {
			t.Reset(deadline.Sub(now))
		}
		select {
		case <-p.c.done:
			t.Stop()
			return
		case <-p.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// step does what is due at now and returns when it next has something to
// do (ok false: nothing until woken).
//
// Pacing goes by slot times, not by when the loop happens to run: a packet
// is due every 20 ms from the start of a burst, and it can carry only audio
// that was queued by its slot. So a loop that runs late catches up with the
// packets it owes, and audio queued after a slot that found the queue dry
// starts a new burst instead; the outcome depends on the clock alone.
func (p *player) step(now time.Time) (time.Time, bool) {
	p.mu.Lock()
	reports := p.dueStops(now)
	var (
		f    frame
		hdr  rtp.Header
		at   time.Time
		sent bool
	)
	if p.streaming && !now.Before(p.next) {
		if p.takeFrame(&f, p.next) {
			at, sent = p.next, true
			hdr = p.account(&f, at, &reports)
			p.next = p.next.Add(frameDuration)
		} else {
			p.streaming = false // the queue was dry at the slot
		}
	}
	if !sent && !p.streaming {
		if t, ok := p.readyAt(); ok && !t.After(now) && p.takeFrame(&f, t) {
			p.restart(t)
			at, sent = t, true
			hdr = p.account(&f, at, &reports)
			p.next = t.Add(frameDuration)
		}
	}
	fault := p.fault
	deadline, ok := p.deadline()
	p.mu.Unlock()

	for _, r := range reports {
		r()
	}
	p.flushHeld(now) // held packets due by now were sent before this one
	if sent {
		p.send(p.encode(&f, hdr), f.responseID, at, fault)
		p.c.pushPacket(f.pcm[:], hdr.Timestamp, hdr.SequenceNumber, at)
	}
	if len(p.held) > 0 && (!ok || p.held[0].due.Before(deadline)) {
		deadline, ok = p.held[0].due, true
	}
	return deadline, ok
}

// dueStops takes the PlaybackStopped reports due by now.
func (p *player) dueStops(now time.Time) []func() {
	var reports []func()
	kept := p.stops[:0]
	for _, s := range p.stops {
		if s.at.After(now) {
			kept = append(kept, s)
			continue
		}
		id, at := s.responseID, s.at
		reports = append(reports, func() { p.c.pushPlayback(false, id, at) })
		if p.cur.responseID == id {
			p.cur = current{}
		}
		delete(p.lastEnd, id)
		delete(p.started, id)
		delete(p.ended, id)
	}
	p.stops = kept
	return reports
}

// readyAt returns when a first frame could be made of the queue's head:
// when enough of its item's audio had been queued, or the item was known
// to be complete. A burst starts then, however late the loop runs.
func (p *player) readyAt() (time.Time, bool) {
	if len(p.queue) == 0 {
		return time.Time{}, false
	}
	head := p.queue[0]
	avail := 0
	var t time.Time
	for _, ch := range p.queue {
		if ch.responseID != head.responseID || ch.itemID != head.itemID {
			t = ch.at
			break
		}
		if avail += len(ch.pcm); avail >= frameBytes {
			t = ch.at
			break
		}
	}
	if t.IsZero() {
		e, ok := p.ended[head.responseID]
		if !ok {
			return time.Time{}, false
		}
		t = e
	}
	if t.Before(p.lastSlot) {
		t = p.lastSlot
	}
	return t, true
}

// restart begins a burst of packets at now, after silence.
func (p *player) restart(now time.Time) {
	if !p.lastSlot.IsZero() {
		// Count the pause in the RTP timestamps, in whole packets.
		gap := (now.Sub(p.lastSlot) + frameDuration/2) / frameDuration
		if gap > 1 {
			p.ts += uint32(gap-1) * frameTicks
		}
	}
	p.streaming = true
	p.next = now
	p.marker = true
}

// deadline is the next time step has work: the next packet while audio
// can go out, or the first PlaybackStopped report.
func (p *player) deadline() (time.Time, bool) {
	var d time.Time
	ok := false
	if p.streaming {
		d, ok = p.next, true
	}
	for _, s := range p.stops {
		if !ok || s.at.Before(d) {
			d, ok = s.at, true
		}
	}
	return d, ok
}

// takeFrame takes the next 20 ms frame off the queue for the slot at, from
// the audio queued by then. An item's last frame is padded with silence
// once the item is known to be complete by then: a later item or response
// was queued, or its response had ended. It reports false when no full
// frame can be made for the slot.
func (p *player) takeFrame(f *frame, at time.Time) bool {
	if len(p.queue) == 0 || p.queue[0].at.After(at) {
		return false
	}
	head := p.queue[0]
	avail := 0
	complete := p.endedBy(head.responseID, at)
	for _, ch := range p.queue {
		if ch.at.After(at) {
			break
		}
		if ch.responseID != head.responseID || ch.itemID != head.itemID {
			complete = true
			break
		}
		avail += len(ch.pcm)
	}
	if avail < frameBytes && !complete {
		return false
	}
	*f = frame{responseID: head.responseID, itemID: head.itemID}
	for f.n < frameBytes && len(p.queue) > 0 {
		ch := &p.queue[0]
		if ch.responseID != head.responseID || ch.itemID != head.itemID || ch.at.After(at) {
			break
		}
		k := copy(f.pcm[f.n:], ch.pcm)
		f.n += k
		ch.pcm = ch.pcm[k:]
		if len(ch.pcm) == 0 {
			p.queue[0] = chunk{}
			p.queue = p.queue[1:]
		}
	}
	f.lastOfResponse = p.endedBy(head.responseID, at) && !p.queued(head.responseID)
	return true
}

// endedBy reports whether the response's EndAudio came by at.
func (p *player) endedBy(responseID string, at time.Time) bool {
	t, ok := p.ended[responseID]
	return ok && !t.After(at)
}

// account does the bookkeeping of a frame going out at the slot at, and
// returns the header of its RTP packet.
func (p *player) account(f *frame, at time.Time, reports *[]func()) rtp.Header {
	if !p.started[f.responseID] {
		p.started[f.responseID] = true
		id := f.responseID
		*reports = append(*reports, func() { p.c.pushPlayback(true, id, at) })
	}
	if p.cur.responseID != f.responseID || p.cur.itemID != f.itemID {
		p.cur = current{responseID: f.responseID, itemID: f.itemID}
	}
	p.cur.sentBytes += f.n
	end := at.Add(time.Duration(f.n/2) * time.Second / pcmRate)
	p.lastEnd[f.responseID] = end
	if f.lastOfResponse {
		p.stops = append(p.stops, stop{f.responseID, end})
	}
	hdr := rtp.Header{Version: 2, Marker: p.marker, PayloadType: opusPayload, SequenceNumber: p.seq, Timestamp: p.ts}
	p.marker = false
	p.seq++
	p.ts += frameTicks
	p.lastSlot = at
	return hdr
}

// encode makes the RTP packet of a frame; it runs outside the lock, so
// PlayAudio and ClearAudio never wait for the codec.
func (p *player) encode(f *frame, hdr rtp.Header) *rtp.Packet {
	for i := range p.pcm {
		p.pcm[i] = int16(binary.LittleEndian.Uint16(f.pcm[2*i:]))
	}
	n, err := p.enc.EncodeInt16(p.pcm[:], p.opus)
	if err != nil {
		p.c.log.Debug("opus encode", "err", err)
		n = 0
	}
	return &rtp.Packet{Header: hdr, Payload: append([]byte(nil), p.opus[:n]...)}
}

// send puts a packet on the wire, through the fault if there is one.
func (p *player) send(pkt *rtp.Packet, responseID string, now time.Time, fault RTPFault) {
	if fault != nil {
		drop, delay := fault.Outgoing(Packet{Seq: pkt.SequenceNumber, Timestamp: pkt.Timestamp, ResponseID: responseID, At: now})
		if drop {
			return
		}
		if delay > 0 {
			h := heldPacket{now.Add(delay), pkt}
			i := sort.Search(len(p.held), func(i int) bool { return p.held[i].due.After(h.due) })
			p.held = append(p.held, heldPacket{})
			copy(p.held[i+1:], p.held[i:])
			p.held[i] = h
			return
		}
	}
	p.write(pkt)
}

func (p *player) flushHeld(now time.Time) {
	for len(p.held) > 0 && !p.held[0].due.After(now) {
		p.write(p.held[0].pkt)
		p.held[0] = heldPacket{}
		p.held = p.held[1:]
	}
}

func (p *player) write(pkt *rtp.Packet) {
	if err := p.c.track.WriteRTP(pkt); err != nil {
		p.c.log.Debug("rtp write", "err", err)
	}
}
