package kube

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseMembers(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "s1az1\ns1az2\n", want: "s1az1,s1az2"},
		{in: "# members\ns1az1, s2 s1az2\n\ns1az1\n", want: "s1az1,s2,s1az2"},
		{in: "members:\n  - s1az1\n  - \"s2\"  # the other site\n", want: "s1az1,s2"},
		{in: "members: [s1az1, s2]\n", want: "s1az1,s2"},
		{in: "- s1az1\n- s2\n", want: "s1az1,s2"},
		{in: "[s1az1, s2]", want: "s1az1,s2"},
		{in: "", err: "names no context"},
		{in: "# nothing\n\n", err: "names no context"},
		{in: "clusters:\n  - a\n", err: `unexpected "clusters:"`},
	} {
		got, err := ParseMembers([]byte(tc.in))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseMembers(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
		case err != nil || strings.Join(got, ",") != tc.want:
			t.Errorf("ParseMembers(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestParseSpecMembersFile(t *testing.T) {
	o, err := ParseSpec("/kc?members-file=/etc/gslb/members&config=s1az1")
	if err != nil || o.MembersFile != "/etc/gslb/members" || len(o.Members) != 0 {
		t.Fatalf("ParseSpec: %+v, %v", o, err)
	}
	if _, err := ParseSpec("/kc?members-file=/m&members=a,b"); err == nil {
		t.Error("members and members-file together: no error")
	}
	if o, err := ParseSpec("/kc?members=a,b"); err != nil || !slices.Equal(o.Members, []string{"a", "b"}) {
		t.Errorf("members=a,b: %+v, %v", o.Members, err)
	}
}

func TestParseSpecLease(t *testing.T) {
	o, err := ParseSpec("/kc?lease=gslb/gslb-syncer&identity=pod-a&lease-duration=3s&lease-renew=2s&lease-retry=500ms")
	want := LeaseOptions{Namespace: "gslb", Name: "gslb-syncer", Identity: "pod-a", Duration: 3 * time.Second, Renew: 2 * time.Second, Retry: 500 * time.Millisecond}
	if err != nil || o.Lease != want {
		t.Fatalf("ParseSpec: %+v, %v; want %+v", o.Lease, err, want)
	}
	o, err = ParseSpec("/kc?lease=gslb/gslb-syncer&lease-duration=3s&lease-renew=2s&lease-retry=1s&probe-lease=gslb/gslb-probes-site1")
	wantProbe := LeaseOptions{Namespace: "gslb", Name: "gslb-probes-site1", Duration: 3 * time.Second, Renew: 2 * time.Second, Retry: time.Second}
	if err != nil || o.ProbeLease != wantProbe {
		t.Errorf("probe-lease: %+v, %v; want %+v", o.ProbeLease, err, wantProbe)
	}
	if o, err := ParseSpec("/kc"); err != nil || o.Lease.enabled() || o.Lease.Duration != DefaultLeaseDuration {
		t.Errorf("no lease: %+v, %v", o.Lease, err)
	}
	for _, tc := range []struct{ spec, err string }{
		{"/kc?lease=gslb", `option lease="gslb": want NAMESPACE/NAME`},
		{"/kc?lease=/x", `option lease="/x": want NAMESPACE/NAME`},
		{"/kc?lease=a/b/c", `option lease="a/b/c": want NAMESPACE/NAME`},
		{"/kc?lease=a/b&lease-renew=20s", "options lease-duration=15s, lease-renew=20s, lease-retry=2s: want duration > renew > 1.2 × retry"},
		{"/kc?lease=a/b&lease-retry=9s", "options lease-duration=15s, lease-renew=10s, lease-retry=9s: want duration > renew > 1.2 × retry"},
		{"/kc?lease-duration=0s", `option lease-duration="0s": want a positive duration`},
		{"/kc?probe-lease=gslb", `option probe-lease="gslb": want NAMESPACE/NAME`},
		{"/kc?lease=gslb/a&probe-lease=gslb/a", "options lease and probe-lease: want two Leases (probe-lease is one per site)"},
	} {
		if _, err := ParseSpec(tc.spec); err == nil || err.Error() != tc.err {
			t.Errorf("ParseSpec(%q) = %v; want %q", tc.spec, err, tc.err)
		}
	}
}
