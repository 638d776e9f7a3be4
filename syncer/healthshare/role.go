package healthshare

import "time"

// Role is what a syncer does about the probes of its site.
type Role int

// The roles. Only the leader and a syncer alone probe.
const (
	// RoleWaiting: no leader's stream yet (or it was just lost); not
	// probing, for at most the bound, keeping the health it has.
	RoleWaiting Role = iota
	// RoleLeader: holds the site's probe Lease; probes and serves its
	// decisions.
	RoleLeader
	// RoleFollower: takes the leader's decisions from its stream; probes
	// nothing.
	RoleFollower
	// RoleAlone: no leader's stream for longer than the bound (or it just
	// stopped leading): probes by itself, and serves what it decides.
	RoleAlone
)

var roleNames = [...]string{RoleWaiting: "waiting", RoleLeader: "leader", RoleFollower: "follower", RoleAlone: "alone"}

func (r Role) String() string { return roleNames[r] }

// Probing tells whether a syncer in this role probes (and serves its
// decisions to followers).
func (r Role) Probing() bool { return r == RoleLeader || r == RoleAlone }

// machine is the role's state machine, free of I/O:
//
//   - holding the Lease makes a leader;
//   - a live stream from the leader (its full state received) makes a
//     follower;
//   - a leader that loses the Lease, or a syncer alone, goes on probing
//     (alone) until it follows: no gap in the probes;
//   - a follower that loses its stream waits for a leader up to the bound,
//     then probes alone; so does a syncer that starts.
type machine struct {
	role  Role
	since time.Time // when waiting began
	bound time.Duration
}

func newMachine(now time.Time, bound time.Duration) *machine {
	return &machine{role: RoleWaiting, since: now, bound: bound}
}

// step returns the role given whether this syncer leads and whether a
// leader's stream lives, at now.
func (m *machine) step(leading, following bool, now time.Time) Role {
	switch {
	case leading:
		m.role = RoleLeader
	case following:
		m.role = RoleFollower
	case m.role == RoleLeader:
		m.role = RoleAlone
	case m.role == RoleFollower:
		m.role, m.since = RoleWaiting, now
	case m.role == RoleWaiting && !now.Before(m.since.Add(m.bound)):
		m.role = RoleAlone
	}
	return m.role
}

// deadline is when waiting ends (zero when not waiting).
func (m *machine) deadline() time.Time {
	if m.role != RoleWaiting {
		return time.Time{}
	}
	return m.since.Add(m.bound)
}
