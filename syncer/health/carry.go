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
	if pc == nil {
		return nil
	}
	c := &Check{
		Method: pc.GetMethod(), Path: pc.GetPath(), Host: pc.GetHost(),
		ExpectStatus: pc.GetExpectStatus(), BodyContains: pc.GetBodyContains(),
		SNI: pc.GetSni(), InsecureSkipVerify: pc.GetInsecureSkipVerify(),
		Address: pc.GetAddress(), Port: uint16(pc.GetPort()),
		Interval: time.Duration(pc.GetIntervalMs()) * time.Millisecond,
		Timeout:  time.Duration(pc.GetTimeoutMs()) * time.Millisecond,
		Rise:     int(pc.GetRise()), Fall: int(pc.GetFall()),
	}
	for t, pt := range checkTypes {
		if pt == pc.GetType() && t != int(TypeNone) {
			c.Type = Type(t)
			return c
		}
	}
	return nil
}

// Carry sets each member's check (Member.check) from r.Checks, one message
// per distinct check, and returns r. The record must be the caller's own,
// not yet handed to the prober: its members are modified.
func Carry(r Record) Record {
	shared := map[Check]*gslbv1.HealthCheck{}
	for j, m := range r.Record.GetMembers() {
		m.Check = nil
		if j >= len(r.Checks) || r.Checks[j] == nil || m.GetAddress() == "" {
			continue
		}
		pc, ok := shared[*r.Checks[j]]
		if !ok {
			pc = r.Checks[j].Proto()
			shared[*r.Checks[j]] = pc
		}
		m.Check = pc
	}
	return r
}

// Carried returns the record with the checks its members carry (the
// inverse of Carry): the Checks are nil when no member carries one.
func Carried(rec *gslbv1.Record) Record {
	out := Record{Record: rec}
	for j, m := range rec.GetMembers() {
		c := CheckOf(m.GetCheck())
		if c == nil || m.GetAddress() == "" {
			continue
		}
		if out.Checks == nil {
			out.Checks = make([]*Check, len(rec.GetMembers()))
		}
		out.Checks[j] = c
	}
	return out
}
