// Package rtc is the mock's WebRTC transport: the HTTP surface of WebRTC
// calls to the Realtime API (ephemeral keys, SDP offer and answer, hang-up)
// and the media and event plane of each call (the client's data channel,
// and Opus audio both ways), bound to the session core through two small
// interfaces. It also simulates the call control of SIP calls (below).
//
// # Binding
//
// A Handler is an http.Handler. For every call it accepts it asks
// Options.NewSession for a Session, giving it the call's CallInfo (provider,
// dialect, model, the session of the ephemeral key or of the request, and
// the Call). The Handler feeds the Session what the client sends, one input
// at a time: data-channel messages (ClientEvent), the decoded microphone
// audio as PCM16 24 kHz mono (ClientAudio), playback reports of the audio
// the Session queued (PlaybackStarted, PlaybackStopped), and finally
// Closed. The Session answers through the Call: SendEvent for server events
// on the data channel, PlayAudio and EndAudio for the assistant's audio on
// the RTP track, ClearAudio to cut it off, Close to end the call.
//
// In a WebRTC call the assistant's audio goes only on the track, so the
// Session sends no response.output_audio.delta events there; the
// WebRTC-only events (output_audio_buffer.started, .stopped, .cleared) are
// the Session's to send, from the playback reports and ClearAudio.
//
// # Routes
//
// OpenAI: POST /v1/realtime/client_secrets, POST /v1/realtime/calls (the
// offer as application/sdp, or multipart/form-data with "sdp" and
// "session" parts), POST /v1/realtime/calls/{id}/hangup. Azure GA: the same
// under /openai/v1/realtime/…, and ?webrtcfilter=on on the calls route to
// send the browser only the events Azure lists. Azure preview: POST
// /openai/realtimeapi/sessions?api-version=… for the key, POST
// /v1/realtimertc?model=<deployment> for the offer (the regional host's
// path, on the mock's own host). Every route answers browsers' CORS
// preflight. The answer to an offer is 201 with the SDP answer and a
// Location header ending in the call id ("rtc_…").
//
// Ephemeral keys ("ek_…") expire on the Handler's Clock: GA keys after
// expires_after.seconds (10 to 7200, by default Options.KeyTTL, 600 s),
// preview keys after Options.PreviewKeyTTL (60 s). A key opens one call
// unless Options.ReusableKeys. An expired, spent, unknown or foreign key
// gets the service's 401.
//
// # Media
//
// ICE runs in ICE-lite mode on loopback host candidates only: the answer
// offers 127.0.0.1, and the client's connectivity checks tell the mock
// where the client is, so offers without candidates (as browsers post them)
// work and no STUN or TURN is involved. DTLS-SRTP protects the media, SCTP
// carries the data channel. The first data channel the client opens is the
// call's, whatever its label ("oai-events" from the OpenAI SDKs,
// "realtime-channel" in Azure's samples).
//
// Audio is Opus at the RTP clock of 48 kHz, through the pure-Go codec
// github.com/thesyncim/gopus. The codec converts rates itself: the
// assistant's 24 kHz PCM is encoded as is (band-limited to 12 kHz, as the
// source is), and the client's Opus, whatever its rate and channels, is
// decoded to 24 kHz mono. A lost packet is concealed by the codec and a
// pause in the client's timestamps becomes silence, so ClientAudio keeps
// the audio timeline.
//
// # Pacing
//
// The assistant's audio goes out in 20 ms packets, one every 20 ms of the
// Clock from the start of a burst. A packet carries only audio queued by
// its slot, and a burst starts when a first whole frame was ready, so what
// goes out when depends on the Clock alone, not on goroutine scheduling.
// When the queue runs dry before EndAudio, sending pauses; the next audio
// starts a new burst (RTP marker set, timestamps counting the pause). The
// played position ClearAudio reports is the audio of the item that went
// out: the packets sent by then, a lost one included.
//
// # Faults
//
// Every Call also implements Faults: SetRTPFault puts an RTPFault on the
// outgoing audio (drop a packet, or hold it back for a while so later ones
// overtake it), and CloseDataChannel closes the data channel as a network
// failure would.
//
// # SIP call control
//
// Handler.IncomingCall simulates a phone call reaching the service through
// a SIP trunk, without any SIP: it makes a call ("rtc_…", state incoming)
// and posts OpenAI's realtime.call.incoming webhook event, with the
// INVITE's From, To and Call-ID headers, to Options.WebhookURL, signed as
// OpenAI signs webhooks (webhook-id, webhook-timestamp, webhook-signature
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under the whsec_ secret;
// SignWebhook, VerifyWebhook). The client answers on the call-control
// routes, POST …/calls/{id}/accept (a session configuration, type
// "realtime"), /reject ({"status_code"?}, 603 by default), /refer
// ({"target_uri": "tel:…" or "sip:…"}) and /hangup, each 200 with an
// empty body. Each call is a small state machine, incoming → accepted or
// rejected, accepted → referred or ended: a request its state does not
// take gets 409, an unknown call 404, a body the route does not take 400,
// in the service's error shape. SIPCall and SIPCalls tell the state and
// the accepted session; Options.OnSIPCallEnd hears of each call that is
// over. The mock serves the call's control WebSocket (?call_id=) from the
// accepted session.
//
// The package rtctest holds a stand-in Session for tests of the transport.
package rtc
