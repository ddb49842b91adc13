package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/pion/webrtc/v4"
	"github.com/rtmock/rtmock/realtime"
)

// maxOffer bounds an SDP offer (with a session part).
const maxOffer = 1 << 20

// serveCall answers an SDP offer: authorize, read the offer, set up the
// peer connection, create the Session, and answer 201 with the SDP answer
// and the call's Location.
func (h *Handler) serveCall(w http.ResponseWriter, r *http.Request, rt route) {
	info := CallInfo{Provider: rt.provider, Dialect: rt.dialect}
	cred := credentials(r)
	switch {
	case cred.ephemeral:
		k, ok := h.keys.take(cred.value, rt, h.clock.Now(), h.opts.ReusableKeys)
		if !ok {
			(&authError{rt.provider, cred.value}).write(w)
			return
		}
		info.Ephemeral, info.KeySession, info.Model = true, k.session, k.model
	case rt.dialect == realtime.Preview || !h.standardKeyOK(cred):
		// Azure's preview WebRTC route takes ephemeral keys only.
		(&authError{rt.provider, cred.value}).write(w)
		return
	}
	answer, id, rerr := h.setUpCall(r, rt, &info)
	if rerr != nil {
		if info.Ephemeral {
			h.keys.release(cred.value)
		}
		writeCallbackError(w, rerr)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/v1/realtime/calls/"+id)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// setUpCall reads the offer and makes the call; it returns the SDP answer
// and the call id.
func (h *Handler) setUpCall(r *http.Request, rt route, info *CallInfo) (string, string, error) {
	offer, err := readOffer(r, info)
	if err != nil {
		return "", "", err
	}
	q := r.URL.Query()
	if m := q.Get("model"); m != "" && rt.dialect == realtime.Preview {
		info.Model = m
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return "", "", &RequestError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: "The server is shutting down."}
	}
	h.wg.Add(1)
	h.mu.Unlock()

	info.ID = h.randomID("rtc_", 24)
	c := newCall(h, *info, rt.provider == Azure && q.Get("webrtcfilter") == "on")
	answer, err := c.negotiate(r.Context(), offer)
	if err != nil {
		c.abort()
		return "", "", err
	}
	c.info.Call = c
	s, err := h.opts.NewSession(&c.info)
	if err != nil {
		c.abort()
		return "", "", err
	}
	h.mu.Lock()
	h.calls[c.info.ID] = c
	closed := h.closed
	h.mu.Unlock()
	c.start(s)
	if closed {
		c.end(ErrServerClosed, "handler closed")
	}
	return answer, c.info.ID, nil
}

// readOffer reads the SDP offer: the whole body as application/sdp, or the
// "sdp" part of a multipart form, whose "session" part (JSON) goes to info.
func readOffer(r *http.Request, info *CallInfo) ([]byte, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		ct = ""
	}
	switch ct {
	case "application/sdp":
		b, rerr := readBody(r, maxOffer)
		if rerr != nil {
			return nil, rerr
		}
		return b, nil
	case "multipart/form-data":
		return readMultipartOffer(r, params["boundary"], info)
	}
	return nil, invalidRequest("unsupported_content_type", "", "Unsupported content type %q: send the SDP offer as application/sdp, or as the 'sdp' field of multipart/form-data.", r.Header.Get("Content-Type"))
}

func readMultipartOffer(r *http.Request, boundary string, info *CallInfo) ([]byte, error) {
	if boundary == "" {
		return nil, invalidRequest("", "", "The multipart/form-data body has no boundary.")
	}
	mr := multipart.NewReader(io.LimitReader(r.Body, maxOffer), boundary)
	var sdp []byte
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalidRequest("", "", "Could not read the multipart/form-data body: %v.", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, invalidRequest("", "", "Could not read the multipart/form-data body: %v.", err)
		}
		switch p.FormName() {
		case "sdp":
			sdp = b
		case "session":
			var s map[string]json.RawMessage
			if err := json.Unmarshal(b, &s); err != nil || s == nil {
				return nil, invalidRequest("invalid_type", "session", "Invalid type for 'session': expected an object, but got %s instead.", jsonKind(b))
			}
			info.RequestSession = b
			if m := stringField(s, "model"); m != "" {
				info.Model = m
			}
		}
	}
	if sdp == nil {
		return nil, invalidRequest("missing_required_parameter", "sdp", "Missing required parameter: 'sdp'.")
	}
	return sdp, nil
}

// negotiate sets up the peer connection for the offer and returns the
// answer, with the loopback candidates gathered in it.
func (c *call) negotiate(ctx context.Context, offer []byte) (string, error) {
	pc, err := c.h.media.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	c.pc = pc
	pc.OnDataChannel(c.onDataChannel)
	pc.OnTrack(c.onTrack)
	pc.OnConnectionStateChange(c.onConnectionState)
	if !strings.HasPrefix(strings.TrimSpace(string(offer)), "v=") {
		return "", invalidRequest("invalid_offer", "sdp", "Invalid SDP offer: it must start with \"v=\".")
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		return "", invalidRequest("invalid_offer", "sdp", "Invalid SDP offer: %v.", err)
	}
	c.track, err = webrtc.NewTrackLocalStaticRTP(opusCapability(), "audio", "rtmock")
	if err != nil {
		return "", err
	}
	sender, err := pc.AddTrack(c.track)
	if err != nil {
		return "", err
	}
	c.wg.Add(1)
	go c.drainRTCP(sender)
	if c.player, err = newPlayer(c); err != nil {
		return "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", invalidRequest("invalid_offer", "sdp", "Cannot answer the SDP offer: %v.", err)
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

// drainRTCP reads the client's RTCP for the outgoing track, which pion's
// report interceptor needs read; the reports themselves are not used.
func (c *call) drainRTCP(sender *webrtc.RTPSender) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := sender.Read(buf); err != nil {
			return
		}
	}
}

// abort undoes a call that was never started.
func (c *call) abort() {
	c.endOnce.Do(func() {}) // closing the peer connection must not start a teardown
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
	if c.pc != nil {
		c.pc.Close()
	}
	c.wg.Wait()
	c.h.wg.Done()
}

// forget removes a call that has ended.
func (h *Handler) forget(c *call) {
	h.mu.Lock()
	if h.calls[c.info.ID] == c {
		delete(h.calls, c.info.ID)
	}
	h.mu.Unlock()
	h.wg.Done()
}

// serveHangup ends a call, WebRTC or simulated SIP, as POST
// …/calls/{id}/hangup does.
func (h *Handler) serveHangup(w http.ResponseWriter, r *http.Request, rt route) {
	cred := credentials(r)
	if !h.standardKeyOK(cred) && !(cred.ephemeral && h.keys.known(cred.value, rt.provider)) {
		(&authError{rt.provider, cred.value}).write(w)
		return
	}
	h.mu.Lock()
	c := h.calls[rt.callID]
	h.mu.Unlock()
	if c == nil || c.info.Provider != rt.provider {
		// Not a WebRTC call: a simulated SIP call, or none (404).
		if _, rerr := h.move(rt.callID, opHangup, nil); rerr != nil {
			rerr.write(w)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	c.end(ErrHangUp, "hung up over HTTP")
	w.WriteHeader(http.StatusOK)
}

// webrtcFilter lists the server events Azure's ?webrtcfilter=on lets
// through to the browser, as its WebRTC article enumerates them.
var webrtcFilter = map[string]bool{
	"input_audio_buffer.speech_started":                     true,
	"input_audio_buffer.speech_stopped":                     true,
	"output_audio_buffer.started":                           true,
	"output_audio_buffer.stopped":                           true,
	"conversation.item.input_audio_transcription.completed": true,
	"conversation.item.added":                               true,
	"conversation.item.created":                             true,
	"response.output_text.delta":                            true,
	"response.output_text.done":                             true,
	"response.output_audio_transcript.delta":                true,
	"response.output_audio_transcript.done":                 true,
}

func filterAllows(event []byte) bool {
	var e struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(event, &e) != nil {
		return false
	}
	return webrtcFilter[e.Type]
}
