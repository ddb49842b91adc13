package mockserver

import (
	"encoding/base64"
	"strconv"

	"github.com/rtmock/rtmock/realtime"
)

// Items and responses go out several times per response, so they are
// written as JSON directly: no reflection, no map sorting.

func (m *sim) appendItem(b []byte, it *item) []byte {
	return m.appendItemAs(b, it, itemInEvent)
}

// itemForm is how an item is rendered.
type itemForm int

const (
	itemInEvent          itemForm = iota // in item and response events
	itemRetrieved                        // conversation.item.retrieved's, with the audio itself
	itemRetrievedNoAudio                 // … with the audio left out, when it does not fit
)

// appendItemAs appends an item in form f. conversation.item.retrieved's
// form is the only one that carries the audio itself. It follows the one
// published frame [L6]: object and preview content types in GA too, the
// audio's format by name.
func (m *sim) appendItemAs(b []byte, it *item, f itemForm) []byte {
	retrieved := f != itemInEvent
	b = append(b, `{"id":`...)
	b = realtime.AppendJSONString(b, it.ID)
	if m.dialect == realtime.Preview || retrieved {
		// GA items have no object member: no GA recording has one
		// (docs/live-service.md, item 2).
		b = append(b, `,"object":"realtime.item"`...)
	}
	b = append(b, `,"type":`...)
	b = realtime.AppendJSONString(b, it.Type)
	b = append(b, `,"status":`...)
	b = realtime.AppendJSONString(b, it.Status)
	switch it.Type {
	case "message":
		b = append(b, `,"role":`...)
		b = realtime.AppendJSONString(b, it.Role)
		b = append(b, `,"content":[`...)
		for i := range it.Content {
			if i > 0 {
				b = append(b, ',')
			}
			if retrieved {
				b = m.appendRetrievedPart(b, &it.Content[i], f == itemRetrieved)
			} else {
				b = m.appendPart(b, &it.Content[i], false)
			}
		}
		b = append(b, ']')
	case "function_call":
		b = append(b, `,"name":`...)
		b = realtime.AppendJSONString(b, it.Name)
		b = append(b, `,"call_id":`...)
		b = realtime.AppendJSONString(b, it.CallID)
		b = append(b, `,"arguments":`...)
		b = realtime.AppendJSONString(b, it.Args)
	case "function_call_output":
		b = append(b, `,"call_id":`...)
		b = realtime.AppendJSONString(b, it.CallID)
		b = append(b, `,"output":`...)
		b = realtime.AppendJSONString(b, it.Output)
	}
	return append(b, '}')
}

// appendPart appends a content part; inResponse parts (content_part.added
// and .done) keep the type "text"/"audio" in both dialects, as observed.
func (m *sim) appendPart(b []byte, p *contentPart, inResponse bool) []byte {
	if p.Kind == partInputImage && len(p.Extra) > 0 {
		return append(b, p.Extra...)
	}
	kind := p.Kind
	if m.dialect == realtime.GA && !inResponse {
		switch kind {
		case partText:
			kind = "output_text"
		case partAudio:
			kind = "output_audio"
		}
	}
	b = append(b, `{"type":`...)
	b = realtime.AppendJSONString(b, kind)
	switch p.Kind {
	case partInputText, partText:
		b = append(b, `,"text":`...)
		b = realtime.AppendJSONString(b, p.Text)
	case partInputAudio, partAudio:
		b = append(b, `,"transcript":`...)
		if p.Transcript != nil {
			b = realtime.AppendJSONString(b, *p.Transcript)
		} else {
			b = append(b, "null"...)
		}
	case partItemReference:
		b = append(b, `,"id":`...)
		b = realtime.AppendJSONString(b, p.Ref)
	}
	return append(b, '}')
}

// appendRetrievedPart appends a part with its audio, when it has any.
func (m *sim) appendRetrievedPart(b []byte, p *contentPart, withAudio bool) []byte {
	b = m.appendPart(b, p, true)
	if p.Kind != partInputAudio && p.Kind != partAudio {
		return b
	}
	b = b[:len(b)-1]
	if withAudio {
		b = append(b, `,"audio":"`...)
		switch {
		case p.tone != nil:
			b = p.tone.AppendBase64(b, 0, p.AudioBytes)
		case p.pcm != nil:
			b = base64.StdEncoding.AppendEncode(b, p.pcm[:min(p.AudioBytes, len(p.pcm))])
		}
		b = append(b, '"')
	}
	b = append(b, `,"format":`...)
	b = realtime.AppendJSONString(b, p.format.String())
	return append(b, '}')
}

// appendResponse appends the response object in the session's dialect.
func (m *sim) appendResponse(b []byte, r *response) []byte {
	b = append(b, `{"object":"realtime.response","id":`...)
	b = realtime.AppendJSONString(b, r.ID)
	b = append(b, `,"status":`...)
	b = realtime.AppendJSONString(b, r.status)
	b = append(b, `,"status_details":`...)
	b = append(b, realtime.OrNull(r.details)...)
	b = append(b, `,"output":[`...)
	for i, it := range r.output {
		if i > 0 {
			b = append(b, ',')
		}
		b = m.appendItem(b, it)
	}
	b = append(b, `],"conversation_id":`...)
	if r.oob {
		b = append(b, "null"...)
	} else {
		b = realtime.AppendJSONString(b, m.convID)
	}
	b = append(b, `,"usage":`...)
	b = m.appendUsage(b, r)
	b = append(b, `,"metadata":`...)
	b = append(b, realtime.OrNull(r.metadata)...)
	b = append(b, `,"max_output_tokens":`...)
	b = append(b, realtime.OrNull(r.maxTokens)...)
	if m.dialect == realtime.GA {
		return m.appendGAOutput(b, r)
	}
	switch {
	case r.audioOut && r.textFirst:
		b = append(b, `,"modalities":["text","audio"]`...)
	case r.audioOut:
		b = append(b, `,"modalities":["audio","text"]`...)
	default:
		b = append(b, `,"modalities":["text"]`...)
	}
	b = append(b, `,"voice":`...)
	b = realtime.AppendJSONString(b, r.voice)
	b = append(b, `,"output_audio_format":`...)
	b = realtime.AppendJSONString(b, r.format.String())
	b = strconv.AppendFloat(append(b, `,"temperature":`...), m.conf.Temperature, 'f', -1, 64)
	return append(b, '}')
}

func (m *sim) appendGAOutput(b []byte, r *response) []byte {
	if r.audioOut {
		b = append(b, `,"output_modalities":["audio"]`...)
	} else {
		b = append(b, `,"output_modalities":["text"]`...)
	}
	b = append(b, `,"audio":{"output":{"format":`...)
	b = realtime.AppendGAFormat(b, r.format)
	b = append(b, `,"voice":`...)
	b = realtime.AppendJSONString(b, r.voice)
	return append(b, `}}}`...)
}

// appendUsage appends a response's usage: null while in progress.
func (m *sim) appendUsage(b []byte, r *response) []byte {
	if r.status == "in_progress" {
		return append(b, "null"...)
	}
	text, aud := r.textTokens(), r.audioTokens()
	b = append(b, `{"total_tokens":`...)
	b = appendInt(b, r.inputTokens+text+aud)
	b = append(b, `,"input_tokens":`...)
	b = appendInt(b, r.inputTokens)
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, text+aud)
	b = append(b, `,"input_token_details":{"text_tokens":`...)
	b = appendInt(b, r.inputTokens-r.inputAudio)
	b = append(b, `,"audio_tokens":`...)
	b = appendInt(b, r.inputAudio)
	if m.dialect == realtime.GA {
		// image_tokens is in every GA response.done, in no preview one.
		b = append(b, `,"image_tokens":0,"cached_tokens":0,"cached_tokens_details":{"text_tokens":0,"audio_tokens":0,"image_tokens":0}},"output_token_details":{"text_tokens":`...)
	} else {
		b = append(b, `,"cached_tokens":0,"cached_tokens_details":{"text_tokens":0,"audio_tokens":0}},"output_token_details":{"text_tokens":`...)
	}
	b = appendInt(b, text)
	b = append(b, `,"audio_tokens":`...)
	b = appendInt(b, aud)
	return append(b, `}}`...)
}
