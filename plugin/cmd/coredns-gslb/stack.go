package main

import (
	"flag"
	"runtime/metrics"

	"github.com/gslbdns/gslb/plugin/internal/stackstart"
	"github.com/prometheus/client_golang/prometheus"
)

// defaultStackStart is the stack a query's goroutine starts with: enough for
// the shipped Corefile's chain (gslbmetrics, errors, gslb, answer packing,
// and a GC assist on the way) without growing. 8 KiB still left 5–10% of the
// CPU in stack growth under dnsperf, 16 KiB none (BENCHMARKS.md, "The
// goroutine stack start").
const defaultStackStart = 16 << 10

// stackStartFlag is -stack-start, registered beside CoreDNS's own flags
// (coremain parses them all).
func stackStartFlag() *int {
	return flag.Int("stack-start", defaultStackStart,
		"bytes of stack new goroutines start with, so a query does not grow its stack (a power of two, 4096–65536; 0: Go's default)")
}

// holdStackStart applies -stack-start for the life of the process and
// shows the start size in the metrics.
func holdStackStart(size int) error {
	registerStackStart()
	_, err := stackstart.Hold(size)
	return err
}

// registerStackStart serves the runtime's start size on /metrics (the stock
// prometheus plugin and gslbmetrics both serve the default registry), named
// as client_golang's Go collector names runtime/metrics it exports.
func registerStackStart() {
	prometheus.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "go_gc_stack_starting_size_bytes",
		Help: "The stack size of new goroutines (runtime/metrics /gc/stack/starting-size:bytes); coredns-gslb -stack-start sets it.",
	}, func() float64 {
		s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
		metrics.Read(s)
		return float64(s[0].Value.Uint64())
	}))
}
