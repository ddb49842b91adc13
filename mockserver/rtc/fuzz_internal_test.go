package rtc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/rtmock/rtmock/realtime"
)

// FuzzSecretRequest feeds client-secret bodies to the parser of every key
// route: it must refuse with a 4xx or accept with a lifetime in range,
// never panic.
func FuzzSecretRequest(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"session":{"type":"realtime","model":"m"}}`,
		`{"expires_after":{"anchor":"created_at","seconds":60}}`, `{"expires_after":{"seconds":1e400}}`,
		`{"expires_after":{"seconds":-5}}`, `{"expires_after":null,"session":null}`, `{"model":"d","voice":"verse"}`,
		`{"expires_after":{"seconds":"60"}}`, `{"session":{"model":7}}`,
	} {
		f.Add([]byte(s))
	}
	h := &Handler{opts: Options{KeyTTL: 600e9, PreviewKeyTTL: 60e9}}
	routes := []route{{OpenAI, realtime.GA, routeSecret, ""}, {Azure, realtime.GA, routeSecret, ""}, {Azure, realtime.Preview, routeSecret, ""}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rt := range routes {
			req, ttl, _, rerr := h.parseSecretRequest(body, rt)
			if rerr != nil {
				if rerr.Status < 400 || rerr.Status >= 500 || rerr.Message == "" {
					t.Fatalf("refusal %+v", rerr)
				}
				continue
			}
			if req == nil || ttl < minKeySeconds*time.Second || ttl > maxKeySeconds*time.Second {
				t.Fatalf("accepted %q with lifetime %v", body, ttl)
			}
			if _, err := h.render(req); err != nil && rt.dialect == realtime.GA && req.Session != nil {
				t.Fatalf("accepted session %q does not render: %v", req.Session, err)
			}
		}
	})
}

// FuzzRoute: a path is one of the fixed routes, or a call-control route
// whose id is the one segment between the calls prefix and the verb.
func FuzzRoute(f *testing.F) {
	for _, p := range []string{"/v1/realtime/calls", "/v1/realtime/calls/rtc_1/hangup", "/openai/v1/realtime/calls//hangup", "/v1/realtime/calls/a/b/hangup", "/v1/realtimertc", "/",
		"/v1/realtime/calls/rtc_u0_x/accept", "/openai/v1/realtime/calls/rtc_u0_x/refer", "/v1/realtime/calls/rtc_u0_x/reject/", "/v1/realtime/calls/x/accepts"} {
		f.Add(p)
	}
	fixed := map[string]bool{
		"/v1/realtime/client_secrets": true, "/openai/v1/realtime/client_secrets": true, "/openai/realtimeapi/sessions": true,
		"/v1/realtime/calls": true, "/openai/v1/realtime/calls": true, "/v1/realtimertc": true,
	}
	verbs := map[routeKind]string{routeHangup: "hangup", routeAccept: "accept", routeReject: "reject", routeRefer: "refer"}
	f.Fuzz(func(t *testing.T, path string) {
		rt, ok := parseRoute(path)
		verb := verbs[rt.kind]
		switch {
		case !ok:
		case verb == "":
			if !fixed[path] {
				t.Fatalf("%q taken for a route", path)
			}
		case rt.callID == "" || strings.Contains(rt.callID, "/"):
			t.Fatalf("%s route %q with id %q", verb, path, rt.callID)
		case path != "/v1/realtime/calls/"+rt.callID+"/"+verb && path != "/openai/v1/realtime/calls/"+rt.callID+"/"+verb:
			t.Fatalf("%s id %q does not rebuild %q", verb, rt.callID, path)
		}
	})
}

// FuzzSIPBodies feeds bodies to the parsers of accept, reject and refer:
// each refuses with a 400 and a message, or takes what it documents.
func FuzzSIPBodies(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"type":"realtime"}`, `{"type":"realtime","model":"m","instructions":"hi","audio":{"output":{"voice":"marin"}}}`,
		`{"type":"transcription"}`, `{"status_code":486}`, `{"status_code":1e400}`, `{"status_code":-1}`, `{"status_code":null}`,
		`{"target_uri":"tel:+14155550123"}`, `{"target_uri":"SIP:a@b"}`, `{"target_uri":"tel:"}`, `{"target_uri":7}`, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		refusal := func(what string, rerr *RequestError) {
			if rerr.Status != 400 || rerr.Message == "" {
				t.Fatalf("%s: refusal %+v", what, rerr)
			}
		}
		for _, p := range []Provider{OpenAI, Azure} {
			session, rerr := parseAccept(p, body)
			if rerr != nil {
				refusal("accept", rerr)
				continue
			}
			var s map[string]any
			if err := json.Unmarshal(session, &s); err != nil || s["type"] != "realtime" || (p == Azure && s["model"] == nil) {
				t.Fatalf("accept took %q as %s", body, session)
			}
		}
		if status, rerr := parseReject(body); rerr != nil {
			refusal("reject", rerr)
		} else if status < minRejectStatus || status > maxRejectStatus {
			t.Fatalf("reject took %q as status %d", body, status)
		}
		if uri, rerr := parseRefer(body); rerr != nil {
			refusal("refer", rerr)
		} else if l := strings.ToLower(uri); !strings.HasPrefix(l, "tel:") && !strings.HasPrefix(l, "sip:") && !strings.HasPrefix(l, "sips:") {
			t.Fatalf("refer took %q as %q", body, uri)
		}
	})
}

// FuzzListener feeds arbitrary packets (payload, sequence, timestamp) to
// the client-audio decoder: it must never panic, and what one packet adds
// to the timeline is bounded (a filled gap of at most 10 s plus a packet).
func FuzzListener(f *testing.F) {
	f.Add([]byte{0xfc, 0xff, 0xfe}, uint16(1), uint32(960), []byte{0x78, 0x01}, uint16(2), uint32(1920))
	f.Add([]byte{}, uint16(65535), uint32(0), []byte{0xff, 0xff, 0xff, 0xff}, uint16(0), uint32(4294967295))
	f.Fuzz(func(t *testing.T, p1 []byte, s1 uint16, t1 uint32, p2 []byte, s2 uint16, t2 uint32) {
		dec, err := newOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		l := listener{dec: dec, pcm: make([]int16, maxDecodedSize)}
		for _, p := range []*rtp.Packet{
			{Header: rtp.Header{SequenceNumber: s1, Timestamp: t1}, Payload: p1},
			{Header: rtp.Header{SequenceNumber: s2, Timestamp: t2}, Payload: p2},
		} {
			if out := l.decode(p); len(out) > 2*(maxGapTicks*pcmRate/rtpClockRate+maxDecodedSize) || len(out)%2 != 0 {
				t.Fatalf("one packet added %d bytes", len(out))
			}
		}
	})
}

// FuzzFilter: the webrtcfilter lets through only events whose type is on
// its list, and never panics.
func FuzzFilter(f *testing.F) {
	f.Add([]byte(`{"type":"session.created"}`))
	f.Add([]byte(`{"type":"output_audio_buffer.started","response_id":"r"}`))
	f.Fuzz(func(t *testing.T, ev []byte) {
		if !filterAllows(ev) {
			return
		}
		var e struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(ev, &e); err != nil || !webrtcFilter[e.Type] {
			t.Fatalf("%q let through", ev)
		}
	})
}
