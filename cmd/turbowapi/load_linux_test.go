package main

import (
	"os"
	"syscall"
)

// maxRSS returns a finished process's peak resident set size in bytes (0 if unknown).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}
