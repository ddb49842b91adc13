package conformance

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rtmock/rtmock/scenarios"
)

// NamedProfile is a kind of client the suite must serve.
type NamedProfile struct {
	Name    string
	Profile Profile
}

// Profiles are the client styles every rule must be exercised for: a
// voice agent on server VAD that never sends response.create, a
// push-to-talk client, a text client that asks for each answer, and a
// tool-using one.
var Profiles = []NamedProfile{
	{"voice-agent", Profile{AudioInput: true, ServerVAD: true}},
	{"push-to-talk", Profile{AudioInput: true, ResponseCreate: true}},
	{"text", Profile{TextInput: true, ResponseCreate: true, ServerVAD: true}},
	{"tools", Profile{TextInput: true, ResponseCreate: true, Tools: true, ServerVAD: true}},
}

// Applies reports whether a client of profile p can break rule r: p has
// every trait r needs.
func (r *Rule) Applies(p Profile) bool {
	for _, t := range r.Needs {
		if !p.Has(t) {
			return false
		}
	}
	return true
}

// Coverage is the scenarios (of scs, by name) that exercise rule r for a
// client of profile p: those the rule names whose premise p meets. nil
// when the rule does not apply to p.
func Coverage(r *Rule, p Profile, scs []*scenarios.Scenario) []string {
	if !r.Applies(p) {
		return nil
	}
	out := []string{}
	for _, sc := range scs {
		if slices.Contains(r.Scenarios, sc.Name) && p.Unmet(sc) == "" {
			out = append(out, sc.Name)
		}
	}
	return out
}

// WriteMatrix writes the coverage matrix of rules over the built-in
// scenarios: a row per rule, a column per profile, each cell the
// built-ins that exercise the rule for that client ("n/a" where the rule
// cannot apply, "NONE" where nothing exercises it).
func WriteMatrix(w io.Writer, rules []*Rule) error {
	scs := scenarios.List()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"rule"}
	for _, p := range Profiles {
		head = append(head, p.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rules {
		row := []string{r.ID}
		for _, p := range Profiles {
			cell := Coverage(r, p.Profile, scs)
			switch {
			case cell == nil:
				row = append(row, "n/a")
			case len(cell) == 0:
				row = append(row, "NONE")
			default:
				row = append(row, strings.Join(cell, ","))
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
