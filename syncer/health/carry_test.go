package health

import (
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/protobuf/proto"
)

// A check goes into the table and comes back unchanged, for every type;
// no check (nil, TypeNone) is carried as none.
func TestCheckRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    Check
	}{
		{"http defaults", Check{Type: TypeHTTP}.WithDefaults("hello.avi.iberia.local.")},
		{"http every field", Check{Type: TypeHTTP, Method: "HEAD", Path: "/healthz", Host: "h.example", ExpectStatus: "200-299,404",
			BodyContains: "ok", Address: "192.0.2.7", Port: 8080, Interval: 1500 * time.Millisecond, Timeout: 250 * time.Millisecond, Rise: 1, Fall: 5}},
		{"https", Check{Type: TypeHTTPS, Method: "GET", Path: "/", Host: "h.example", ExpectStatus: "200-399", SNI: "sni.example",
			InsecureSkipVerify: true, Port: 443, Interval: 2 * time.Second, Timeout: time.Second, Rise: 2, Fall: 3}},
		{"tcp", Check{Type: TypeTCP, Address: "2001:db8::1", Port: 5432, Interval: 200 * time.Millisecond, Timeout: 100 * time.Millisecond, Rise: 3, Fall: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc := tt.c.Proto()
			wire, err := proto.Marshal(pc)
			if err != nil {
				t.Fatal(err)
			}
			back := new(gslbv1.HealthCheck)
			if err := proto.Unmarshal(wire, back); err != nil {
				t.Fatal(err)
			}
			got := CheckOf(back)
			if got == nil || *got != tt.c {
				t.Errorf("round trip\n got %+v\nwant %+v", got, tt.c)
			}
		})
	}
	if (*Check)(nil).Proto() != nil || (&Check{Type: TypeNone, Port: 80}).Proto() != nil {
		t.Error("no check carried as a check")
	}
	if CheckOf(nil) != nil || CheckOf(&gslbv1.HealthCheck{Port: 80}) != nil || CheckOf(&gslbv1.HealthCheck{Type: 99}) != nil {
		t.Error("a member without a known check type read as probed")
	}
}

// WriteChecks writes each probed member's check (one message per distinct
// check, none for hostnames and unprobed members); MemberCheck reads them
// back.
func TestWriteChecks(t *testing.T) {
	c := Check{Type: TypeTCP, Port: 80, Interval: time.Second, Timeout: 500 * time.Millisecond, Rise: 2, Fall: 3}
	other := c
	other.Port = 81
	rec := &gslbv1.Record{Fqdn: "a.example.", Members: []*gslbv1.Member{
		{Address: "192.0.2.1"}, {Address: "192.0.2.2"}, {Address: "192.0.2.3"}, {Hostname: "b.example."}, {Address: "192.0.2.4", Check: c.Proto()},
	}}
	c1, c2 := c, c
	WriteChecks(rec.Members, []*Check{&c1, &c2, &other, &c})
	ms := rec.Members
	if ms[0].Check == nil || ms[0].Check != ms[1].Check {
		t.Error("equal checks are not one shared message")
	}
	if ms[2].Check.GetPort() != 81 || ms[3].Check != nil || ms[4].Check != nil {
		t.Errorf("checks %v %v %v, want port 81, none for the hostname and the member beyond checks", ms[2].Check, ms[3].Check, ms[4].Check)
	}
	back := proto.CloneOf(rec)
	back.Members[3].Check = c.Proto() // a hostname carrying one is still not probed
	want := []*Check{&c, &c, &other, nil, nil}
	for j, w := range want {
		if g := MemberCheck(back.Members[j]); (g == nil) != (w == nil) || (g != nil && *g != *w) {
			t.Errorf("member %d: %+v, want %+v", j, g, w)
		}
	}
}
