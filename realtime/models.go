package realtime

import "strings"

// realtimeFamilies are the model names of the realtime families, each
// also taken with a version suffix (-YYYY-MM-DD) or a variant after a dot
// or dash (gpt-realtime-1.5, gpt-realtime-mini).
var realtimeFamilies = []string{
	"gpt-realtime",
	"gpt-4o-realtime-preview",
	"gpt-4o-mini-realtime-preview",
	"gpt-audio", // gpt-audio-1.5, gpt-audio-mini: realtime models in openai-node 7.57's list
}

// KnownModel says whether OpenAI's realtime endpoint takes a model name:
// one of the realtime families (gpt-realtime, gpt-realtime-mini,
// gpt-realtime-1.5, gpt-realtime-2.1-mini, gpt-4o-realtime-preview,
// gpt-4o-mini-realtime-preview, gpt-audio-1.5, gpt-audio-mini)
// with or without a version. Other names get invalid_model there.
func KnownModel(model string) bool {
	for _, f := range realtimeFamilies {
		if model == f {
			return true
		}
		if rest, ok := strings.CutPrefix(model, f+"-"); ok && modelSuffix(rest) {
			return true
		}
	}
	return false
}

// modelSuffix accepts what follows a family name: letters, digits, dots and
// dashes, at most 32 of them ("mini", "2025-08-28", "1.5", "mini-2025-10-06").
func modelSuffix(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z')
		if !ok {
			return false
		}
	}
	return true
}

// versions are the model versions the service reported for a family name
// in recorded sessions (docs/live-service.md): the preview dialect names
// the versioned model, not the name the client asked for.
var versions = map[string]string{
	"gpt-4o-realtime-preview":      "gpt-4o-realtime-preview-2024-12-17",
	"gpt-4o-mini-realtime-preview": "gpt-4o-mini-realtime-preview-2024-12-17",
	"gpt-realtime":                 "gpt-realtime-2025-08-28",
	"gpt-realtime-mini":            "gpt-realtime-mini-2025-10-06",
}

// VersionedModel is the model a preview session.created reports for a
// model or Azure deployment name: a family name gets its version, a
// versioned name stays, and any other name (an Azure deployment the user
// named) the preview model's version, since the mock cannot know what the
// deployment runs.
func VersionedModel(name string) string {
	if v, ok := versions[name]; ok {
		return v
	}
	if KnownModel(name) {
		return name
	}
	return versions["gpt-4o-realtime-preview"]
}
