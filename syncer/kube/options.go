package kube

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configure the Kubernetes source.
type Options struct {
	// Kubeconfig is a kubeconfig file with one context per member cluster.
	// It is re-read when it changes (a mounted Secret is updated in place):
	// members added, removed or with new credentials apply live.
	Kubeconfig string
	// Members are the contexts that are member clusters; empty (and no
	// MembersFile): every context.
	Members []string
	// MembersFile, instead of Members, is a file naming the member contexts
	// (see ParseMembers), re-read like the kubeconfig when it changes.
	MembersFile string
	// ConfigContext is the context whose cluster holds the policies. Empty:
	// in-cluster when running in a Pod, else the kubeconfig's current context.
	ConfigContext string
	// Grace is how long an unreachable member keeps its last-known members.
	Grace time.Duration
	// Probe is how often each cluster is checked (GET /readyz).
	Probe time.Duration
	// Zones (canonical) the plugins serve; FQDNs outside them are ignored.
	Zones []string
	// LabelSelector restricts the Services and Ingresses listed and watched.
	LabelSelector string
	// Kinds are the optional kinds (Gateway API, OpenShift Route) looked
	// for, and whether a missing one is named in the status (kinds.go).
	Kinds OptionalKinds
	// RouterNamespace is where the OpenShift routers' Services are
	// (router-NAME, routers.go); "none": not read. Default openshift-ingress.
	RouterNamespace string
	// MetricsAddr is the metrics= option: gslb-syncer serves its metrics
	// (the source's among them) there when --metrics is not given.
	MetricsAddr string
	// Registerer receives the source's metrics. Nil: they are kept in a
	// registry of their own that nothing serves.
	Registerer prometheus.Registerer
	// StartWait is how long the start-up waits for every cluster to sync
	// before the first table; those not synced by then keep what the
	// plugin served for them (see Source.Seed).
	StartWait time.Duration
	// Reload is how often the kubeconfig and members files are checked for changes.
	Reload time.Duration
	// Lease, when set, is the Lease (in the config cluster) the syncers
	// elect the one writer of status and Events with (leader.go). Empty:
	// this syncer writes them, with no election.
	Lease LeaseOptions
	// ProbeLease, when set, is the Lease (in the config cluster) the
	// syncers of one site elect their probe leader with (probeleader.go,
	// syncer/healthshare): one name per site. Its durations are Lease's.
	ProbeLease LeaseOptions
	Logger     *slog.Logger
}

// Defaults.
const (
	DefaultGrace     = 60 * time.Second
	DefaultProbe     = time.Second
	DefaultReload    = 2 * time.Second
	DefaultStartWait = 30 * time.Second
	// DefaultRouterNamespace is OpenShift's namespace of the routers'
	// Services.
	DefaultRouterNamespace = "openshift-ingress"

	DefaultLeaseDuration = 15 * time.Second
	DefaultLeaseRenew    = 10 * time.Second
	DefaultLeaseRetry    = 2 * time.Second
)

// LeaseOptions configure the election of the status writer.
type LeaseOptions struct {
	Namespace, Name string
	// Identity names this syncer in the Lease: the identity= option, else
	// $POD_NAME, else HOSTNAME_PID.
	Identity string
	// Duration is how long the others wait before taking over from a
	// leader that stopped renewing; Renew is how long the leader keeps
	// retrying a renewal before it stops writing; Retry is how often
	// the Lease is tried.
	Duration, Renew, Retry time.Duration
}

func (l LeaseOptions) enabled() bool { return l.Name != "" }

// ParseSpec parses the argument of "--source kubernetes:ARG":
//
//	KUBECONFIG[?members=a,b,c|members-file=PATH&config=CTX&grace=60s&probe=1s&startwait=30s&zones=z1,z2&selector=SEL&kinds=auto|all|K1,K2&router-namespace=NS&metrics=HOST:PORT
//	  &lease=NAMESPACE/NAME&identity=ID&lease-duration=15s&lease-renew=10s&lease-retry=2s&probe-lease=NAMESPACE/NAME]
func ParseSpec(arg string) (Options, error) {
	o := Options{Grace: DefaultGrace, Probe: DefaultProbe, Reload: DefaultReload, StartWait: DefaultStartWait, RouterNamespace: DefaultRouterNamespace,
		Lease: LeaseOptions{Duration: DefaultLeaseDuration, Renew: DefaultLeaseRenew, Retry: DefaultLeaseRetry}}
	path, query, _ := strings.Cut(arg, "?")
	if path == "" {
		return o, fmt.Errorf("missing kubeconfig path")
	}
	o.Kubeconfig = path
	q, err := url.ParseQuery(query)
	if err != nil {
		return o, fmt.Errorf("options %q: %v", query, err)
	}
	list := func(s string) []string {
		var out []string
		for v := range strings.SplitSeq(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "members":
			o.Members = list(v)
		case "members-file":
			o.MembersFile = v
		case "config":
			o.ConfigContext = v
		case "grace", "probe", "reload", "startwait", "lease-duration", "lease-renew", "lease-retry":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return o, fmt.Errorf("option %s=%q: want a positive duration", k, v)
			}
			*o.duration(k) = d
		case "lease", "probe-lease":
			ns, name, ok := strings.Cut(v, "/")
			if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
				return o, fmt.Errorf("option %s=%q: want NAMESPACE/NAME", k, v)
			}
			l := &o.Lease
			if k == "probe-lease" {
				l = &o.ProbeLease
			}
			l.Namespace, l.Name = ns, name
		case "identity":
			o.Lease.Identity = v
		case "zones":
			for _, z := range list(v) {
				c, err := gslbv1.CanonicalName(z)
				if err != nil {
					return o, fmt.Errorf("option zones: %v", err)
				}
				o.Zones = append(o.Zones, c)
			}
		case "selector":
			o.LabelSelector = v
		case "kinds":
			if o.Kinds, err = ParseOptionalKinds(v); err != nil {
				return o, err
			}
		case "router-namespace":
			o.RouterNamespace = v
		case "metrics":
			o.MetricsAddr = v
		default:
			return o, fmt.Errorf("unknown option %q (known: members, members-file, config, grace, probe, reload, startwait, zones, selector, kinds, router-namespace, metrics, lease, identity, lease-duration, lease-renew, lease-retry, probe-lease)", k)
		}
	}
	if l := o.Lease; l.Duration <= l.Renew || 5*l.Renew <= 6*l.Retry {
		return o, fmt.Errorf("options lease-duration=%s, lease-renew=%s, lease-retry=%s: want duration > renew > 1.2 × retry", l.Duration, l.Renew, l.Retry)
	}
	o.ProbeLease.Duration, o.ProbeLease.Renew, o.ProbeLease.Retry = o.Lease.Duration, o.Lease.Renew, o.Lease.Retry
	if o.ProbeLease.enabled() && o.ProbeLease == o.Lease {
		return o, fmt.Errorf("options lease and probe-lease: want two Leases (probe-lease is one per site)")
	}
	if o.MembersFile != "" && len(o.Members) > 0 {
		return o, fmt.Errorf("options members and members-file: give one")
	}
	return o, nil
}

// duration is the field a duration option sets.
func (o *Options) duration(option string) *time.Duration {
	switch option {
	case "grace":
		return &o.Grace
	case "probe":
		return &o.Probe
	case "startwait":
		return &o.StartWait
	case "lease-duration":
		return &o.Lease.Duration
	case "lease-renew":
		return &o.Lease.Renew
	case "lease-retry":
		return &o.Lease.Retry
	default:
		return &o.Reload
	}
}

// ParseMembers parses a members file: context names separated by newlines,
// commas or spaces; '#' starts a comment. A YAML list of names, under a key
// "members:" or not, block or flow style, reads the same. It
// must name at least one context: an empty file is more likely a file being
// written than a wish to drop every member.
func ParseMembers(b []byte) ([]string, error) {
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "---" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "members:"); ok {
			line = strings.TrimSpace(rest)
		}
		line = strings.TrimPrefix(line, "- ")
		line = strings.Trim(line, "[]")
		for f := range strings.FieldsFuncSeq(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			f = strings.Trim(f, `"'`)
			if f == "" {
				continue
			}
			if f == "-" || strings.HasSuffix(f, ":") {
				return nil, fmt.Errorf("unexpected %q: want context names, one per line", f)
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("names no context")
	}
	return out, nil
}

// withDefaults returns o with the defaults of what it leaves unset.
func (o Options) withDefaults() Options {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Probe <= 0 {
		o.Probe = DefaultProbe
	}
	if o.Reload <= 0 {
		o.Reload = DefaultReload
	}
	if o.StartWait <= 0 {
		o.StartWait = DefaultStartWait
	}
	o.Lease.defaults()
	o.ProbeLease.defaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
