package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

docs/scenarios.md describes the scenario language for writing your own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return scenarioListRun(cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	return cmd
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

The exit status is 1 when any file has a problem.`,
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
			fmt.Fprintf(w, "%s: %v\n", file, pathErr.Err)
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

// scenarioValidateOne loads one file, or standard input for "-".
func scenarioValidateOne(stdin io.Reader, file string) error {
	if file != "-" {
		_, err := scenarios.Load(file)
		return err
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return fmt.Errorf("read standard input: %w", err)
	}
	_, err = scenarios.Parse(scenarioStdinName, data)
	return err
}
