package scenarios

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Marshal renders sc as scenario YAML that [Parse] reads back into an equal
// Scenario (Source aside). Defaults that loading fills in (a reply's status,
// an interrupt's speech, an error's type) are written out. Marshal does not
// validate sc: a Scenario built in Go that breaks the language's rules
// renders, and Parse then says what is wrong with it.
func Marshal(sc *Scenario) ([]byte, error) {
	m := &mapping{}
	m.str("name", sc.Name)
	m.str("description", sc.Description)
	if len(sc.Dialects) > 0 {
		m.add("dialects", flowSeq(sc.Dialects))
	}
	if len(sc.Premise) > 0 {
		m.add("premise", flowSeq(sc.Premise))
	}
	if sc.Session != nil {
		m.add("session", sessionNode(sc.Session))
	}
	if sc.ExpiresAfter != 0 {
		m.add("expires_after", strNode(formatDuration(sc.ExpiresAfter)))
	}
	if sc.Seed != 0 {
		m.add("seed", intNode(sc.Seed))
	}
	if sc.Pace.Mode != PaceDefault {
		m.add("pace", strNode(sc.Pace.String()))
	}
	if sc.DefaultReply != nil {
		m.add("default_reply", replyNode(sc.DefaultReply))
	}
	if len(sc.Turns) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range sc.Turns {
			seq.Content = append(seq.Content, turnNode(&sc.Turns[i]))
		}
		m.add("turns", seq)
	}
	if len(sc.Expect) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range sc.Expect {
			n, err := expectNode(&sc.Expect[i])
			if err != nil {
				return nil, fmt.Errorf("marshal scenario %s: expect[%d]: %w", sc.Name, i, err)
			}
			seq.Content = append(seq.Content, n)
		}
		m.add("expect", seq)
	}
	if len(sc.Faults) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, f := range sc.Faults {
			seq.Content = append(seq.Content, strNode(f.String()))
		}
		m.add("faults", seq)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m.node()); err != nil {
		return nil, fmt.Errorf("marshal scenario %s: %w", sc.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal scenario %s: %w", sc.Name, err)
	}
	return buf.Bytes(), nil
}

// mapping builds a block mapping in key order.
type mapping struct{ content []*yaml.Node }

func (m *mapping) add(key string, v *yaml.Node) {
	m.content = append(m.content, strNode(key), v)
}

// str adds a string value unless it is empty.
func (m *mapping) str(key, v string) {
	if v != "" {
		m.add(key, strNode(v))
	}
}

func (m *mapping) node() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: m.content}
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatInt(i, 10)}
}

func floatNode(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(f, 'g', -1, 64)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatBool(b)}
}

func flowSeq(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}

// anyNode renders a JSON-like value; maps come out with sorted keys.
func anyNode(v any) (*yaml.Node, error) {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

func sessionNode(s *Session) *yaml.Node {
	m := &mapping{}
	m.str("voice", s.Voice)
	if s.Instructions != nil {
		m.add("instructions", strNode(*s.Instructions))
	}
	if len(s.Modalities) > 0 {
		m.add("modalities", flowSeq(s.Modalities))
	}
	m.str("input_audio_format", s.InputAudioFormat)
	m.str("output_audio_format", s.OutputAudioFormat)
	if td := s.TurnDetection; td != nil {
		t := &mapping{}
		t.str("type", td.Type)
		if td.Threshold != nil {
			t.add("threshold", floatNode(*td.Threshold))
		}
		if td.PrefixPaddingMs != nil {
			t.add("prefix_padding_ms", intNode(int64(*td.PrefixPaddingMs)))
		}
		if td.SilenceDurationMs != nil {
			t.add("silence_duration_ms", intNode(int64(*td.SilenceDurationMs)))
		}
		t.str("eagerness", td.Eagerness)
		if td.IdleTimeoutMs != nil {
			t.add("idle_timeout_ms", intNode(int64(*td.IdleTimeoutMs)))
		}
		if td.CreateResponse != nil {
			t.add("create_response", boolNode(*td.CreateResponse))
		}
		if td.InterruptResponse != nil {
			t.add("interrupt_response", boolNode(*td.InterruptResponse))
		}
		m.add("turn_detection", t.node())
	}
	if tr := s.InputTranscription; tr != nil {
		t := &mapping{}
		t.str("model", tr.Model)
		t.str("language", tr.Language)
		t.str("prompt", tr.Prompt)
		m.add("input_audio_transcription", t.node())
	}
	if len(s.Tools) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, tool := range s.Tools {
			t := &mapping{}
			t.str("name", tool.Name)
			t.str("description", tool.Description)
			if tool.Parameters != nil {
				if n, err := anyNode(tool.Parameters); err == nil {
					t.add("parameters", n)
				}
			}
			seq.Content = append(seq.Content, t.node())
		}
		m.add("tools", seq)
	}
	if s.Temperature != nil {
		m.add("temperature", floatNode(*s.Temperature))
	}
	return m.node()
}

func turnNode(t *Turn) *yaml.Node {
	m := &mapping{}
	m.str("when", string(t.When))
	if t.Repeat {
		m.add("repeat", boolNode(true))
	}
	if u := t.User; u != nil {
		um := &mapping{}
		um.str("transcript", u.Transcript)
		if u.TranscriptionFails {
			um.add("transcription", strNode("failed"))
		}
		m.add("user", um.node())
	}
	if t.Reply != nil {
		m.add("reply", replyNode(t.Reply))
	}
	if in := t.Interrupt; in != nil {
		im := &mapping{}
		if in.AfterPlayed != 0 {
			im.add("after_played", strNode(formatDuration(in.AfterPlayed)))
		}
		if in.Speech != 0 {
			im.add("speech", strNode(formatDuration(in.Speech)))
		}
		im.str("transcript", in.Transcript)
		m.add("interrupt", im.node())
	}
	if e := t.Error; e != nil {
		em := &mapping{}
		em.str("type", e.Type)
		em.str("code", e.Code)
		em.add("message", strNode(e.Message))
		em.str("param", e.Param)
		m.add("error", em.node())
	}
	if f := t.Fault; f != nil {
		fm := &mapping{}
		fm.add("close", intNode(int64(f.CloseCode)))
		fm.str("reason", f.CloseReason)
		if f.Delay != 0 {
			fm.add("delay", strNode(formatDuration(f.Delay)))
		}
		m.add("fault", fm.node())
	}
	return m.node()
}

func replyNode(r *Reply) *yaml.Node {
	m := &mapping{}
	m.str("text", r.Text)
	m.str("transcript", r.Transcript)
	if a := r.Audio; a != nil {
		am := &mapping{}
		if a.ToneHz != 0 {
			am.add("tone", strNode(formatFrequency(a.ToneHz)))
		}
		if a.Duration != 0 {
			am.add("duration", strNode(formatDuration(a.Duration)))
		}
		switch len(a.Chunks) {
		case 0:
		case 1:
			am.add("chunk", strNode(formatDuration(a.Chunks[0])))
		default:
			seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, c := range a.Chunks {
				seq.Content = append(seq.Content, strNode(formatDuration(c)))
			}
			am.add("chunk", seq)
		}
		if a.Amplitude != 0 {
			am.add("amplitude", floatNode(a.Amplitude))
		}
		n := am.node()
		n.Style = yaml.FlowStyle
		m.add("audio", n)
	}
	if r.Pace.Mode != PaceDefault {
		m.add("pace", strNode(r.Pace.String()))
	}
	callNode := func(fc FunctionCall) *yaml.Node {
		fm := &mapping{}
		fm.str("name", fc.Name)
		fm.str("arguments", fc.Arguments)
		fm.str("call_id", fc.CallID)
		return fm.node()
	}
	switch len(r.FunctionCalls) {
	case 0:
	case 1:
		m.add("function_call", callNode(r.FunctionCalls[0]))
	default:
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, fc := range r.FunctionCalls {
			seq.Content = append(seq.Content, callNode(fc))
		}
		m.add("function_calls", seq)
	}
	if r.Status != "" && r.Status != "completed" {
		m.add("status", strNode(r.Status))
	}
	m.str("reason", r.StatusReason)
	return m.node()
}

func expectNode(e *Expectation) (*yaml.Node, error) {
	m := &mapping{}
	m.str("client", e.Client)
	m.str("after", e.After)
	m.str("until", e.Until)
	m.str("before", e.Before)
	if e.Within != 0 {
		m.add("within", strNode(formatDuration(e.Within)))
	}
	if e.Never {
		m.add("never", boolNode(true))
	}
	if len(e.Match) > 0 {
		keys := make([]string, 0, len(e.Match))
		for k := range e.Match {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		mm := &mapping{}
		for _, k := range keys {
			mt := e.Match[k]
			if mt.Between != nil {
				bm := &mapping{}
				bm.add("between", &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle,
					Content: []*yaml.Node{floatNode(mt.Between[0]), floatNode(mt.Between[1])}})
				n := bm.node()
				n.Style = yaml.FlowStyle
				mm.add(k, n)
				continue
			}
			n, err := anyNode(mt.Equals)
			if err != nil {
				return nil, fmt.Errorf("match %s: %w", k, err)
			}
			mm.add(k, n)
		}
		m.add("match", mm.node())
	}
	m.str("description", e.Description)
	return m.node(), nil
}
