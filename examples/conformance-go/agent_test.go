package textagent

import (
	"context"
	"testing"

	"github.com/rtmock/rtmock/conformance"
)

// TestConformance runs the agent through rtmock's conformance suite: one
// subtest per scenario, and in each one per rule. Scenarios whose premise
// the agent does not meet (it sends no audio, declares no tools) are
// skipped with the reason.
func TestConformance(t *testing.T) {
	conformance.Test(t, &conformance.Options{
		Name:      "textagent",
		Scenarios: []string{"hello", "text-only", "barge-in", "function-call"},
		Func: func(ctx context.Context, env conformance.Env) error {
			_, err := Ask(ctx, env.URL(), env.APIKey, env.InputText)
			return err
		},
	})
}
