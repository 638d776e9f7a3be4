package delegation

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	const after = 30 * time.Second
	cases := []struct {
		name          string
		notReadySince time.Time
		now           time.Time
		want          Action
	}{
		{"ready", time.Time{}, t0, Register},
		{"just stopped", t0, t0, Hold},
		{"not ready, under the time", t0, t0.Add(after - time.Millisecond), Hold},
		{"not ready for the time", t0, t0.Add(after), Withdraw},
		{"not ready for longer", t0, t0.Add(time.Hour), Withdraw},
	}
	for _, tc := range cases {
		if got := decide(tc.notReadySince, tc.now, after); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	good := func() Config {
		return Config{Server: "192.0.2.10:53", ParentZone: "Iberia.Local", Zone: "avi.iberia.local", NS: "g-dns-a.iberia.local",
			Key: Key{Name: "gslb-a", Secret: "c2VjcmV0"}, Addrs: nil}
	}
	c := good()
	if err := c.Validate(); err == nil {
		t.Error("an NS inside the parent zone without addresses was accepted")
	}
	c = good()
	c.NS = "ns.example.net"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.ParentZone != "iberia.local." || c.Zone != "avi.iberia.local." || c.Key.Name != "gslb-a." || c.TTL != 300 {
		t.Errorf("not canonical or defaulted: %+v", c)
	}
	c = good()
	c.NS, c.Addrs = "ns.example.net", []netip.Addr{netip.MustParseAddr("192.0.2.53")}
	if err := c.Validate(); err == nil {
		t.Error("addresses for an NS outside the parent zone were accepted")
	}
	c = good()
	c.Zone, c.NS = "avi.example.org", "ns.example.net"
	if err := c.Validate(); err == nil {
		t.Error("a zone outside the parent zone was accepted")
	}
	if err := (&Config{}).Validate(); err == nil {
		t.Error("an empty config was accepted")
	}
}

// fakeParent counts the Keeper's calls.
type fakeParent struct{ registers, withdraws atomic.Int32 }

func (f *fakeParent) Register(context.Context) (bool, error) { f.registers.Add(1); return false, nil }
func (f *fakeParent) Withdraw(context.Context) (bool, error) { f.withdraws.Add(1); return false, nil }

// TestKeeperLeading: a Keeper that is not the leader leaves the parent
// alone; once leading, it registers, and reports every step.
func TestKeeperLeading(t *testing.T) {
	var leading atomic.Bool
	asked := make(chan struct{}, 100)
	reports := make(chan Event, 100)
	p := &fakeParent{}
	k := &Keeper{Registrar: p, Ready: func(context.Context) ReadyBy { return ReadyPlugin }, Interval: time.Millisecond,
		Leading: func() bool {
			select {
			case asked <- struct{}{}:
			default:
			}
			return leading.Load()
		},
		Report: func(e Event) {
			select {
			case reports <- e:
			default: // full: the test has what it reads
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	for range 5 {
		<-asked
	}
	if n := p.registers.Load() + p.withdraws.Load(); n != 0 {
		t.Fatalf("%d calls to the parent while not leading", n)
	}
	leading.Store(true)
	registered := 0
	for e := range reports {
		if e.Action == Hold && !e.Leading { // the checks while not leading are reported as holds
			continue
		}
		// Unchanged registrations are reported too.
		if e.Action != Register || e.Changed || e.Err != nil || !e.Leading {
			t.Fatalf("reported %+v, want an unchanged registration", e)
		}
		if registered++; registered == 3 {
			break
		}
	}
}

// readyBy is a fake own check's verdict.
func readyBy(ok bool) ReadyBy {
	if ok {
		return ReadyPlugin
	}
	return NotReady
}
