package conformance

import (
	"fmt"
	"math"
	"strings"
)

// truncatesIn returns the client truncates between frames from and to
// (exclusive), split into those of item id and the others.
func (v *view) truncatesIn(from, to int, id string) (mine, other []*truncInfo) {
	for _, t := range v.truncs {
		if t.ev.i <= from || t.ev.i >= to {
			continue
		}
		if t.item == id {
			mine = append(mine, t)
		} else {
			other = append(other, t)
		}
	}
	return mine, other
}

// bargeWindowEnd is the frame index where barge-in k's window ends: the
// next barge-in, or the end of the session.
func (v *view) bargeWindowEnd(k int) int {
	if k+1 < len(v.barges) {
		return v.barges[k+1].speech.i
	}
	return len(v.evs)
}

func truncEvents(ts []*truncInfo) []*event {
	out := make([]*event, len(ts))
	for i, t := range ts {
		out[i] = t.ev
	}
	return out
}

func checkBargeInTruncate(s *Session) Result {
	if s.v().webrtc() {
		return checkBargeInStopRTC(s)
	}
	v, lim := s.v(), s.limits()
	if len(v.barges) == 0 {
		return notApplicable("no input_audio_buffer.speech_started while assistant audio was playing")
	}
	var fs []Finding
	judged := false
	for k, b := range v.barges {
		mine, other := v.truncatesIn(b.speech.i, v.bargeWindowEnd(k), b.item.id)
		want := fmt.Sprintf(`one conversation.item.truncate {"item_id":%q,"content_index":0,"audio_end_ms":%d} right after speech_started: the audio played, so that the model drops the words the user never heard`,
			b.item.id, int(b.played))
		switch {
		case len(mine) == 1:
			judged = true
		case len(mine) == 0:
			if len(other) == 0 && s.End()-b.speech.at < lim.Reaction {
				continue // the session ended before a client could react
			}
			judged = true
			problem := fmt.Sprintf("speech_started at %s interrupted assistant item %s after %s of its audio had played (%s received), and the client sent no conversation.item.truncate for it",
				fmtT(b.speech.at), b.item.id, fmtMs(b.played), fmtMs(b.recv))
			if len(other) > 0 {
				problem += fmt.Sprintf("; it truncated %s instead", other[0].item)
			}
			fs = append(fs, Finding{At: b.speech.at, Problem: problem, Want: want, Frames: quotes(append([]*event{b.speech}, truncEvents(other)...)...)})
		default:
			judged = true
			fs = append(fs, Finding{
				At:      mine[1].ev.at,
				Problem: fmt.Sprintf("the client truncated %s %d times after speech_started at %s", b.item.id, len(mine), fmtT(b.speech.at)),
				Want:    want,
				Frames:  quotes(append([]*event{b.speech}, truncEvents(mine)...)...),
			})
		}
	}
	if !judged {
		return notApplicable("the session ended less than %s after speech_started at %s", fmtMs(ms(lim.Reaction)), fmtT(v.barges[0].speech.at))
	}
	return result(fs, "")
}

func checkTruncatePlayed(s *Session) Result {
	v, lim := s.v(), s.limits()
	var fs []Finding
	judged := 0
	for _, t := range v.truncs {
		it := v.itemBy[t.item]
		if !t.endNum || it == nil || it.first >= t.ev.i {
			continue // RT-TRUNCATE-VALUE judges these
		}
		judged++
		played, recv := v.playedAt(it, t.ev.i)
		have := math.Floor(recv)
		bound := played + ms(lim.Tolerance)
		switch {
		case t.end > have:
			fs = append(fs, Finding{
				At:      t.ev.at,
				Problem: fmt.Sprintf("truncate at %s sets audio_end_ms %s but only %s of %s's audio had been received; the service answers \"Audio content of %d ms is already shorter than %s ms\"", fmtT(t.ev.at), t.endRaw, fmtMs(have), it.id, int(have), t.endRaw),
				Want:    fmt.Sprintf("audio_end_ms ≤ %d: what was played (min of the %s received and the %s since the first delta)", int(min(played, have)), fmtMs(recv), fmtMs(ms(t.ev.at-v.evs[it.first].at))),
				Frames:  quotes(t.ev, v.evs[it.first]),
			})
		case t.end > bound:
			fs = append(fs, Finding{
				At:      t.ev.at,
				Problem: fmt.Sprintf("truncate at %s sets audio_end_ms %s, more than the %s of %s that could have been played by then (first delta at %s, %s received)", fmtT(t.ev.at), t.endRaw, fmtMs(played), it.id, fmtT(v.evs[it.first].at), fmtMs(recv)),
				Want:    fmt.Sprintf("audio_end_ms ≤ %d (played %s + %s tolerance): the audio the user heard, not what was received", int(bound), fmtMs(played), fmtMs(ms(lim.Tolerance))),
				Frames:  quotes(t.ev, v.evs[it.first]),
			})
		}
	}
	if judged == 0 {
		return notApplicable("no conversation.item.truncate of an assistant item with audio")
	}
	return result(fs, "")
}

func checkTruncateValue(s *Session) Result {
	v := s.v()
	if len(v.truncs) == 0 {
		return notApplicable("no conversation.item.truncate")
	}
	var fs []Finding
	for _, t := range v.truncs {
		var probs []string
		switch {
		case !t.endNum:
			probs = append(probs, fmt.Sprintf("audio_end_ms is %s, not a number", orMissing(t.endRaw)))
		case !t.endInt:
			probs = append(probs, fmt.Sprintf("audio_end_ms %s is not an integer", t.endRaw))
		case t.end <= 0:
			probs = append(probs, fmt.Sprintf("audio_end_ms %s is not above 0 (the service answers unsupported_content_type)", t.endRaw))
		}
		if !t.indexNum || t.index != 0 {
			raw := "missing"
			if x, ok := t.ev.obj["content_index"]; ok {
				raw = fmt.Sprint(x)
			}
			probs = append(probs, fmt.Sprintf("content_index is %s; the audio part of an assistant message is 0", raw))
		}
		it := v.itemBy[t.item]
		switch {
		case t.item == "":
			probs = append(probs, "item_id is missing")
		case it != nil && it.first < t.ev.i:
			// an assistant item with audio: fine
		case v.known[t.item] == "assistant":
			probs = append(probs, fmt.Sprintf("item %s has no audio yet: the truncate came before its first audio delta", t.item))
		case v.known[t.item] != "":
			probs = append(probs, fmt.Sprintf("item %s is a %s item, not assistant audio", t.item, v.known[t.item]))
		default:
			probs = append(probs, fmt.Sprintf("item %s is not an item of this session", t.item))
		}
		if len(probs) == 0 {
			continue
		}
		fr := []*event{t.ev}
		if e, ok := v.errorFor(t.ev.i); ok {
			fr = append(fr, e)
		}
		fs = append(fs, Finding{
			At:      t.ev.at,
			Problem: fmt.Sprintf("truncate at %s: %s", fmtT(t.ev.at), strings.Join(probs, "; ")),
			Want:    "item_id of an assistant message whose audio has started, content_index 0, an integer audio_end_ms > 0; skip the truncate (or delete the item) when nothing was played",
			Frames:  quotes(fr...),
		})
	}
	return result(fs, "")
}

func orMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}

func checkTruncateSpurious(s *Session) Result {
	v := s.v()
	var fs []Finding
	judged := 0
	for _, t := range v.truncs {
		it := v.itemBy[t.item]
		if it == nil || it.first >= t.ev.i {
			continue
		}
		judged++
		interrupted := false
		for _, b := range v.barges {
			if b.item == it && b.speech.i < t.ev.i {
				interrupted = true
				break
			}
		}
		if interrupted {
			continue
		}
		played, _ := v.playedAt(it, t.ev.i)
		fs = append(fs, Finding{
			At:      t.ev.at,
			Problem: fmt.Sprintf("truncate of %s at %s (audio_end_ms %s, %s played) without an interruption: no speech_started came while it played", it.id, fmtT(t.ev.at), t.endRaw, fmtMs(played)),
			Want:    "truncate only an item the user interrupted; an uninterrupted reply stays whole in the conversation",
			Frames:  quotes(t.ev),
		})
	}
	if judged == 0 {
		return notApplicable("no conversation.item.truncate of an assistant item with audio")
	}
	return result(fs, "")
}

func checkBargeInReaction(s *Session) Result {
	if s.v().webrtc() {
		return checkBargeInReactionRTC(s)
	}
	v, lim := s.v(), s.limits()
	var fs []Finding
	judged := 0
	for k, b := range v.barges {
		mine, _ := v.truncatesIn(b.speech.i, v.bargeWindowEnd(k), b.item.id)
		if len(mine) == 0 {
			continue
		}
		judged++
		if d := mine[0].ev.at - b.speech.at; d > lim.Reaction {
			fs = append(fs, Finding{
				At:      mine[0].ev.at,
				Problem: fmt.Sprintf("the truncate of %s came %s after speech_started at %s", b.item.id, fmtMs(ms(d)), fmtT(b.speech.at)),
				Want:    fmt.Sprintf("stop playback and truncate within %s of speech_started; until then the user hears the assistant talk over them", fmtMs(ms(lim.Reaction))),
				Frames:  quotes(b.speech, mine[0].ev),
			})
		}
	}
	if judged == 0 {
		return notApplicable("no truncate answering a speech_started during playback")
	}
	if r, ok := timingUnreliable(s, lim.Reaction); ok {
		return r
	}
	return result(fs, "")
}
