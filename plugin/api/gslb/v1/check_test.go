package gslbv1

import (
	"strings"
	"testing"
)

// A member's check is stored, not used: only what is obviously broken is
// refused, with the record and member named.
func TestValidateCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    *HealthCheck
		want string // "" = valid
	}{
		{"none", nil, ""},
		{"http", &HealthCheck{Type: CheckType_CHECK_TYPE_HTTP, Method: "GET", Path: "/", Port: 80, IntervalMs: 2000, TimeoutMs: 1000, Rise: 2, Fall: 3}, ""},
		{"tcp with an address", &HealthCheck{Type: CheckType_CHECK_TYPE_TCP, Address: "2001:db8::1", Port: 5432}, ""},
		{"no type", &HealthCheck{Port: 80}, "check: unknown type 0"},
		{"unknown type", &HealthCheck{Type: 9, Port: 80}, "check: unknown type 9"},
		{"port too large", &HealthCheck{Type: CheckType_CHECK_TYPE_HTTP, Port: 65536}, "check: port 65536 is larger than 65535"},
		{"bad address", &HealthCheck{Type: CheckType_CHECK_TYPE_TCP, Address: "lb.example", Port: 1}, "check: address:"},
		{"huge body", &HealthCheck{Type: CheckType_CHECK_TYPE_HTTP, BodyContains: strings.Repeat("x", MaxCheckText+1)}, "check: a field of 1025 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Record{Fqdn: "a.example.", Members: []*Member{{Address: "192.0.2.1", Weight: 1, Check: tc.c}}}
			err := ValidateRecord(r)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), `record "a.example.": member 1 (192.0.2.1): `+tc.want)):
				t.Errorf("error %v, want one naming the record, the member and %q", err, tc.want)
			}
		})
	}
}

// CheckPool points equal checks at one message, across records.
func TestCheckPoolShare(t *testing.T) {
	check := func(port uint32) *HealthCheck {
		return &HealthCheck{Type: CheckType_CHECK_TYPE_HTTP, Path: "/", Port: port}
	}
	a := &Record{Members: []*Member{{Check: check(80)}, {Check: check(81)}, {}}}
	b := &Record{Members: []*Member{{Check: check(80)}, {Check: check(81)}}}
	var p CheckPool
	p.Share(a)
	p.Share(b)
	if b.Members[0].Check != a.Members[0].Check || b.Members[1].Check != a.Members[1].Check {
		t.Error("equal checks are not shared")
	}
	if a.Members[0].Check == a.Members[1].Check || a.Members[2].Check != nil {
		t.Error("different checks shared, or a member without one given one")
	}
}
