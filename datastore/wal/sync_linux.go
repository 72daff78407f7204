package wal

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData makes f's data durable, and its size, but not its other
// metadata (times), which is all a log needs.
func syncData(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
