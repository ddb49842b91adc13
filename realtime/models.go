package realtime

import "strings"

// realtimeFamilies are the model names of the realtime families, each
// also taken with a version suffix (-YYYY-MM-DD) or a variant after a dot
// or dash (gpt-realtime-1.5, gpt-realtime-mini).
var realtimeFamilies = []string{
	"gpt-realtime",
	"gpt-4o-realtime-preview",
	"gpt-4o-mini-realtime-preview",
}

// KnownModel says whether OpenAI's realtime endpoint takes a model name:
// one of the realtime families (gpt-realtime, gpt-realtime-mini,
// gpt-realtime-1.5, gpt-4o-realtime-preview, gpt-4o-mini-realtime-preview)
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
