package healthshare

import (
	"testing"
	"time"
)

func TestMachine(t *testing.T) {
	const bound = 15 * time.Second
	t0 := time.Unix(1_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	type step struct {
		name               string
		leading, following bool
		at                 float64 // seconds from the start
		want               Role
		deadline           float64 // when waiting ends; -1: not waiting
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"a syncer that starts waits, then probes alone", []step{
			{"start", false, false, 0, RoleWaiting, 15},
			{"still waiting", false, false, 14.9, RoleWaiting, 15},
			{"bound", false, false, 15, RoleAlone, -1},
			{"stays alone", false, false, 100, RoleAlone, -1},
		}},
		{"a follower that loses its stream waits from then", []step{
			{"the leader's full state", false, true, 1, RoleFollower, -1},
			{"stream lost", false, false, 20, RoleWaiting, 35},
			{"back within the bound", false, true, 30, RoleFollower, -1},
			{"lost again", false, false, 40, RoleWaiting, 55},
			{"alone at the bound", false, false, 55, RoleAlone, -1},
			{"a new leader's stream", false, true, 60, RoleFollower, -1},
		}},
		{"a leader that loses the Lease probes on until it follows", []step{
			{"takes the Lease", true, false, 1, RoleLeader, -1},
			{"loses it", false, false, 30, RoleAlone, -1},
			{"follows the new leader", false, true, 31, RoleFollower, -1},
		}},
		{"the Lease wins over a stream", []step{
			{"follows", false, true, 1, RoleFollower, -1},
			{"takes the Lease", true, true, 2, RoleLeader, -1},
		}},
		{"alone, then a leader appears", []step{
			{"bound", false, false, 15, RoleAlone, -1},
			{"follows", false, true, 16, RoleFollower, -1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t0, bound)
			for _, s := range tc.steps {
				got := m.step(s.leading, s.following, at(s.at))
				var wantDeadline time.Time
				if s.deadline >= 0 {
					wantDeadline = at(s.deadline)
				}
				if got != s.want || !m.deadline().Equal(wantDeadline) {
					t.Errorf("%s: role %v until %v, want %v until %v", s.name, got, m.deadline(), s.want, wantDeadline)
				}
				if got.Probing() != (s.want == RoleLeader || s.want == RoleAlone) {
					t.Errorf("%s: %v probing %v", s.name, got, got.Probing())
				}
			}
		})
	}
}
