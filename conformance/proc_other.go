//go:build !unix

package conformance

import (
	"os/exec"
)

func newProcessGroup(*exec.Cmd) {}

// terminateGroup kills the client's shell: without process groups and
// SIGTERM, the client itself sees its stdin close and the server's close.
func terminateGroup(cmd *exec.Cmd, _ bool) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
