//go:build !unix

package conformance

import (
	"os"
	"os/exec"
)

func newProcessGroup(*exec.Cmd) {}

// signalGroup interrupts or kills the client's shell; without process
// groups the client itself only sees its stdin close.
func signalGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	if kill || cmd.Process.Signal(os.Interrupt) != nil {
		cmd.Process.Kill()
	}
}
