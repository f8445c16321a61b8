package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// packet is one packet on the line with the time it may leave (CLOCK_MONOTONIC ns).
type packet struct {
	data []byte
	due  int64
}

// line holds every packet pushed into it for a fixed delay, then hands it to write, in
// arrival order. It is a pipeline: packets pushed 1 µs apart leave 1 µs apart.
type line struct {
	delay   int64
	queue   chan packet
	passed  atomic.Uint64
	dropped atomic.Uint64
}

func newLine(delay time.Duration, capacity int) *line {
	return &line{delay: int64(delay), queue: make(chan packet, capacity)}
}

// push queues a packet that arrived at now. A full queue drops it, as a router's full
// buffer would: blocking the reader would delay every packet behind it as well.
func (l *line) push(data []byte, now int64) {
	select {
	case l.queue <- packet{data, now + l.delay}:
	default:
		l.dropped.Add(1)
		release(data)
	}
}

// run hands each packet to write once it is due, until close. The delay is constant, so
// arrival order is due order: the head of the queue is always the next to leave.
func (l *line) run(write func([]byte) error, now func() int64, sleepUntil func(int64)) {
	for p := range l.queue {
		if p.due > now() {
			sleepUntil(p.due)
		}
		if write(p.data) == nil {
			l.passed.Add(1)
		} else {
			l.dropped.Add(1)
		}
		release(p.data)
	}
}

func (l *line) close() { close(l.queue) }

// Packet buffers come in two sizes, reused: an MTU-sized packet (ACKs, requests) and a
// whole TSO segment with its virtio-net header.
const (
	smallPacket = 2048
	maxPacket   = 65536 + 64
)

var pools = [2]sync.Pool{
	{New: func() any { return make([]byte, smallPacket) }},
	{New: func() any { return make([]byte, maxPacket) }},
}

// hold copies a packet out of the reader's buffer into one the line may keep.
func hold(b []byte) []byte {
	i := 0
	if len(b) > smallPacket {
		i = 1
	}
	p := pools[i].Get().([]byte)[:len(b)]
	copy(p, b)
	return p
}

func release(p []byte) {
	switch cap(p) {
	case smallPacket:
		pools[0].Put(p[:smallPacket]) //nolint:staticcheck // a slice header per packet is cheap
	case maxPacket:
		pools[1].Put(p[:maxPacket]) //nolint:staticcheck
	}
}
