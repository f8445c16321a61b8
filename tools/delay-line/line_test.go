package main

import (
	"sort"
	"testing"
	"time"
)

// A burst of packets through a 10 ms line: each leaves 10 ms after it arrived (within the
// timer's precision), in order, and the burst is pipelined, not one delay per packet.
func TestLineDelaysEachPacketOnce(t *testing.T) {
	const n, gap, delay = 200, 50 * time.Microsecond, 10 * time.Millisecond
	l := newLine(delay, 1024)
	arrived := make([]int64, n)
	type out struct {
		seq byte
		at  int64
	}
	var got []out
	done := make(chan struct{})
	go func() {
		preciseThread()
		l.run(func(p []byte) error {
			got = append(got, out{p[0], monoNow()})
			return nil
		}, monoNow, sleepUntil)
		close(done)
	}()
	for i := 0; i < n; i++ {
		arrived[i] = monoNow()
		l.push(hold([]byte{byte(i)}), arrived[i])
		sleepUntil(arrived[i] + int64(gap))
	}
	l.close()
	<-done
	if len(got) != n {
		t.Fatalf("%d packets out of %d", len(got), n)
	}
	late := make([]time.Duration, n)
	for i, o := range got {
		if o.seq != byte(i) {
			t.Fatalf("packet %d left as number %d: order not kept", o.seq, i)
		}
		if d := time.Duration(o.at - arrived[i]); d < delay {
			t.Fatalf("packet %d left after %s, before its %s delay", i, d, delay)
		}
		late[i] = time.Duration(o.at-arrived[i]) - delay
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	// Go's own timers are a median 0.6 ms late here, this line's about 10 µs; the bound
	// leaves room for a loaded test machine.
	if med := late[n/2]; med > 300*time.Microsecond {
		t.Errorf("median lateness %s (max %s)", med, late[n-1])
	}
	// Stop-and-wait would hold the last packet for n delays.
	if late[n-1] > 5*time.Millisecond {
		t.Errorf("a packet was %s late: not pipelined", late[n-1])
	}
}

// A full line drops what does not fit instead of holding up the reader.
func TestFullLineDrops(t *testing.T) {
	l := newLine(time.Second, 2)
	for i := 0; i < 5; i++ {
		l.push(hold(make([]byte, 100)), monoNow())
	}
	if d := l.dropped.Load(); d != 3 {
		t.Fatalf("%d dropped, want 3", d)
	}
}

// Packets keep their bytes through the buffer pools, whatever their size.
func TestHoldCopies(t *testing.T) {
	for _, size := range []int{2, smallPacket, smallPacket + 1, maxPacket} {
		b := make([]byte, size)
		b[0], b[size-1] = 1, 2
		p := hold(b)
		b[0], b[size-1] = 0, 0
		if len(p) != size || p[0] != 1 || p[size-1] != 2 {
			t.Fatalf("size %d: held copy differs", size)
		}
		release(p)
	}
}
