// Package chromium finds the Chromium that the browser tests drive:
// RTMOCK_CHROMIUM, else the first of Debian's and Google's names on PATH.
package chromium

import (
	"os"
	"os/exec"
)

// Path returns the browser's path, or "" when none is installed.
func Path() string {
	if p := os.Getenv("RTMOCK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
