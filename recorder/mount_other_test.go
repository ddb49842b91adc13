//go:build !linux

package recorder

import "errors"

func mountTmpfs(dir, opts string, readOnly bool) error {
	return errors.New("tmpfs mounts are a Linux test facility")
}

func unmount(dir string) error { return nil }
