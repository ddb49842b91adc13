// Package cli holds the command trees of rtmock and rtrecord. It is the only
// package that imports cobra: every command is a thin layer that maps flags
// onto a library's Options and errors onto exit codes.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version is the version of rtmock and rtrecord. A release build sets it
// with -ldflags "-X github.com/rtmock/rtmock/internal/cli.Version=v1.2.3";
// otherwise it is the module version the go command recorded (what "go
// install github.com/rtmock/rtmock/cmd/rtmock@v1.2.3" builds), or, in a
// build from a checkout, devVersion with the commit.
var Version string

// devVersion is the version of a build that knows no better.
const devVersion = "0.1.0-dev"

func init() {
	if Version == "" {
		bi, _ := debug.ReadBuildInfo()
		Version = buildVersion(bi)
	}
}

// buildVersion is the version the build information tells.
func buildVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return devVersion
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" && !strings.HasPrefix(v, "v0.0.0-") {
		return v
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		return devVersion
	case dirty:
		return devVersion + "+" + rev + ".dirty"
	}
	return devVersion + "+" + rev
}

// addVersion gives a command tree its --version flag and version
// subcommand, both printing "NAME VERSION".
func addVersion(root *cobra.Command, name string) {
	root.Version = Version
	root.SetVersionTemplate(name + " {{.Version}}\n")
	root.AddCommand(&cobra.Command{
		Use: "version",
		Example: `  rtmock version
  rtmock --version`,
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", name, Version)
			return nil
		},
	})
}

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1 // the check failed (validation, conformance, strict replay)
	ExitUsage   = 2 // bad flags or arguments, or a setup error
)

// usageError marks an error as the user's invocation being wrong.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errFailed is returned by commands whose run worked but whose verdict is a
// failure (exit 1); their output already said why.
var errFailed = errors.New("failed")

// exitCode maps an error from a command to the process exit code.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errFailed), isValidationFailure(err):
		return ExitFailure
	}
	return ExitUsage
}

// validationSentinels are errors of sibling commands that mean "the input
// was checked and is bad" (exit 1) rather than a setup problem.
var validationSentinels = []error{scenarioErrValidation}

func isValidationFailure(err error) bool {
	for _, s := range validationSentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// Main runs rtmock with os.Args and returns the exit code.
func Main() int {
	return run(NewRootCmd(), os.Args[1:], os.Stdout, os.Stderr)
}

func run(cmd *cobra.Command, args []string, stdout, stderr io.Writer) int {
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.Execute()
	if err != nil && !errors.Is(err, errFailed) {
		fmt.Fprintf(stderr, "%s: %v\n", cmd.Name(), err)
	}
	return exitCode(err)
}

// NewRootCmd returns the rtmock command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rtmock",
		Short: "A mock of the Azure OpenAI / OpenAI Realtime API for offline tests",
		Long: `rtmock serves a simulated realtime speech session that unchanged Azure and
OpenAI SDKs can talk to, replays cassettes recorded with rtrecord, and checks
clients for the protocol mistakes the live service punishes.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cassetteCmd := newCassetteCmd()
	cassetteCmd.AddCommand(newToScenarioCmd())
	root.AddCommand(newServeCmd(nil), newScenariosCmd(), newValidateCmd(), cassetteCmd,
		newConformanceCmd(), newViewCmd(), benchNewCmd(nil), newBenchServerCmd(), newHealthcheckCmd(), newDriftCmd())
	addVersion(root, "rtmock")
	return root
}

// newLogger returns the logger of a command: text or JSON on stderr.
func newLogger(w io.Writer, format string, verbose bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format must be text or json, not %q", format)
}
