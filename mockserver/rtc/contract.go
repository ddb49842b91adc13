package rtc

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Session is the mock's session core as a call sees it. The Handler creates
// one per call through Options.NewSession and feeds it what the client sends.
//
// The Handler never calls a Session's methods concurrently: a call's inputs
// (data-channel messages, decoded audio, playback reports) are delivered
// one at a time, from one goroutine, in the order they arrived. The methods
// should return promptly; they may call the Call's methods. Closed is the
// last call a Session gets.
// PacketObserver is an optional interface of a Session: it then sees every
// RTP packet of the call's audio with its RTP timing, among its other
// inputs and in order with them. ClientPacket is the audio a client packet
// added to the timeline (what ClientAudio gets for it); ServerPacket is
// each packet the call produced, 20 ms of PCM (the end of a response's
// audio zero-padded), at its slot time, before an RTP fault may drop or
// delay it on the wire. Both give PCM16 LE mono at 24 kHz.
type PacketObserver interface {
	// WantsPackets is asked once, when the call starts: false spares the
	// call a copy of every packet nobody records.
	WantsPackets() bool
	ClientPacket(pcm []byte, ts uint32, seq uint16, at time.Time)
	ServerPacket(pcm []byte, ts uint32, seq uint16, at time.Time)
}

type Session interface {
	// ClientEvent is one data-channel message from the client: a JSON
	// client event, as sent (a malformed one is the Session's to report).
	ClientEvent(data []byte, at time.Time)
	// ClientAudio is the client's microphone, decoded from Opus: PCM16 LE
	// mono at 24 kHz, 20 ms per call as a rule, in order. A stretch the
	// network lost is filled in (the codec's loss concealment, or silence
	// where the client sent nothing), so the bytes keep the audio timeline.
	ClientAudio(pcm []byte, at time.Time)
	// PlaybackStarted reports that the first RTP packet of a response's
	// audio went out.
	PlaybackStarted(responseID string, at time.Time)
	// PlaybackStopped reports that a response's audio finished playing:
	// Call.EndAudio was called for it and every queued byte has played.
	// It does not follow a Call.ClearAudio that cut the response off.
	PlaybackStopped(responseID string, at time.Time)
	// Closed reports that the call ended: the client hung up or closed the
	// data channel, the peer connection failed, the call was hung up over
	// HTTP, or the Session itself called Call.Close (err is nil then).
	Closed(err error)
}

// Call is the transport as the session core sees it. Its methods are safe
// for concurrent use.
type Call interface {
	// SendEvent sends one server event (JSON text) over the data channel.
	// Events sent before the channel opens are queued and go out, in order,
	// when it opens. It fails with ErrClosed once the call has ended; with
	// the Azure ?webrtcfilter=on option, events the filter withholds are
	// dropped without error.
	SendEvent(data []byte) error
	// PlayAudio queues assistant audio (PCM16 LE mono 24 kHz) of one
	// response's item for the RTP track, which sends it Opus-encoded in
	// 20 ms packets paced in real time on the call's clock. Audio of a
	// response that was cleared or ended is dropped.
	PlayAudio(responseID, itemID string, pcm []byte)
	// EndAudio says that no more audio will come for the response, so that
	// PlaybackStopped can follow once what is queued has played.
	EndAudio(responseID string)
	// ClearAudio stops sending at once (barge-in, or the client's
	// output_audio_buffer.clear) and drops everything queued. It returns
	// the item whose audio was going out and how much of that item went out,
	// in whole milliseconds; empty ids and 0 when no audio was queued.
	ClearAudio() (responseID, itemID string, playedMs int)
	// Close ends the call: the peer connection closes, and the Session's
	// Closed(nil) follows.
	Close(reason string)
}

// Faults is what the fault layer drives on a call. Every Call the Handler
// creates implements it.
type Faults interface {
	// SetRTPFault puts f on the call's outgoing audio from the next packet
	// on; nil removes it.
	SetRTPFault(f RTPFault)
	// CloseDataChannel closes the data channel as a network failure would:
	// the client sees it close, and the call ends (Session.Closed with
	// ErrDataChannelClosed).
	CloseDataChannel()
}

// RTPFault decides the fate of each outgoing RTP packet of assistant audio.
// The packet has already been sent as far as pacing and the played
// position go: a dropped packet is lost on the way, a delayed one arrives
// late (and packets held back may be overtaken by later ones, as on a
// network with jitter).
type RTPFault interface {
	Outgoing(p Packet) (drop bool, delay time.Duration)
}

// Packet describes one outgoing RTP packet to an RTPFault.
type Packet struct {
	Seq        uint16
	Timestamp  uint32 // 48 kHz RTP clock
	ResponseID string
	At         time.Time // when pacing sent it
}

// Provider is the service a route imitates.
type Provider string

// Providers.
const (
	OpenAI Provider = "openai"
	Azure  Provider = "azure"
)

// CallInfo is what Options.NewSession learns about a new call.
type CallInfo struct {
	ID       string // "rtc_…", the last segment of the answer's Location
	Provider Provider
	Dialect  realtime.Dialect // Azure's preview route speaks Preview; the others GA
	// Model is the model (OpenAI) or deployment (Azure) from the key's
	// session, the multipart session part or the ?model= query, whichever
	// the request had; empty when none said.
	Model string
	// KeySession is the effective session of the ephemeral key the call was
	// made with (as the client-secret route returned it); nil for a call
	// made with a standard key.
	KeySession json.RawMessage
	// RequestSession is the multipart form's session part; nil without one.
	RequestSession json.RawMessage
	// Ephemeral tells whether the call was authorized by an ephemeral key.
	Ephemeral bool
	// Call is the call's transport. It also implements Faults.
	Call Call
}

// Errors a Session's Closed gets, and SendEvent's after the end.
var (
	ErrClosed            = errors.New("rtc: call closed")
	ErrHangUp            = errors.New("rtc: call hung up over HTTP")
	ErrDataChannelClosed = errors.New("rtc: data channel closed")
	ErrPeerClosed        = errors.New("rtc: peer connection closed or failed")
	// ErrClientHungUp: the client closed its data channel or peer
	// connection, as a page does when the conversation is over (the
	// WebRTC counterpart of a WebSocket close frame). A failed connection
	// is ErrPeerClosed, the fault's closing of the channel
	// ErrDataChannelClosed.
	ErrClientHungUp   = errors.New("rtc: the client closed the call")
	ErrConnectTimeout = errors.New("rtc: client did not connect in time")
	// ErrMessageTooLarge: SendEvent refused an event longer than the
	// largest message the client's data channel takes (its SDP's
	// a=max-message-size, 65535 bytes when it names none; RFC 8841). Sent,
	// it would make the browser abort the channel; the call goes on.
	ErrMessageTooLarge = errors.New("rtc: event larger than the data channel's message size")
	ErrServerClosed    = errors.New("rtc: handler closed")
)
