package kube

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/wait"

	"k8s.io/client-go/kubernetes/fake"
)

// TestElection: two syncers on one Lease, exactly one writes; the leader
// stopped, it releases the Lease and the other writes.
func TestElection(t *testing.T) {
	cs := fake.NewClientset()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lease := func(id string) LeaseOptions {
		return LeaseOptions{Namespace: "gslb", Name: "gslb-syncer", Identity: id, Duration: 2 * time.Second, Renew: time.Second, Retry: 100 * time.Millisecond}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	a, err := startElection(ctxA, cs, lease("a"), log, func() {})
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, 10*time.Second, "a leads", a.writing)
	gets := func() int {
		n := 0
		for _, a := range cs.Actions() {
			if a.GetVerb() == "get" && a.GetResource().Resource == "leases" {
				n++
			}
		}
		return n
	}
	before := gets()
	b, err := startElection(ctxB, cs, lease("b"), log, func() {})
	if err != nil {
		t.Fatal(err)
	}
	// a renews, b tries: six reads of the Lease later b has tried it a few times.
	wait.For(t, 10*time.Second, "b tries the Lease", func() bool { return gets() >= before+6 })
	if b.writing() {
		t.Fatal("b writes while a holds the Lease")
	}
	stopA()
	<-a.done
	if a.writing() {
		t.Error("a still writes after its election ended")
	}
	wait.For(t, 10*time.Second, "b leads", b.writing)

	if e, err := startElection(context.Background(), cs, LeaseOptions{}, log, func() {}); err != nil || !e.writing() {
		t.Errorf("no lease: writing %v, %v; want writing", e.writing(), err)
	}
	if _, err := startElection(context.Background(), cs, LeaseOptions{Namespace: "gslb", Name: "x", Duration: time.Second, Renew: 2 * time.Second, Retry: time.Second}, log, func() {}); err == nil {
		t.Error("renew deadline above the lease duration: no error")
	}
}
