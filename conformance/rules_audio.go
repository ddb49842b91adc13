package conformance

import (
	"encoding/json"
	"fmt"
	"github.com/rtmock/rtmock/cassette"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
)

// Thresholds of the audio format rule.
const (
	noisyZCR       = 0.35 // mean zero crossings per sample above which 24 kHz PCM16 is noise, not speech (speech ≈ 0.1)
	fullScaleShare = 0.3  // share of frames above −3 dBFS that means the bytes are not the declared format
	minSpeechRatio = 0.85 // the client's speech over the input's, below which the rate is wrong
	maxSpeechRatio = 1.18
)

// appendEvents returns the events of appends.
func appendEvents(as []*appendInfo) []*event {
	out := make([]*event, len(as))
	for i, a := range as {
		out[i] = a.ev
	}
	return out
}

// firstFew limits quoted frames to n.
func firstFew(es []*event, n int) []*event {
	if len(es) > n {
		return es[:n]
	}
	return es
}

func checkAudioFormat(s *Session) Result {
	v := s.v()
	if len(v.appends) == 0 {
		return notApplicable("the client appended no audio")
	}
	var fs []Finding
	var bad, odd []*appendInfo
	for _, a := range v.appends {
		switch {
		case a.ev.audioBad:
			bad = append(bad, a)
		case !a.ev.elided && a.ev.audioN%a.format.BytesPerSample() != 0:
			odd = append(odd, a)
		}
	}
	if len(bad) > 0 {
		fs = append(fs, Finding{
			At:      bad[0].ev.at,
			Problem: fmt.Sprintf("%d of %d appends carry audio that is not valid base64 (the first at %s); the service answers invalid_value \"Invalid 'audio'\"", len(bad), len(v.appends), fmtT(bad[0].ev.at)),
			Want:    "standard base64 with padding of the raw audio bytes",
			Frames:  quotes(firstFew(appendEvents(bad), 3)...),
		})
	}
	if len(odd) > 0 {
		fs = append(fs, Finding{
			At:      odd[0].ev.at,
			Problem: fmt.Sprintf("%d of %d appends have an odd number of bytes (%d bytes at %s): not whole 16-bit samples, which the service rejects as invalid audio", len(odd), len(v.appends), odd[0].ev.audioN, fmtT(odd[0].ev.at)),
			Want:    "whole samples: an even byte count in every pcm16 append (cut chunks on sample boundaries)",
			Frames:  quotes(firstFew(appendEvents(odd), 3)...),
		})
	}
	// What the audio sounds like, read as the format the session declares.
	for _, run := range formatRuns(v.appends) {
		f := run[0].format
		data, from, to := decodeRun(run)
		if f.Duration(len(data)) < 300*time.Millisecond {
			continue
		}
		st := soundOf(f, data)
		if st.loud == 0 {
			continue
		}
		if f == audio.PCM16 && st.zcr > noisyZCR {
			fs = append(fs, Finding{
				At:      from.at,
				Problem: fmt.Sprintf("the audio appended from %s to %s is noise when read as 24 kHz little-endian PCM16: %.2f zero crossings per sample where speech has about 0.1", fmtT(from.at), fmtT(to.at), st.zcr),
				Want:    "24 kHz mono PCM16, little-endian, as the session declares; big-endian samples or G.711 bytes sent as pcm16 reach the model as noise and trigger no VAD events",
				Frames:  quotes(from),
			})
		}
		if st.fullScale > fullScaleShare {
			fs = append(fs, Finding{
				At:      from.at,
				Problem: fmt.Sprintf("%.0f%% of the audio appended from %s to %s is at full scale when read as %s: the bytes are not %s", 100*st.fullScale, fmtT(from.at), fmtT(to.at), f, f),
				Want:    "send the format the session declares (input_audio_format, audio.input.format); PCM16 bytes in a G.711 session read as full-scale noise",
				Frames:  quotes(from),
			})
		}
	}
	if in := inputOf(s); in != nil && in.Speech > 0 {
		if f, data, first, ok := singleFormatAudio(v.appends); ok {
			st := soundOf(f, data)
			ratio := float64(st.longest) / float64(in.Speech)
			if st.longest > 0 && (ratio < minSpeechRatio || ratio > maxSpeechRatio) {
				hint := ""
				switch r := rateHint(f.SampleRate(), ratio); {
				case r > 0:
					hint = fmt.Sprintf(": %d Hz audio sent as %d Hz?", r, f.SampleRate())
				case f == audio.PCM16 && ratio < 0.25:
					hint = ": G.711 bytes (8 kHz, one byte a sample) sent as pcm16?"
				case f != audio.PCM16 && ratio > 4:
					hint = ": pcm16 bytes sent in a G.711 session?"
				}
				fs = append(fs, Finding{
					At:      first.at,
					Problem: fmt.Sprintf("the speech in the client's audio lasts %s when played as the session's %s (%d Hz); in the input file it lasts %s, so the audio is %.2f× too long%s", fmtMs(ms(st.longest)), f, f.SampleRate(), fmtMs(ms(in.Speech)), ratio, hint),
					Want:    fmt.Sprintf("the input resampled to %d Hz and encoded as %s, the format the session declares", f.SampleRate(), f),
					Frames:  quotes(first),
				})
			}
		}
	}
	return result(fs, "")
}

// inputOf is the input the runner gave the client, or nil.
func inputOf(s *Session) *Input {
	if s.Run == nil {
		return nil
	}
	return s.Run.Input
}

// formatRuns splits appends into runs of the same format.
func formatRuns(as []*appendInfo) [][]*appendInfo {
	var runs [][]*appendInfo
	for i, a := range as {
		if i == 0 || a.format != as[i-1].format {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], a)
	}
	return runs
}

// decodeRun returns the decodable audio of a run and its first and last
// appends with audio.
func decodeRun(run []*appendInfo) (data []byte, from, to *event) {
	for _, a := range run {
		b, ok := a.ev.pcm()
		if !ok {
			continue
		}
		if from == nil {
			from = a.ev
		}
		to = a.ev
		data = append(data, b...)
	}
	return data, from, to
}

// singleFormatAudio returns all the client's audio when it was all sent in
// one format.
func singleFormatAudio(as []*appendInfo) (audio.Format, []byte, *event, bool) {
	runs := formatRuns(as)
	if len(runs) != 1 {
		return 0, nil, nil, false
	}
	data, from, _ := decodeRun(runs[0])
	return runs[0][0].format, data, from, from != nil
}

func checkAudioPacing(s *Session) Result {
	v, lim := s.v(), s.limits()
	if len(v.appends) == 0 {
		return notApplicable("the client appended no audio")
	}
	if total := v.appends[len(v.appends)-1].endMs; total < 1000 {
		return notApplicable("only %s of audio appended: too little to judge its pace", fmtMs(total))
	}
	if r, ok := timingUnreliable(s, lim.Lead); ok {
		return r
	}
	type worst struct {
		by   float64
		a    *appendInfo
		t0   *event  // the first append of the stretch
		base float64 // the input timeline where the stretch starts
	}
	var lead, lag worst
	// A pause of 2 s or more starts a new stretch of streaming (a
	// push-to-talk client between turns, say).
	for start := 0; start < len(v.appends); {
		end := start + 1
		for end < len(v.appends) && v.appends[end].ev.at-v.appends[end-1].ev.at < 2*time.Second {
			end++
		}
		seg := v.appends[start:end]
		start = end
		t0 := seg[0].ev.at
		base := seg[0].endMs - seg[0].ms
		var chunk float64
		for _, a := range seg {
			chunk = max(chunk, a.ms)
		}
		for k, a := range seg {
			wall := ms(a.ev.at - t0)
			sent := a.endMs - base
			if d := sent - wall - seg[0].ms; d > lead.by {
				lead = worst{d, a, seg[0].ev, base}
			}
			if k > 0 {
				before := seg[k-1].endMs - base
				if d := wall - before - chunk; d > lag.by {
					lag = worst{d, a, seg[0].ev, base}
				}
			}
		}
	}
	var fs []Finding
	want := "stream audio as it is captured: about 100 ms of audio every 100 ms of wall time (4800 bytes of pcm16 or 800 of G.711 per 100 ms)"
	if lead.by > ms(lim.Lead) {
		a := lead.a
		fs = append(fs, Finding{
			At:      a.ev.at,
			Problem: fmt.Sprintf("by %s the client had appended %s of audio in %s of streaming (since %s): %s ahead of real time", fmtT(a.ev.at), fmtMs(a.endMs-lead.base), fmtMs(ms(a.ev.at-lead.t0.at)), fmtT(lead.t0.at), fmtMs(lead.by)),
			Want:    want,
			Frames:  quotes(lead.t0, a.ev),
		})
	}
	if lag.by > ms(lim.Lead) {
		a := lag.a
		fs = append(fs, Finding{
			At:      a.ev.at,
			Problem: fmt.Sprintf("by %s the client had streamed for %s (since %s) but sent only %s of audio: %s behind real time (a stalled stream, or a source rate below the session's)", fmtT(a.ev.at), fmtMs(ms(a.ev.at-lag.t0.at)), fmtT(lag.t0.at), fmtMs(a.endMs-a.ms-lag.base), fmtMs(lag.by)),
			Want:    want,
			Frames:  quotes(lag.t0, a.ev),
		})
	}
	return result(fs, "")
}

func checkCommit(s *Session) Result {
	v := s.v()
	var fs []Finding
	commits := 0
	var start float64
	cause, causeAt := "the start of the session", time.Duration(0)
	for _, e := range v.evs {
		switch {
		case v.kind(e) == realtime.KindSpeechStopped:
			end, ok := number(e.obj, "audio_end_ms")
			if !ok {
				continue
			}
			start = min(max(end, start), v.inputMsAt(e.i))
			cause, causeAt = "the server's VAD committed the user's turn", e.at
		case e.dir == cassette.Client && e.typ == realtime.ClientInputClear:
			start = v.inputMsAt(e.i)
			cause, causeAt = "input_audio_buffer.clear", e.at
		case e.dir == cassette.Client && e.typ == realtime.ClientInputCommit:
			commits++
			total := v.inputMsAt(e.i)
			buffered := total - start
			errEv, _ := v.errorFor(e.i)
			empty := errEv != nil && errCode(errEv) == codeCommitEmpty
			if buffered < 100 || empty {
				problem := fmt.Sprintf("commit at %s with %s of audio buffered since %s at %s", fmtT(e.at), fmtMs(max(buffered, 0)), cause, fmtT(causeAt))
				if v.cfgAt(e.i).vad {
					problem += "; server VAD is on and commits turns itself"
				}
				if empty {
					problem += "; the service answered " + codeCommitEmpty
				}
				fs = append(fs, Finding{
					At:      e.at,
					Problem: problem,
					Want:    "commit only with at least 100 ms of new audio in the buffer; with server VAD on, leave committing to the server",
					Frames:  quotes(e, errEv),
				})
			}
			if errEv == nil {
				start = total
				cause, causeAt = "the previous commit", e.at
			}
		}
	}
	if commits == 0 {
		return notApplicable("the client sent no input_audio_buffer.commit")
	}
	return result(fs, "")
}

// number reads a numeric member.
func number(m map[string]any, path string) (float64, bool) {
	v, ok := get(m, path)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
