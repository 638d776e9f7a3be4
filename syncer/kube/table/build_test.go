package table

import (
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"

	"google.golang.org/protobuf/encoding/prototext"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const hello = kubetest.Hello

var t0 = kubetest.T0

var gdp = kubetest.Policy

func obj(kind, ns, name string, lbls map[string]string, fqdn string, addrs ...string) Object {
	o := Object{Kind: kind, Namespace: ns, Name: name, Labels: lbls, FQDNs: []string{fqdn}}
	for _, a := range addrs {
		if strings.ContainsAny(a, ":0123456789") && !strings.HasSuffix(a, ".") {
			o.Addresses = append(o.Addresses, a)
		} else {
			o.Hostnames = append(o.Hostnames, a)
		}
	}
	return o
}

var gslbApp = map[string]string{"app": "gslb"}

// scenario is the three clusters with hello's Ingress in each.
func scenario() []ClusterView {
	cs := []ClusterView{{Name: "s1az1"}, {Name: "s1az2"}, {Name: "s2"}}
	for i := range cs {
		cs[i].Objects = []Object{obj("Ingress", "default", "hello", gslbApp, hello, "127.0.0.1"+string(rune('1'+i)))}
		cs[i].NamespaceLabels = map[string]map[string]string{"default": {"env": "prod"}}
	}
	return cs
}

// brief renders a record's members as "cluster=addr/weight/prio" lines.
func brief(r *gslbv1.Record) string {
	var b strings.Builder
	for _, m := range r.Members {
		b.WriteString(m.Cluster + "=" + m.Address + m.Hostname + "/" + itoa(m.Weight) + "/" + itoa(m.Priority) + " ")
	}
	return strings.TrimSpace(b.String())
}

func itoa(u uint32) string {
	s := ""
	for {
		s = string(rune('0'+u%10)) + s
		u /= 10
		if u == 0 {
			return s
		}
	}
}

func TestBuild(t *testing.T) {
	ttl30 := int32(30)
	tests := []struct {
		name   string
		in     func() Input
		want   map[string]string // fqdn → brief; absent fqdn: no record
		check  func(t *testing.T, r Result)
		absent []string
	}{
		{
			name: "6:4:2",
			in: func() Input {
				return Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=127.0.0.13/2/0"},
			check: func(t *testing.T, r Result) {
				rec := r.Records[0]
				if rec.GetTtl() != 2 || rec.Algorithm != gslbv1.Algorithm_ALGORITHM_WRR {
					t.Errorf("record %v", prototext.Format(rec))
				}
				p := r.Policies["gslb/p"]
				if !p.Accepted || len(p.FQDNs) != 1 || len(p.Clusters) != 3 || p.Clusters[0].State != v1alpha1.StateSynced || p.Clusters[0].Members != 1 {
					t.Errorf("policy result %+v", p)
				}
			},
		},
		{
			name: "unlabelled object ignored",
			in: func() Input {
				cs := scenario()
				cs[2].Objects[0].Labels = nil
				return Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0"},
		},
		{
			name: "namespaceSelector ANDed",
			in: func() Input {
				cs := scenario()
				cs[1].NamespaceLabels["default"] = map[string]string{"env": "dev"}
				return Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
					s.MatchRules.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
				})}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s2=127.0.0.13/2/0"},
		},
		{
			name: "matchClusters and default weight",
			in: func() Input {
				return Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
					s.MatchClusters = []string{"s2", "s1az2"}
					s.TrafficSplit = []v1alpha1.TrafficSplit{{Cluster: "s2", Weight: 5, Priority: 10}}
				})}}
			},
			want: map[string]string{hello: "s1az2=127.0.0.12/1/0 s2=127.0.0.13/5/10"},
		},
		{
			name: "IPv6 and hostname members, duplicates once",
			in: func() Input {
				cs := scenario()
				cs[0].Objects = append(cs[0].Objects, obj("Service", "default", "hello", gslbApp, hello, "::1", "127.0.0.11"))
				cs[1].Objects[0] = obj("Ingress", "default", "hello", gslbApp, hello, "lb.example.net.")
				return Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az1=::1/6/0 s1az2=lb.example.net./4/0 s2=127.0.0.13/2/0"},
		},
		{
			name: "conflict: the oldest policy wins, both report it",
			in: func() Input {
				newer := gdp("b-newer", 10, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
					s.TrafficSplit = []v1alpha1.TrafficSplit{{Cluster: "s1az1", Weight: 1}}
				})
				return Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{newer, gdp("z-older", 0)}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=127.0.0.13/2/0"},
			check: func(t *testing.T, r Result) {
				o, n := r.Policies["gslb/z-older"], r.Policies["gslb/b-newer"]
				if len(o.Conflicts) != 1 || !strings.Contains(o.Conflicts[0], "gslb/b-newer") || len(o.FQDNs) != 1 {
					t.Errorf("older: %+v", o)
				}
				if len(n.Conflicts) != 1 || !strings.Contains(n.Conflicts[0], "served by gslb/z-older") || len(n.FQDNs) != 0 {
					t.Errorf("newer: %+v", n)
				}
			},
		},
		{
			name: "unknown clusters in trafficSplit and matchClusters ignored and reported",
			in: func() Input {
				return Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
					s.TrafficSplit = append(s.TrafficSplit, v1alpha1.TrafficSplit{Cluster: "s9", Weight: 1})
					s.MatchClusters = []string{"s1az1", "gone", "s2"}
				})}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s2=127.0.0.13/2/0"},
			check: func(t *testing.T, r Result) {
				p := r.Policies["gslb/p"]
				if !p.Accepted || p.Unresolved != `matchClusters "gone" and trafficSplit "s9": not a member cluster, ignored (members: s1az1, s1az2, s2)` {
					t.Errorf("policy %+v", p)
				}
				st := PolicyStatus(gdp("p", 0), p, nil, nil, Push{})
				if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionResolvedRefs); c == nil || c.Status != metav1.ConditionFalse || c.Reason != v1alpha1.ReasonUnknownCluster {
					t.Errorf("ResolvedRefs %+v", c)
				}
			},
		},
		{
			name: "host rule overrides ttl, split, algorithm, down response; adds third-party members",
			in: func() Input {
				hr := &v1alpha1.GSLBHostRule{
					ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "hello"},
					Spec: v1alpha1.GSLBHostRuleSpec{
						FQDN: "Hello.avi.iberia.local", TTL: &ttl30, Algorithm: v1alpha1.AlgorithmRandom,
						TrafficSplit:      []v1alpha1.TrafficSplit{{Cluster: "s2", Weight: 7}},
						DownResponse:      &v1alpha1.DownResponse{Type: v1alpha1.DownFallback, FallbackAddresses: []string{"192.0.2.1"}},
						ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Address: "198.51.100.7", Weight: 3, Site: "dc3"}},
					},
				}
				return Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}, HostRules: []*v1alpha1.GSLBHostRule{hr}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/1/0 s1az2=127.0.0.12/1/0 s2=127.0.0.13/7/0 =198.51.100.7/3/0"},
			check: func(t *testing.T, r Result) {
				rec := r.Records[0]
				if rec.GetTtl() != 30 || rec.Algorithm != gslbv1.Algorithm_ALGORITHM_RANDOM || rec.DownResponse != gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK || rec.Members[3].Site != "dc3" {
					t.Errorf("record %v", prototext.Format(rec))
				}
			},
		},
		{
			name: "host rule with third-party members only",
			in: func() Input {
				hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "ext"},
					Spec: v1alpha1.GSLBHostRuleSpec{FQDN: "ext.avi.iberia.local", ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Hostname: "www.example.com", Weight: 1}}}}
				bad := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "bad"},
					Spec: v1alpha1.GSLBHostRuleSpec{FQDN: "bad.avi.iberia.local", ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Address: "300.1.1.1", Weight: 1}}}}
				return Input{Clusters: scenario(), HostRules: []*v1alpha1.GSLBHostRule{hr, bad}}
			},
			want:   map[string]string{"ext.avi.iberia.local.": "=www.example.com./1/0"},
			absent: []string{hello, "bad.avi.iberia.local."},
			check: func(t *testing.T, r Result) {
				if b := r.HostRules["gslb/bad"]; b.Accepted || b.Reason != v1alpha1.ReasonInvalidAddress {
					t.Errorf("bad rule %+v", b)
				}
			},
		},
		{
			name: "unreachable within grace keeps members; expired drops them",
			in: func() Input {
				cs := scenario()
				cs[1].State = ClusterUnreachable
				cs[2].State = ClusterExpired
				return Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}}
			},
			want: map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0"},
			check: func(t *testing.T, r Result) {
				cl := r.Policies["gslb/p"].Clusters
				if cl[1].State != v1alpha1.StateUnreachable || cl[2].State != v1alpha1.StateExpired || len(r.KeptExpired) != 0 {
					t.Errorf("clusters %+v kept %v", cl, r.KeptExpired)
				}
			},
		},
		{
			name: "expired members kept when they are all that is left",
			in: func() Input {
				cs := scenario()
				cs[2].State = ClusterExpired
				return Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
					s.MatchClusters = []string{"s2"}
				})}}
			},
			want: map[string]string{hello: "s2=127.0.0.13/2/0"},
			check: func(t *testing.T, r Result) {
				cl := r.Policies["gslb/p"].Clusters
				if len(r.KeptExpired) != 1 || cl[0].State != v1alpha1.StateExpiredKept {
					t.Errorf("clusters %+v kept %v", cl, r.KeptExpired)
				}
			},
		},
		{
			name: "FQDNs outside the zones are not served",
			in: func() Input {
				cs := scenario()
				cs[0].Objects = append(cs[0].Objects, obj("Ingress", "default", "x", gslbApp, "x.example.org.", "127.0.0.99"))
				return Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}, Zones: []string{"avi.iberia.local."}}
			},
			want:   map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=127.0.0.13/2/0"},
			absent: []string{"x.example.org."},
			check: func(t *testing.T, r Result) {
				if len(r.OutOfZone) != 1 {
					t.Errorf("out of zone %v", r.OutOfZone)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Build(tt.in())
			got := map[string]*gslbv1.Record{}
			for _, hr := range r.Records {
				rec := hr
				if err := gslbv1.ValidateRecord(rec); err != nil {
					t.Errorf("invalid record: %v", err)
				}
				got[rec.Fqdn] = rec
			}
			for f, w := range tt.want {
				if got[f] == nil {
					t.Errorf("no record %s", f)
				} else if b := brief(got[f]); b != w {
					t.Errorf("%s members\n got %s\nwant %s", f, b, w)
				}
			}
			for _, f := range tt.absent {
				if got[f] != nil {
					t.Errorf("unexpected record %s: %s", f, brief(got[f]))
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			// Pure: the same input gives the same output.
			if again := Build(tt.in()); len(again.Records) != len(r.Records) {
				t.Errorf("not deterministic")
			}
		})
	}
}

// An edit of one field (ttl, a weight, the algorithm) changes only that field.
func TestEditChangesOnlyThatField(t *testing.T) {
	base := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}}).Records[0]
	edits := map[string]func(*v1alpha1.GlobalDeploymentPolicySpec){
		"ttl":       func(s *v1alpha1.GlobalDeploymentPolicySpec) { v := int32(60); s.TTL = &v },
		"weight":    func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.TrafficSplit[1].Weight = 3 },
		"algorithm": func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.Algorithm = v1alpha1.AlgorithmRandom },
	}
	for name, edit := range edits {
		got := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0, edit)}}).Records[0]
		diff := 0
		if got.GetTtl() != base.GetTtl() {
			diff++
		}
		if got.Algorithm != base.Algorithm {
			diff++
		}
		if brief(got) != brief(base) {
			diff++
		}
		if diff != 1 || (name != "ttl" && got.GetTtl() != 2) {
			t.Errorf("%s edit changed %d fields: %v", name, diff, prototext.Format(got))
		}
	}
}
