// nydusd-wrapper execs the real nydusd with `--rlimit-nofile 0` appended.
//
// nydusd raises RLIMIT_NOFILE to 1,000,000 by default and fails with EPERM on
// machines whose hard limit is lower. containerd-nydus-grpc cannot pass extra
// nydusd flags, so its `nydusd_path` points at this wrapper instead.
//
// The real nydusd is taken from $NYDUSD_REAL if set, otherwise from the file
// `nydusd` next to this wrapper's own executable. The wrapper replaces itself
// with nydusd (execve), so the PID the snapshotter records is nydusd's.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const envReal = "NYDUSD_REAL"

func realNydusd() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if s, err := filepath.EvalSymlinks(self); err == nil {
		self = s
	}
	p := os.Getenv(envReal)
	if p == "" {
		p = filepath.Join(filepath.Dir(self), "nydusd")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil && r == self {
		return "", fmt.Errorf("%s resolves to this wrapper itself; set %s to the real nydusd", abs, envReal)
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("real nydusd not found (set %s): %w", envReal, err)
	}
	return abs, nil
}

// wantsFlag reports whether --rlimit-nofile should be appended: not for
// informational invocations (the snapshotter runs `nydusd --version`) and not
// when the caller already chose a value.
func wantsFlag(args []string) bool {
	if len(args) == 0 {
		return false
	}
	for _, a := range args {
		switch {
		case a == "--version", a == "-V", a == "--help", a == "-h", a == "help":
			return false
		case a == "--rlimit-nofile", strings.HasPrefix(a, "--rlimit-nofile="):
			return false
		}
	}
	return true
}

func main() {
	real, err := realNydusd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "nydusd-wrapper:", err)
		os.Exit(127)
	}
	args := append([]string{real}, os.Args[1:]...)
	if wantsFlag(os.Args[1:]) {
		// A global option in nydusd 2.x: accepted after the subcommand too.
		args = append(args, "--rlimit-nofile", "0")
	}
	err = syscall.Exec(real, args, os.Environ())
	fmt.Fprintln(os.Stderr, "nydusd-wrapper: exec", real, ":", err)
	os.Exit(126)
}
