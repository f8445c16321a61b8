// Command delay-relay forwards TCP connections to a target and delays every byte by a
// fixed one-way latency in each direction: round-trip time for kernels without netem.
// Data is pipelined (a delay line, not stop-and-wait), so throughput is still set by
// the link below (tbf); only latency is added. A connection's TCP handshake is not
// delayed: its first request pays one round trip, as every later one does.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type chunk struct {
	data []byte
	due  time.Time
}

func main() {
	listen := flag.String("listen", "", "address to accept connections on (host:port)")
	target := flag.String("target", "", "address to forward them to (host:port)")
	delay := flag.Duration("delay", 0, "one-way delay added in each direction (half the round-trip time)")
	flag.Parse()
	if *listen == "" || *target == "" {
		fmt.Fprintln(os.Stderr, "delay-relay: --listen and --target are required")
		os.Exit(2)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("delay-relay: listen %s: %v", *listen, err)
	}
	log.Printf("delay-relay ready: %s -> %s, one-way delay %s", *listen, *target, *delay)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		l.Close()
		os.Exit(0)
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatalf("delay-relay: accept: %v", err)
		}
		go relay(c, *target, *delay)
	}
}

func relay(client net.Conn, target string, delay time.Duration) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		log.Printf("delay-relay: dial %s: %v", target, err)
		return
	}
	defer server.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(server, client, delay) }()
	go func() { defer wg.Done(); pipe(client, server, delay) }()
	wg.Wait()
}

// waitUntil sleeps until t. Go's sleeps on Linux overshoot by up to about a millisecond,
// which would inflate a 1 ms round trip severalfold: sleep short, then yield until due.
func waitUntil(t time.Time) {
	if d := time.Until(t) - 2*time.Millisecond; d > 0 {
		time.Sleep(d)
	}
	for time.Now().Before(t) {
		runtime.Gosched()
	}
}

// pipe copies src to dst, holding each chunk until `delay` after it was read.
func pipe(dst, src net.Conn, delay time.Duration) {
	line := make(chan chunk, 1024) // bounded: a slow reader pushes back on the sender
	go func() {
		defer close(line)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				line <- chunk{buf[:n], time.Now().Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range line {
		waitUntil(c.due)
		if _, err := dst.Write(c.data); err != nil {
			for range line {
			}
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		io.Copy(io.Discard, src)
	}
}
