package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/scenarios"
)

// scenarioErrValidation is wrapped by the error of "rtmock validate" when a
// file has errors: the input was checked and is bad (exit 1).
var scenarioErrValidation = errors.New("scenario validation failed")

// newScenariosCmd returns "rtmock scenarios", the list of built-in scenarios.
func newScenariosCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios",
		Long: `List the scenarios built into rtmock, one per line: the name to give to
"rtmock serve NAME" and what the scenario exercises. With --json, print a JSON
array of {"name", "description", "dialects", "source"} objects.

"rtmock scenarios show NAME" prints one as a template for your own;
docs/scenarios.md describes the scenario language.`,
		Example: `  rtmock scenarios
  rtmock scenarios --json
  rtmock scenarios show barge-in > my-barge-in.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return scenarioListRun(cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	cmd.AddCommand(newScenarioShowCmd())
	return cmd
}

// newScenarioShowCmd returns "rtmock scenarios show NAME".
func newScenarioShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Print a built-in scenario's YAML, as a template for your own",
		Long: `Print the YAML file of a built-in scenario, comments and all, exactly as it is
built into rtmock. Save it, edit it, check it with "rtmock validate FILE.yaml"
and serve it with "rtmock serve FILE.yaml".`,
		Example: `  rtmock scenarios show barge-in > my-barge-in.yaml
  rtmock serve my-barge-in.yaml`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, sc := range scenarios.List() {
				names = append(names, sc.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := scenarios.BuiltinFile(strings.TrimPrefix(args[0], "builtin:"))
			if err != nil {
				return usageError{err}
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
}

// scenarioListEntry is one built-in scenario in the --json output.
type scenarioListEntry struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Dialects    []string `json:"dialects,omitempty"`
	Source      string   `json:"source"`
}

func scenarioListRun(w io.Writer, asJSON bool) error {
	list := scenarios.List()
	if asJSON {
		entries := make([]scenarioListEntry, len(list))
		for i, sc := range list {
			entries[i] = scenarioListEntry{Name: sc.Name, Description: sc.Description, Dialects: sc.Dialects, Source: sc.Source}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(entries); err != nil {
			return fmt.Errorf("list scenarios: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, sc := range list {
		fmt.Fprintf(tw, "%s\t%s\n", sc.Name, sc.Description)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("list scenarios: %w", err)
	}
	return nil
}

// newValidateCmd returns "rtmock validate FILE...".
func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files",
		Long: `Check scenario files as "rtmock serve" would load them. For each file, print
"FILE: ok", or every problem on its own line as "FILE:LINE:COL: PATH: message
(hint)". "-" reads a scenario from standard input, named <stdin> in the output.
An argument that is no file is taken as "rtmock serve" takes it: the name of
a built-in scenario.

The exit status is 1 when any file has a problem.`,
		Example: `  rtmock validate my-scenario.yaml
  rtmock validate scenarios/*.yaml
  rtmock cassette to-scenario session.jsonl | rtmock validate -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return scenarioValidateRun(cmd.InOrStdin(), cmd.OutOrStdout(), args)
		},
	}
}

func scenarioValidateRun(stdin io.Reader, w io.Writer, files []string) error {
	bad := 0
	for _, file := range files {
		err := scenarioValidateOne(stdin, file)
		if file == "-" {
			file = scenarioStdinName
		}
		if err == nil {
			fmt.Fprintf(w, "%s: ok\n", file)
			continue
		}
		bad++
		var list scenarios.ErrorList
		var pathErr *fs.PathError
		switch {
		case errors.As(err, &list):
			for _, e := range list {
				fmt.Fprintln(w, e)
			}
		case errors.As(err, &pathErr):
			fmt.Fprintf(w, "%s: %v%s\n", file, pathErr.Err, scenarioBuiltinHint(file, err))
		default:
			fmt.Fprintf(w, "%s: %v\n", file, err)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d files have errors: %w", bad, len(files), scenarioErrValidation)
	}
	return nil
}

// scenarioStdinName names standard input in the output of validate.
const scenarioStdinName = "<stdin>"

// scenarioBuiltinHint suggests the built-in scenario a file that does not
// exist seems to name: "; did you mean `barge-in`?", or "".
func scenarioBuiltinHint(file string, err error) string {
	if !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if name := scenarios.Suggest(file); name != "" {
		return fmt.Sprintf("; did you mean `%s`?", name)
	}
	return ""
}

// scenarioValidateOne loads one file, standard input for "-", or, as
// "rtmock serve" would, what an argument that is no file names.
func scenarioValidateOne(stdin io.Reader, file string) error {
	if file != "-" {
		if _, err := os.Stat(file); err == nil {
			_, err = scenarios.Load(file)
			return err
		}
		_, err := scenarios.Resolve(file)
		return err
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return fmt.Errorf("read standard input: %w", err)
	}
	_, err = scenarios.Parse(scenarioStdinName, data)
	return err
}
