package health

import (
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// The table carries each probed member's check (Member.check), so that a
// syncer that restarts without its configuration (the config cluster is
// unreachable) seeds its records from the plugin's table with the checks
// they had, and keeps probing them: a member that dies meanwhile leaves.

var checkTypes = [...]gslbv1.CheckType{
	TypeHTTP:  gslbv1.CheckType_CHECK_TYPE_HTTP,
	TypeHTTPS: gslbv1.CheckType_CHECK_TYPE_HTTPS,
	TypeTCP:   gslbv1.CheckType_CHECK_TYPE_TCP,
}

// Proto returns c as the table carries it: nil for no check (nil or
// TypeNone). Durations are carried in whole milliseconds.
func (c *Check) Proto() *gslbv1.HealthCheck {
	if c == nil || c.Type == TypeNone || int(c.Type) >= len(checkTypes) {
		return nil
	}
	return &gslbv1.HealthCheck{
		Type: checkTypes[c.Type], Method: c.Method, Path: c.Path, Host: c.Host,
		ExpectStatus: c.ExpectStatus, BodyContains: c.BodyContains,
		Sni: c.SNI, InsecureSkipVerify: c.InsecureSkipVerify,
		Address: c.Address, Port: uint32(c.Port),
		IntervalMs: uint32(c.Interval.Milliseconds()), TimeoutMs: uint32(c.Timeout.Milliseconds()),
		Rise: uint32(c.Rise), Fall: uint32(c.Fall),
	}
}

// CheckOf returns the check a table's member carries, nil when it carries
// none (or one of a type this syncer does not know).
func CheckOf(pc *gslbv1.HealthCheck) *Check {
	c, ok := checkOf(pc)
	if !ok {
		return nil
	}
	return &c
}

func checkOf(pc *gslbv1.HealthCheck) (Check, bool) {
	if pc == nil {
		return Check{}, false
	}
	for t, pt := range checkTypes {
		if pt == pc.GetType() && t != int(TypeNone) {
			return Check{
				Type:   Type(t),
				Method: pc.GetMethod(), Path: pc.GetPath(), Host: pc.GetHost(),
				ExpectStatus: pc.GetExpectStatus(), BodyContains: pc.GetBodyContains(),
				SNI: pc.GetSni(), InsecureSkipVerify: pc.GetInsecureSkipVerify(),
				Address: pc.GetAddress(), Port: uint16(pc.GetPort()),
				Interval: time.Duration(pc.GetIntervalMs()) * time.Millisecond,
				Timeout:  time.Duration(pc.GetTimeoutMs()) * time.Millisecond,
				Rise:     int(pc.GetRise()), Fall: int(pc.GetFall()),
			}, true
		}
	}
	return Check{}, false
}

// WriteChecks sets each member's check (Member.check) from checks, one
// message per distinct check: checks[i] is the check of members[i] (its
// Port the member's probe port), nil when that member is not probed;
// checks may be shorter than members, or nil. Members given by hostname
// are never probed: they carry none. The members must be the caller's own,
// not yet handed to the prober.
func WriteChecks(members []*gslbv1.Member, checks []*Check) {
	shared := map[Check]*gslbv1.HealthCheck{}
	for j, m := range members {
		m.Check = nil
		if j >= len(checks) || checks[j] == nil || m.GetAddress() == "" {
			continue
		}
		pc, ok := shared[*checks[j]]
		if !ok {
			pc = checks[j].Proto()
			shared[*checks[j]] = pc
		}
		m.Check = pc
	}
}

// MemberCheck is the check the prober runs on m: the one it carries, nil
// when it carries none (or one of a type this syncer does not know) or is
// given by hostname.
func MemberCheck(m *gslbv1.Member) *Check {
	c, ok := memberCheck(m)
	if !ok {
		return nil
	}
	return &c
}

func memberCheck(m *gslbv1.Member) (Check, bool) {
	if m.GetAddress() == "" {
		return Check{}, false
	}
	return checkOf(m.GetCheck())
}

// ChecksOf returns the check of each of r's members (MemberCheck), nil
// when none carries one.
func ChecksOf(r *gslbv1.Record) []*Check {
	var out []*Check
	for j, m := range r.GetMembers() {
		if c := MemberCheck(m); c != nil {
			if out == nil {
				out = make([]*Check, len(r.GetMembers()))
			}
			out[j] = c
		}
	}
	return out
}
