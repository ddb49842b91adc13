//go:build unix

package conformance

import (
	"os/exec"
	"syscall"
)

// newProcessGroup puts the client's shell and everything it starts into a
// process group of their own, so that hanging up reaches the client and
// not only the shell.
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminateGroup sends SIGTERM (kill false) or SIGKILL to the client's
// process group.
func terminateGroup(cmd *exec.Cmd, kill bool) {
	if cmd.Process == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		cmd.Process.Signal(sig)
	}
}
