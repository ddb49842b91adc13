package cli

import (
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/drift"
	"github.com/spf13/cobra"
)

func newDriftCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "drift A.jsonl B.jsonl [--json]",
		Short: "Compare two recorded sessions by structure: reply order, key sets and types, enum values, id formats",
		Long: `Compare two cassettes the way the service's behaviour matters to clients:
the server events that answer each client event, in order (repeats folded);
the key paths and JSON types of each server event type; the values of enum
members (status, type, role, reason, error code, …); the lengths of ids. Ids,
audio, text and times are ignored; the median reply latency per client event
type is reported but not judged.

Record a session from the live service with rtrecord, play the same client
against rtmock (serving the scenario that stands for it), and compare: a
scenario library stays honest as the service changes.

Exit status: 0 with no structural drift, 1 with drift, 2 for usage errors.`,
		Example: `  rtmock drift live.jsonl mock.jsonl
  rtmock drift live.jsonl mock.jsonl --json | jq .shapes`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := cassette.Load(args[0])
			if err != nil {
				return usageError{err}
			}
			b, err := cassette.Load(args[1])
			if err != nil {
				return usageError{err}
			}
			r := drift.Compare(a, b)
			if asJSON {
				err = r.WriteJSON(cmd.OutOrStdout())
			} else {
				err = r.WriteText(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			if r.Drifted() {
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
