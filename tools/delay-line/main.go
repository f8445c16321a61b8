// Command delay-line is the lab link's round-trip time, for kernels without netem: it
// creates two TUN devices and forwards every packet read from one to the other after a
// fixed one-way delay, in both directions. Packets are delayed, not bytes of a stream,
// so TCP's handshake and congestion control see the round trip as over a real link.
// The line is pipelined and keeps order; the rate is set by tbf on the devices.
//
// Both devices are created in the caller's network namespace; the lab moves one into its
// own. They are not persistent: they vanish when this process exits.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	a := flag.String("a", "", "name of the first TUN device to create")
	b := flag.String("b", "", "name of the second TUN device to create")
	delay := flag.Duration("delay", 0, "one-way delay added in each direction (half the round-trip time)")
	queue := flag.Int("queue", 16384, "packets held per direction at most; more are dropped")
	gso := flag.Bool("gso", true, "move TCP segments of up to 64 KiB, as a veth does, instead of MTU-sized packets: a tenth of the packets, less CPU")
	flag.Parse()
	if *a == "" || *b == "" || *a == *b || *delay < 0 || *queue < 1 {
		fmt.Fprintln(os.Stderr, "delay-line: --a and --b (two different device names) are required; --delay must not be negative")
		os.Exit(2)
	}
	fa, err := openTun(*a, *gso)
	if err != nil {
		fatal(err)
	}
	fb, err := openTun(*b, *gso)
	if err != nil {
		fatal(err)
	}
	// Four threads live in blocking system calls (a read and a sleep per direction). With a P
	// each, one returning from its call takes its P back instead of handing over through the
	// scheduler's futexes: a quarter less CPU at 1 Gbit/s.
	runtime.GOMAXPROCS(runtime.NumCPU() + 4)
	ab, ba := newLine(*delay, *queue), newLine(*delay, *queue)
	stats := func() string {
		return fmt.Sprintf("%s->%s %d passed %d dropped, %s->%s %d passed %d dropped",
			*a, *b, ab.passed.Load(), ab.dropped.Load(), *b, *a, ba.passed.Load(), ba.dropped.Load())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 2)
	go readInto(fa, *a, ab, done)
	go readInto(fb, *b, ba, done)
	go writeFrom(ab, fb)
	go writeFrom(ba, fa)
	fmt.Printf("delay-line ready: %s <-> %s, one-way delay %s\n", *a, *b, *delay)
	select {
	case s := <-sig:
		fmt.Printf("delay-line: %s: stopping (%s)\n", s, stats())
		os.Exit(0)
	case err := <-done:
		fmt.Printf("delay-line: %v (%s)\n", err, stats())
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "delay-line: %v\n", err)
	os.Exit(1)
}

// openTun creates TUN device name (IP packets, no packet-information header) and returns
// its file descriptor, in blocking mode: each direction has threads of its own.
//
// With gso, every packet carries a virtio-net header and the device takes checksum and
// segmentation offload, so the kernel hands over a whole TSO segment (up to 64 KiB) per
// read, as a veth would. The header is forwarded verbatim to the other device, whose
// kernel side accepts it as is: the line never looks inside a packet.
func openTun(name string, gso bool) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w (the kernel needs the tun module)", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return -1, fmt.Errorf("device name %q: %w", name, err)
	}
	flags := uint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if gso {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return -1, fmt.Errorf("create TUN device %s: %w", name, err)
	}
	if gso {
		if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, unix.TUN_F_CSUM|unix.TUN_F_TSO4|unix.TUN_F_TSO6); err != nil {
			return -1, fmt.Errorf("offloads on %s: %w", name, err)
		}
	}
	return fd, nil
}

// readInto pushes every packet read from fd into l, stamped with its arrival time. It
// returns (through done) when the device is gone, e.g. deleted with its namespace.
func readInto(fd int, name string, l *line, done chan<- error) {
	buf := make([]byte, maxPacket)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil || n == 0 {
			done <- fmt.Errorf("reading %s: %v (the device is gone, e.g. with its namespace)", name, err)
			return
		}
		l.push(hold(buf[:n]), monoNow())
	}
}

// writeFrom writes l's packets to fd as they fall due. A write that fails (a device not
// up yet) drops the packet, as a link that is down would.
func writeFrom(l *line, fd int) {
	preciseThread()
	l.run(func(p []byte) error {
		_, err := unix.Write(fd, p)
		return err
	}, monoNow, sleepUntil)
}

// The monotonic clock in nanoseconds, on CLOCK_MONOTONIC's scale (what clock_nanosleep
// sleeps on), read through Go's clock, which is the same clock without a syscall.
var (
	monoBase = time.Now()
	monoZero = func() int64 {
		var ts unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
			panic(err)
		}
		return ts.Nano()
	}()
)

func monoNow() int64 { return monoZero + int64(time.Since(monoBase)) }

// preciseThread gives the calling goroutine a thread of its own with the kernel's timer
// slack off, for sleepUntil: Go's timers fire up to a millisecond late (a tenth of a 10 ms
// delay), clock_nanosleep on this thread within about 10 µs, and neither spins.
func preciseThread() {
	runtime.LockOSThread()
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
}

// sleepUntil blocks the calling thread until CLOCK_MONOTONIC reaches t (ns).
func sleepUntil(t int64) {
	ts := unix.NsecToTimespec(t)
	for unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) == unix.EINTR {
	}
}
