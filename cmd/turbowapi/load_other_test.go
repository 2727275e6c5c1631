//go:build !linux

package main

import "os"

// maxRSS is unknown outside Linux.
func maxRSS(*os.ProcessState) int64 { return 0 }
