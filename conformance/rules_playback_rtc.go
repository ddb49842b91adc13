package conformance

import "fmt"

// The playback rules on a WebRTC call. The service plays the assistant's
// audio itself, from a playout buffer: on a barge-in with
// turn_detection.interrupt_response on it clears the buffer and truncates
// the item at the audio that went out (output_audio_buffer.cleared,
// conversation.item.truncated), and the client need do nothing; with it off
// the audio goes on until the client sends output_audio_buffer.clear (the
// service then truncates likewise) or its own conversation.item.truncate.

// rtcStop is what cut barge-in k's audio within its window: the service's
// output_audio_buffer.cleared of the item's response, the client's first
// output_audio_buffer.clear, and the client's truncates.
type rtcStop struct {
	cleared     *event
	clear       *event
	mine, other []*truncInfo
}

func (v *view) rtcStopOf(k int) rtcStop {
	b := v.barges[k]
	from, to := b.speech.i, v.bargeWindowEnd(k)
	var st rtcStop
	st.mine, st.other = v.truncatesIn(from, to, b.item.id)
	if c, ok := v.rtc.cleared[b.item.resp]; ok && c > from && c < to {
		st.cleared = v.evs[c]
	}
	for _, e := range v.rtc.clears {
		if e.i > from && e.i < to {
			st.clear = e
			break
		}
	}
	return st
}

// clientReaction is the client's first event that stopped the audio, or
// nil when it sent none.
func (st rtcStop) clientReaction() *event {
	r := st.clear
	if len(st.mine) > 0 && (r == nil || st.mine[0].ev.i < r.i) {
		r = st.mine[0].ev
	}
	return r
}

const rtcStopWant = "the audio stopped at once: on WebRTC the service clears its playout buffer itself when turn_detection.interrupt_response is on; otherwise the client sends output_audio_buffer.clear (after response.cancel while the response runs) right after speech_started, and the service truncates the item at the audio played"

func checkBargeInStopRTC(s *Session) Result {
	v, lim := s.v(), s.limits()
	if len(v.barges) == 0 {
		return notApplicable("no input_audio_buffer.speech_started while the call's assistant audio was going out")
	}
	var fs []Finding
	judged := false
	for k, b := range v.barges {
		st := v.rtcStopOf(k)
		switch {
		case len(st.mine) > 1:
			judged = true
			fs = append(fs, Finding{
				At:      st.mine[1].ev.at,
				Problem: fmt.Sprintf("the client truncated %s %d times after speech_started at %s", b.item.id, len(st.mine), fmtT(b.speech.at)),
				Want:    rtcStopWant,
				Frames:  quotes(append([]*event{b.speech}, truncEvents(st.mine)...)...),
			})
		case st.cleared != nil, st.clientReaction() != nil:
			judged = true
		case s.End()-b.speech.at < lim.Reaction:
			// the call ended before a client could react
		default:
			judged = true
			fs = append(fs, Finding{
				At: b.speech.at,
				Problem: fmt.Sprintf("speech_started at %s interrupted assistant item %s after %s of its audio had gone out, and the audio went on: the service did not clear it (interrupt_response is off) and the client sent neither output_audio_buffer.clear nor conversation.item.truncate",
					fmtT(b.speech.at), b.item.id, fmtMs(b.played)),
				Want:   rtcStopWant,
				Frames: quotes(b.speech),
			})
		}
	}
	if !judged {
		return notApplicable("the call ended less than %s after speech_started at %s", fmtMs(ms(lim.Reaction)), fmtT(v.barges[0].speech.at))
	}
	return result(fs, "")
}

func checkBargeInReactionRTC(s *Session) Result {
	v, lim := s.v(), s.limits()
	var fs []Finding
	judged := 0
	for k, b := range v.barges {
		st := v.rtcStopOf(k)
		r := st.clientReaction()
		if r == nil || (st.cleared != nil && st.cleared.i < r.i) {
			continue // the service stopped the audio, or nobody did
		}
		judged++
		if d := r.at - b.speech.at; d > lim.Reaction {
			fs = append(fs, Finding{
				At:      r.at,
				Problem: fmt.Sprintf("the client's %s came %s after speech_started at %s, while %s's audio went on", r.typ, fmtMs(ms(d)), fmtT(b.speech.at), b.item.id),
				Want:    fmt.Sprintf("output_audio_buffer.clear within %s of speech_started; until then the user hears the assistant talk over them", fmtMs(ms(lim.Reaction))),
				Frames:  quotes(b.speech, r),
			})
		}
	}
	if judged == 0 {
		return notApplicable("no output_audio_buffer.clear or truncate of the client's answering a speech_started during playback (the service cleared the audio itself, or nothing did)")
	}
	if r, ok := timingUnreliable(s, lim.Reaction); ok {
		return r
	}
	return result(fs, "")
}
