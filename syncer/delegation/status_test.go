package delegation

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestNextStatus: the checks an output goes through, its state after each
// and the Transitions (Kubernetes Events) they make: one per change, none
// per retry.
func TestNextStatus(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0).UTC()
	badSig := &UpdateError{Server: "192.0.2.53:53", Zone: "iberia.local.", Key: "gslb-a.", Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadSig}
	refused := &UpdateError{Server: "192.0.2.53:53", Zone: "iberia.local.", Key: "gslb-a.", Rcode: dns.RcodeRefused}
	reg := Event{Action: Register, Leading: true}
	regChanged := Event{Action: Register, Leading: true, Changed: true}
	wd := Event{Action: Withdraw, Leading: true, Changed: true}
	lastNS := Event{Action: Withdraw, Leading: true, Err: ErrLastNS}
	hold := Event{Action: Hold, Leading: true}
	follower := Event{Action: Hold}
	fail := func(err error) Event { return Event{Action: Register, Leading: true, Err: err} }

	cases := []struct {
		name   string
		steps  []Event
		states string // after each step
		events string // the Transitions' Event reasons, in order
	}{
		{"registers", []Event{regChanged, reg, reg}, "registered registered registered", "DelegationRegistered"},
		{"already registered at start", []Event{reg}, "registered", "DelegationRegistered"},
		{"fails, retries, recovers", []Event{fail(badSig), fail(badSig), fail(badSig), regChanged},
			"failing failing failing registered", "DelegationFailed:badsig DelegationRegistered"},
		{"the reason changes", []Event{fail(badSig), fail(refused), fail(refused)},
			"failing failing failing", "DelegationFailed:badsig DelegationFailed:refused"},
		{"not ready, then withdrawn", []Event{reg, hold, hold, wd, {Action: Withdraw, Leading: true}},
			"registered waiting-for-ready waiting-for-ready withdrawn withdrawn", "DelegationRegistered DelegationWithdrawn"},
		{"not ready for a while only", []Event{reg, hold, reg}, "registered waiting-for-ready registered", "DelegationRegistered"},
		{"the last NS is kept", []Event{reg, hold, lastNS, lastNS}, "registered waiting-for-ready registered registered",
			"DelegationRegistered"},
		{"a follower, then the leader", []Event{follower, follower, reg}, "not-leader not-leader registered", "DelegationRegistered"},
		{"the leader steps down and back", []Event{reg, follower, reg}, "registered not-leader registered", "DelegationRegistered"},
		{"unreachable while not ready", []Event{hold, {Action: Withdraw, Leading: true, Err: fmt.Errorf("dial: %w", &netErr{})}, wd},
			"waiting-for-ready failing withdrawn", "DelegationFailed:unreachable DelegationWithdrawn"},
	}
	for _, tc := range cases {
		st := OutputStatus{Output: OutputRFC2136, Where: "192.0.2.53:53 zone iberia.local.", Zone: "avi.iberia.local.",
			NS: "g-dns-a.iberia.local.", State: StateStarting}
		var states, events []string
		for i, e := range tc.steps {
			e.At, e.Next = t0.Add(time.Duration(i)*time.Second), 2*time.Second
			var tr *Transition
			st, tr = nextStatus(st, e, Reason(e.Err))
			states = append(states, string(st.State))
			if tr != nil {
				events = append(events, eventName(*tr))
			}
		}
		if got := strings.Join(states, " "); got != tc.states {
			t.Errorf("%s: states %q, want %q", tc.name, got, tc.states)
		}
		if got := strings.Join(events, " "); got != tc.events {
			t.Errorf("%s: events %q, want %q", tc.name, got, tc.events)
		}
	}
}

func eventName(t Transition) string {
	warning, reason, _ := t.Event()
	if warning {
		return reason + ":" + t.Reason
	}
	return reason
}

type netErr struct{}

func (*netErr) Error() string   { return "connection refused" }
func (*netErr) Timeout() bool   { return false }
func (*netErr) Temporary() bool { return false }

// TestNextStatusTimes: since when a state and an error's reason hold,
// the last success, the next check.
func TestNextStatusTimes(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0).UTC()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	badSig := &UpdateError{Server: "192.0.2.53:53", Zone: "iberia.local.", Key: "gslb-a.", Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadSig}
	st := OutputStatus{State: StateStarting}
	steps := []Event{
		{Action: Register, Leading: true, At: at(0), Next: 10 * time.Second},
		{Action: Register, Leading: true, At: at(10), Err: badSig, Next: 10 * time.Second},
		{Action: Register, Leading: true, At: at(20), Err: badSig, Next: 20 * time.Second},
	}
	for _, e := range steps {
		st, _ = nextStatus(st, e, Reason(e.Err))
	}
	want := OutputStatus{State: StateFailing, Since: at(10), LastSuccess: at(0), NextCheck: at(40),
		LastError: &StatusError{Reason: ReasonBadSig, Message: badSig.Error(), Since: at(10), At: at(20)}}
	if got, w := statusJSON(st), statusJSON(want); got != w {
		t.Errorf("after two failures:\n got %s\nwant %s", got, w)
	}
	st, _ = nextStatus(st, Event{Action: Hold, Leading: true, At: at(40), NotReadySince: at(35), Next: 10 * time.Second}, "")
	want = OutputStatus{State: StateWaiting, Since: at(40), LastSuccess: at(0), NextCheck: at(50), NotReadySince: at(35),
		LastError: want.LastError}
	if got, w := statusJSON(st), statusJSON(want); got != w {
		t.Errorf("a hold after failures:\n got %s\nwant %s", got, w)
	}
}

func statusJSON(o OutputStatus) string {
	b, _ := json.Marshal(o)
	return string(b)
}

// TestStatusFailing: the exit status of gslbctl delegation follows it.
func TestStatusFailing(t *testing.T) {
	s := &Status{Outputs: []OutputStatus{{State: StateRegistered}, {State: StateWaiting}}}
	if s.Failing() {
		t.Error("registered and waiting: failing")
	}
	s.Outputs = append(s.Outputs, OutputStatus{State: StateFailing})
	if !s.Failing() {
		t.Error("an output failing: not failing")
	}
	if (&Status{}).Failing() {
		t.Error("no outputs: failing")
	}
}

// TestTransitionEvent: the Events' type, reason and message, which names
// the site's NS and the output.
func TestTransitionEvent(t *testing.T) {
	base := Transition{Output: OutputRFC2136, Where: "192.0.2.10:53 zone iberia.local.", NS: "g-dns-a.iberia.local."}
	cases := []struct {
		state           OutputState
		reason, message string
		want            string
	}{
		{StateFailing, ReasonUnreachable, "dial tcp 192.0.2.10:53: connect: connection refused",
			"Warning DelegationFailed NS g-dns-a.iberia.local., rfc2136 192.0.2.10:53 zone iberia.local.: unreachable: dial tcp 192.0.2.10:53: connect: connection refused"},
		{StateRegistered, "", "in the parent for avi.iberia.local.",
			"Normal DelegationRegistered NS g-dns-a.iberia.local., rfc2136 192.0.2.10:53 zone iberia.local.: in the parent for avi.iberia.local."},
		{StateWithdrawn, "", "left the parent for avi.iberia.local.: this site's DNS is not ready",
			"Normal DelegationWithdrawn NS g-dns-a.iberia.local., rfc2136 192.0.2.10:53 zone iberia.local.: left the parent for avi.iberia.local.: this site's DNS is not ready"},
	}
	for _, tc := range cases {
		tr := base
		tr.State, tr.Reason, tr.Message = tc.state, tc.reason, tc.message
		warning, reason, message := tr.Event()
		typ := "Normal"
		if warning {
			typ = "Warning"
		}
		if got := typ + " " + reason + " " + message; got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.state, got, tc.want)
		}
	}
}
