package gslbv1

import "fmt"

// Limits of a member's health check (the plugin only stores it: these
// refuse what is obviously broken, the syncer validates the rest).
const (
	MaxCheckText = 1024 // each string field of a HealthCheck
	MaxCheckPort = 65535
)

// validateCheck checks a member's health check (nil: not probed).
func validateCheck(c *HealthCheck) error {
	if c == nil {
		return nil
	}
	if _, ok := CheckType_name[int32(c.GetType())]; !ok || c.GetType() == CheckType_CHECK_TYPE_UNSPECIFIED {
		return fmt.Errorf("check: unknown type %d", c.GetType())
	}
	if c.GetPort() > MaxCheckPort {
		return fmt.Errorf("check: port %d is larger than %d", c.GetPort(), MaxCheckPort)
	}
	if a := c.GetAddress(); a != "" {
		if _, err := ParseAddress(a); err != nil {
			return fmt.Errorf("check: address: %v", err)
		}
	}
	for _, s := range []string{c.GetMethod(), c.GetPath(), c.GetHost(), c.GetExpectStatus(), c.GetBodyContains(), c.GetSni()} {
		if len(s) > MaxCheckText {
			return fmt.Errorf("check: a field of %d bytes, at most %d", len(s), MaxCheckText)
		}
	}
	return nil
}

// CheckPool shares equal health checks: a table keeps one message per
// distinct check instead of one per member (a push decodes a copy for
// each). The zero value is ready; it is not safe for concurrent use.
type CheckPool struct {
	seen map[checkKey]*HealthCheck
}

// checkKey is a HealthCheck's value, comparable.
type checkKey struct {
	typ                                         CheckType
	method, path, host, expect, body, sni, addr string
	insecure                                    bool
	port, interval, timeout, rise, fall         uint32
}

func keyOf(c *HealthCheck) checkKey {
	return checkKey{c.GetType(), c.GetMethod(), c.GetPath(), c.GetHost(), c.GetExpectStatus(), c.GetBodyContains(), c.GetSni(),
		c.GetAddress(), c.GetInsecureSkipVerify(), c.GetPort(), c.GetIntervalMs(), c.GetTimeoutMs(), c.GetRise(), c.GetFall()}
}

// Share points every member of r at the pool's copy of its check. r must
// be the caller's own (a freshly decoded push or snapshot): it is modified.
func (p *CheckPool) Share(r *Record) {
	for _, m := range r.GetMembers() {
		if m.Check == nil {
			continue
		}
		k := keyOf(m.Check)
		if c, ok := p.seen[k]; ok {
			m.Check = c
			continue
		}
		if p.seen == nil {
			p.seen = map[checkKey]*HealthCheck{}
		}
		p.seen[k] = m.Check
	}
}
