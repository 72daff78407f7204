package wal

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openDirect opens path for direct writes, or returns nil when its file
// system does not do direct I/O (tmpfs, for one).
func openDirect(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_DIRECT, 0)
	if errors.Is(err, unix.EINVAL) {
		return nil, nil
	}
	return f, err
}
