package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// This file words the hints of decoding errors: what a misplaced or
// misspelled key, a scalar written for a mapping, or a wrong value most
// likely meant.

// unknownKeyHint suggests a key of o, or names the mapping the key belongs in.
func unknownKeyHint(o *spec.Object, key string) string {
	if h := didYouMean(key, o.Keys()); h != "" {
		return h
	}
	var homes []string
	for _, other := range spec.Objects {
		if other != o && other.Lookup(key) != nil {
			homes = append(homes, other.Where)
		}
	}
	switch {
	case len(homes) == 1 && homes[0] == "":
		return fmt.Sprintf("%q is a top-level key", key)
	case len(homes) > 0:
		return fmt.Sprintf("%q is a key of %s", key, quoteList(homes))
	}
	return "known keys: " + strings.Join(o.Keys(), ", ")
}

// objectHint explains how to write a mapping that was given as a scalar.
func objectHint(o *spec.Object, key string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	switch o {
	case spec.Audio:
		if _, msg, _ := parseDuration(n.Value); msg == "" {
			return fmt.Sprintf("write %s: {duration: %s}", key, n.Value)
		}
	case spec.TurnDetection:
		if n.Value == "none" {
			return fmt.Sprintf("write %s: null, or {type: none}", key)
		}
		return fmt.Sprintf("write %s: {type: %s}", key, n.Value)
	case spec.Transcription:
		return fmt.Sprintf("write %s: {model: %s}", key, n.Value)
	case spec.Reply:
		return fmt.Sprintf("write %s: {transcript: %s}, or {text: …}", key, strconv.Quote(n.Value))
	case spec.User:
		return fmt.Sprintf("write %s: {transcript: %s}", key, strconv.Quote(n.Value))
	case spec.FunctionCall:
		return fmt.Sprintf("write %s: {name: %s}", key, n.Value)
	case spec.Interrupt:
		return fmt.Sprintf("write %s: {after_played: %s}", key, n.Value)
	case spec.Fault:
		return fmt.Sprintf("write %s: {close: %s}", key, n.Value)
	}
	return ""
}

// patternHint explains a pattern of the table.
func patternHint(p string) string {
	switch p {
	case spec.PatName:
		return "use letters, digits, '.', '_' and '-', starting with a letter or digit"
	case spec.PatToolName:
		return "use letters, digits, '_' and '-', at most 64"
	case spec.PatPath:
		return "write a dotted path such as item.content.0.type"
	}
	return ""
}

// enumError words an unknown value of an enum key.
func enumError(f *spec.Field, v string) (msg, hint string) {
	msg = fmt.Sprintf("unknown %s %q", f.Key, v)
	switch f.Key {
	case "after", "until":
		msg = fmt.Sprintf("unknown server event type %q", v)
		if slices.Contains(spec.ClientEvents, v) {
			msg = fmt.Sprintf("%q is a client event; %s names a server event", v, f.Key)
		}
	case "client", "before":
		msg = fmt.Sprintf("unknown client event type %q", v)
		if slices.Contains(spec.ServerEvents, v) {
			msg = fmt.Sprintf("%q is a server event; %s names a client event", v, f.Key)
			if f.Key == "client" {
				return msg, "to start the clock at it, write after: " + v
			}
			return msg, "to end the window at it, write until: " + v
		}
	}
	if s, ok := f.Hints[v]; ok {
		return msg, fmt.Sprintf("did you mean %q?", s)
	}
	if h := didYouMean(v, f.Val.Enum); h != "" {
		return msg, h
	}
	if len(f.Val.Enum) <= 10 {
		return msg, "one of " + quoteList(f.Val.Enum)
	}
	return msg, ""
}
