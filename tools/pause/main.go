// Command pause is the sandbox (infrastructure) container of the CRI runtime's pods: it
// holds the pod's namespaces, reaps orphans, and exits on SIGINT or SIGTERM, as Kubernetes'
// pause does. It is built here because the lab reaches no outside container registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		// PID 1 of the pod: reap every child that has ended.
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
