package view

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// server reads a server event (other than an audio delta) into the spans.
func (b *builder) server(i int, f cassette.Frame, ev *Event, fs *fields) {
	switch b.kind(ev.Type) {
	case realtime.KindSessionCreated, realtime.KindSessionUpdated:
		b.fmts.observe(f.Data)
	case realtime.KindResponseCreated:
		r := b.resp(fs.Response.ID, ev.T)
		r.T0, r.Created = ev.T, i
	case realtime.KindResponseDone:
		r := b.resp(fs.Response.ID, ev.T)
		r.T1, r.Done, r.Status = ev.T, i, fs.Response.Status
		r.Reason = firstOf(fs.Response.StatusDetails.Reason, fs.Response.StatusDetails.Type)
		for _, o := range fs.Response.Output {
			r.addItem(o.ID)
		}
	case realtime.KindOutputItemAdded:
		b.resp(ev.Resp, ev.T).addItem(ev.Item)
	case realtime.KindSpeechStarted:
		b.m.VAD = append(b.m.VAD, Window{T0: ev.T, Start: i, Stop: -1, StartMs: num(fs.AudioStartMs), EndMs: -1, Item: fs.ItemID})
	case realtime.KindSpeechStopped:
		if n := len(b.m.VAD); n > 0 && b.m.VAD[n-1].Stop < 0 {
			w := &b.m.VAD[n-1]
			w.T1, w.Stop, w.EndMs = ev.T, i, num(fs.AudioEndMs)
		}
	case realtime.KindItemTruncated:
		b.answer(i, func(t *Truncate) bool { return t.Item == fs.ItemID })
	case realtime.KindError:
		ev.Err = true
		if strings.HasPrefix(fs.Error.Message, "Injected fault") {
			b.fault(ev.T, i, "error", "injected error: "+firstOf(fs.Error.Code, fs.Error.Message))
		}
		if id := fs.Error.EventID; id != "" {
			b.answer(i, func(t *Truncate) bool { return b.m.Events[t.Ev].ID == id })
		}
	case realtime.KindAudioTranscriptDelta:
		b.words(ev.Item).WriteString(fs.Delta)
	case realtime.KindAudioTranscriptDone:
		w := b.words(ev.Item)
		w.Reset()
		w.WriteString(fs.Transcript)
	}
}

// words is where the transcript of an assistant item gathers.
func (b *builder) words(item string) *strings.Builder {
	if b.transcripts == nil {
		b.transcripts = map[string]*strings.Builder{}
	}
	w := b.transcripts[item]
	if w == nil {
		w = &strings.Builder{}
		b.transcripts[item] = w
	}
	return w
}

// resp returns the response with id, adding it when first seen at t.
func (b *builder) resp(id string, t float64) *Response {
	i, ok := b.resps[id]
	if !ok {
		i = len(b.m.Responses)
		b.resps[id] = i
		b.m.Responses = append(b.m.Responses, Response{ID: id, T0: t, T1: -1, Created: -1, Done: -1})
	}
	return &b.m.Responses[i]
}

func (r *Response) addItem(id string) {
	if id != "" && !slices.Contains(r.Items, id) {
		r.Items = append(r.Items, id)
	}
}

// truncate records a client conversation.item.truncate.
func (b *builder) truncate(i int, ev *Event, fs *fields) {
	b.m.Truncates = append(b.m.Truncates, Truncate{T: ev.T, Ev: i, Item: fs.ItemID, EndMs: num(fs.AudioEndMs), CutT: -1, Answer: -1})
}

// answer marks server event i as the answer to the first unanswered
// truncate that match accepts.
func (b *builder) answer(i int, match func(*Truncate) bool) {
	for k := range b.m.Truncates {
		if t := &b.m.Truncates[k]; t.Answer < 0 && match(t) {
			t.Answer = i
			return
		}
	}
}

// num reads a JSON number decoded into any; -1 when it is not one.
func num(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return -1
}

// finish derives what needs the whole session: playback, the end of the
// axis, open spans, audio for playback.
func (b *builder) finish(o Options) {
	m := b.m
	for k := range m.Truncates {
		t := &m.Truncates[k]
		if it := b.items[t.Item]; it != nil {
			t.CutT = it.T + t.EndMs/1000
			t.RecvMs = it.recvAt(t.T)
			t.PlayedMs = max(0, min(t.RecvMs, (t.T-it.T)*1000))
			if it.Cut < 0 {
				it.Cut = k
			}
		}
	}
	end := b.lastT
	for _, it := range b.order {
		it.Received = it.track.ms()
		if it.Cut >= 0 {
			it.Played = max(0, min(m.Truncates[it.Cut].EndMs, it.Received))
		} else {
			it.Played = max(0, min(it.Received, (b.lastT-it.T)*1000))
		}
		if r, ok := b.resps[it.Resp]; ok {
			it.Response, it.Status = r, m.Responses[r].Status
		}
		if w := b.transcripts[it.ID]; w != nil {
			it.Transcr = w.String()
		}
		end = max(end, it.T+it.Played/1000)
	}
	for _, f := range m.Findings {
		end = max(end, f.T)
	}
	if end <= 0 {
		end = 1
	}
	m.End = end
	for k := range m.Responses {
		if r := &m.Responses[k]; r.T1 < 0 {
			r.T1 = end
		}
	}
	for k := range m.VAD {
		w := &m.VAD[k]
		if w.Stop < 0 {
			w.T1 = end
		}
		for _, it := range b.order {
			w.Barge = w.Barge || it.playingAt(w.T0)
		}
	}
	b.audio(o.MaxAudio)
	slices.SortStableFunc(m.Faults, func(a, b Fault) int { return cmp.Compare(a.T, b.T) })
	slices.SortStableFunc(m.Findings, func(a, b Finding) int { return cmp.Compare(a.T, b.T) })
}

// playingAt tells whether the item was being played at t under the
// playback model: it had started, and either more audio was still to come
// or less than what had arrived had been played.
func (it *itemState) playingAt(t float64) bool {
	return it.T <= t && (t <= it.LastT || (t-it.T)*1000 < it.recvAt(t))
}

// audio renders the tracks, keeping samples for playback while the budget
// lasts.
func (b *builder) audio(budget time.Duration) {
	left := float64(budget.Milliseconds())
	omitted := false
	elided := 0.0
	keep := func(t *track) bool {
		elided += t.elidedMs
		if t.elidedMs >= t.ms() {
			return false // all silence stand-ins: nothing to hear
		}
		ok := left >= t.ms()
		if ok {
			left -= t.ms()
		} else {
			omitted = true
		}
		return ok
	}
	if b.input != nil {
		b.m.Input = b.input.model(keep(b.input))
	}
	for _, it := range b.order {
		it.Track = it.track.model(keep(it.track))
		b.m.Items = append(b.m.Items, it.Item)
	}
	if elided > 0 {
		b.m.Notes = append(b.m.Notes, fmt.Sprintf("%.0f ms of audio were elided in the file: drawn flat, played as silence", elided))
	}
	if omitted {
		b.m.Notes = append(b.m.Notes, fmt.Sprintf("audio beyond the first %s of this session is drawn but cannot be played (rtmock view --max-audio)", budget))
	}
}
