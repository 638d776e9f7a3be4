package delegation

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// OutputState is where an output's delegation stands.
type OutputState string

// States of an output.
const (
	StateStarting   OutputState = "starting"          // no check yet
	StateRegistered OutputState = "registered"        // this site's NS is in the parent (also: a withdrawal held back, the zone's last NS)
	StateWithdrawn  OutputState = "withdrawn"         // this site's NS has left the parent
	StateFailing    OutputState = "failing"           // the last check or update failed; retried with backoff
	StateWaiting    OutputState = "waiting-for-ready" // this site's DNS is not ready: the parent is left as it is until withdrawAfter
	StateNotLeader  OutputState = "not-leader"        // another syncer of the site keeps the delegation
)

// Status is the delegation's state, one OutputStatus per output (in the
// order of the Runner's outputs): what gslb-syncer serves as JSON on
// /status/delegation. A Runner swaps it whole; never change one.
type Status struct {
	Outputs []OutputStatus `json:"outputs"`
}

// StatusAt is a Status as served, with when it was read.
type StatusAt struct {
	Now time.Time `json:"now"`
	*Status
}

// Failing reports whether any output is failing.
func (s *Status) Failing() bool {
	return slices.ContainsFunc(s.Outputs, func(o OutputStatus) bool { return o.State == StateFailing })
}

// OutputStatus is one output's state.
type OutputStatus struct {
	Output    string      `json:"output"` // OutputRFC2136 or OutputDNSEndpoint
	Where     string      `json:"where"`  // the parent server and zone, or the DNSEndpoint object
	Zone      string      `json:"zone"`
	NS        string      `json:"ns"`
	Addresses []string    `json:"addresses,omitempty"`
	State     OutputState `json:"state"`
	Since     time.Time   `json:"since,omitzero"`   // when State began
	Detail    string      `json:"detail,omitempty"` // what the state leaves unsaid (a withdrawal held back)
	// NotReadySince is when this site's DNS stopped being ready; zero
	// while it is ready.
	NotReadySince time.Time `json:"notReadySince,omitzero"`
	// ReadyBy is the check that found the site's DNS ready at the last
	// check: "plugin" (this syncer's own) or "site-dns" (the site's NS
	// addresses); "" while not ready.
	ReadyBy     ReadyBy      `json:"readyBy,omitempty"`
	LastSuccess time.Time    `json:"lastSuccess,omitzero"` // of a register or withdraw step
	LastError   *StatusError `json:"lastError,omitempty"`  // the last error, kept after a recovery
	NextCheck   time.Time    `json:"nextCheck,omitzero"`

	announced announced // the state last given as a Transition
}

// StatusError is an output's last error. Its message names the server,
// zone and key, never the key's secret.
type StatusError struct {
	Reason  string    `json:"reason"` // one of Reasons
	Message string    `json:"message"`
	Since   time.Time `json:"since"` // the first error of this reason in a row
	At      time.Time `json:"at"`    // the last
}

// Transition is an output's change worth a Kubernetes Event: it starts
// failing or fails for another reason, or it is registered or withdrawn
// (after anything else: a hold, or a syncer that was not the leader, does
// not count as a change).
type Transition struct {
	Output, Where string
	NS            string      // this site's name server
	State         OutputState // StateFailing, StateRegistered or StateWithdrawn
	Reason        string
	Message       string
}

// Event types and reasons of the Kubernetes Events of transitions.
const (
	EventRegistered = "DelegationRegistered"
	EventWithdrawn  = "DelegationWithdrawn"
	EventFailed     = "DelegationFailed"
)

// Event is t as a Kubernetes Event: warning or normal, its reason and
// message (which names the site's NS and the output).
func (t Transition) Event() (warning bool, reason, message string) {
	prefix := "NS " + t.NS + ", " + t.Output + " " + t.Where + ": "
	switch t.State {
	case StateFailing:
		return true, EventFailed, prefix + t.Reason + ": " + t.Message
	case StateWithdrawn:
		return false, EventWithdrawn, prefix + t.Message
	}
	return false, EventRegistered, prefix + t.Message
}

// announced is what a Transition last told.
type announced struct {
	state  OutputState
	reason string
}

// nextStatus is prev after the check e (reason is Reason(e.Err)), and the
// Transition it makes, if any.
func nextStatus(prev OutputStatus, e Event, reason string) (OutputStatus, *Transition) {
	next := prev
	next.State, next.Detail = stateOf(e, reason), ""
	if next.State != prev.State {
		next.Since = e.At
	}
	next.NotReadySince, next.ReadyBy = e.NotReadySince, e.ReadyBy
	next.NextCheck = e.At.Add(e.Next)
	switch {
	case reason != "":
		next.LastError = &StatusError{Reason: reason, Message: e.Err.Error(), Since: e.At, At: e.At}
		if prev.State == StateFailing && prev.LastError != nil && prev.LastError.Reason == reason {
			next.LastError.Since = prev.LastError.Since
		}
	case e.Action != Hold:
		next.LastSuccess = e.At
	}
	if errors.Is(e.Err, ErrLastNS) {
		next.Detail = "not withdrawn: the zone's last NS in the parent"
	}
	return next, next.transition(prev)
}

// stateOf is the state a check leaves an output in.
func stateOf(e Event, reason string) OutputState {
	switch {
	case reason != "":
		return StateFailing
	case !e.Leading:
		return StateNotLeader
	case e.Action == Hold:
		return StateWaiting
	case e.Action == Withdraw && !errors.Is(e.Err, ErrLastNS):
		return StateWithdrawn
	}
	return StateRegistered
}

// transition records in o the Transition from the state last announced,
// if o's state is one to announce and differs.
func (o *OutputStatus) transition(prev OutputStatus) *Transition {
	now := announced{state: o.State}
	switch o.State {
	case StateFailing:
		now.reason = o.LastError.Reason
	case StateRegistered, StateWithdrawn:
	default:
		return nil
	}
	if now == prev.announced {
		return nil
	}
	o.announced = now
	t := &Transition{Output: o.Output, Where: o.Where, NS: o.NS, State: o.State, Reason: now.reason}
	switch o.State {
	case StateFailing:
		t.Message = o.LastError.Message
	case StateRegistered:
		t.Message = "in the parent for " + o.Zone
	case StateWithdrawn:
		t.Message = "left the parent for " + o.Zone + ": this site's DNS is not ready"
	}
	return t
}

// statusBoard keeps a Runner's Status: its outputs' Keepers update their
// own entry, one at a time; readers load the snapshot.
type statusBoard struct {
	mu     sync.Mutex // serialises the updates
	cur    atomic.Pointer[Status]
	notify func(Transition) // nil: none
}

func newStatusBoard(outs []OutputStatus, notify func(Transition)) *statusBoard {
	b := &statusBoard{notify: notify}
	b.cur.Store(&Status{Outputs: outs})
	return b
}

// update applies the check e of output i and swaps the snapshot; a
// Transition goes to notify, outside the lock.
func (b *statusBoard) update(i int, e Event, reason string) {
	b.mu.Lock()
	s := &Status{Outputs: slices.Clone(b.cur.Load().Outputs)}
	var t *Transition
	s.Outputs[i], t = nextStatus(s.Outputs[i], e, reason)
	b.cur.Store(s)
	b.mu.Unlock()
	if t != nil && b.notify != nil {
		b.notify(*t)
	}
}
