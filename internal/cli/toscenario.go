package cli

import (
	"fmt"
	"os"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/toscenario"
	"github.com/rtmock/rtmock/scenarios"
	"github.com/spf13/cobra"
)

// newToScenarioCmd returns "rtmock cassette to-scenario".
func newToScenarioCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "to-scenario CASSETTE.jsonl",
		Short: "Promote a recording to an editable YAML scenario",
		Long: `Write a scenario that reproduces a recorded session: the session configuration
the server reported, and one turn per response (its trigger, words, audio length
and chunking, function calls, final status), plus the service errors it sent.
Edit it, then serve it with "rtmock serve FILE.yaml".

What cannot be carried over as recorded (a last line cut short, a response
the recording ends inside) is reported on standard error at the cassette's
FILE:LINE.`,
		Example: `  rtmock cassette to-scenario session.jsonl -o session.yaml
  rtmock cassette to-scenario session.jsonl | rtmock validate -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cassette.Load(args[0])
			if err != nil {
				return usageError{err}
			}
			sc, warnings, err := toscenario.FromCassette(c)
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			if err != nil {
				return err
			}
			data, err := scenarios.Marshal(sc)
			if err != nil {
				return err
			}
			header := fmt.Sprintf("# Made by rtmock cassette to-scenario from %s.\n", args[0])
			data = append([]byte(header), data...)
			if out == "" || out == "-" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return fmt.Errorf("write scenario: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d turns)\n", out, len(sc.Turns))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the scenario to this file (default: standard output)")
	return cmd
}
