// Package gslbctl implements the operator's CLI: measuring the split a GSLB
// name really gets (split), following a name as a user would (watch), and
// dumping the plugin's table (table).
package gslbctl

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Expected is one member's configured weight.
type Expected struct {
	Member, Cluster, Site string
	Weight                uint32
}

// ParseExpect parses --expect: positional weights "6:3:1" (applied to the
// answered members in address order) or explicit "ADDR=W,ADDR=W".
func ParseExpect(s string) (positional []uint32, named []Expected, err error) {
	if strings.Contains(s, "=") {
		for _, part := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			w, err := strconv.ParseUint(v, 10, 32)
			if !ok || k == "" || err != nil {
				return nil, nil, fmt.Errorf("--expect %q: want ADDR=WEIGHT,ADDR=WEIGHT or W:W:W", s)
			}
			named = append(named, Expected{Member: k, Weight: uint32(w)})
		}
		return nil, named, nil
	}
	for _, part := range strings.Split(s, ":") {
		w, err := strconv.ParseUint(strings.TrimSpace(part), 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("--expect %q: want W:W:W (e.g. 6:3:1) or ADDR=WEIGHT,ADDR=WEIGHT", s)
		}
		positional = append(positional, uint32(w))
	}
	return positional, nil, nil
}

// Querier sends one DNS query; tests and the CLI use a real client.
type Querier interface {
	Exchange(m *dns.Msg, addr string) (*dns.Msg, time.Duration, error)
}

// SplitOptions says what to measure.
type SplitOptions struct {
	Server   string // host:port
	Name     string
	Qtype    uint16
	N        int           // queries to send
	QPS      float64       // rate limit; 0 = as fast as answers come
	Deadline time.Duration // bound on the whole run
	Alpha    float64       // significance level of the chi-square test
	Client   Querier
	// Subnet, when valid, is sent as EDNS Client Subnet in every query, so
	// the split seen by the clients of one network is measured.
	Subnet netip.Prefix
}

// Row is one member's line of the report.
type Row struct {
	Expected
	Count      int
	Configured float64 // share, 0..1
	Observed   float64 // share, 0..1
}

// SplitResult is the measured split and the verdict.
type SplitResult struct {
	Name      string
	Qtype     uint16
	Sent      int
	Answered  int
	Failed    int
	Elapsed   time.Duration
	Rows      []Row
	Stat, P   float64
	DF        int
	Alpha     float64
	Unplanned []string // members answered but not configured
	OK        bool
	Exact     bool // every count equals its weight's share exactly
}

// Measure sends the queries and counts the member each answer names.
func Measure(ctx context.Context, o SplitOptions) (counts map[string]int, sent, failed int, elapsed time.Duration, err error) {
	if o.N <= 0 {
		return nil, 0, 0, 0, fmt.Errorf("-n must be positive")
	}
	if o.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Deadline)
		defer cancel()
	}
	counts = map[string]int{}
	var tick <-chan time.Time
	if o.QPS > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / o.QPS))
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(o.Name), o.Qtype)
	if o.Subnet.IsValid() {
		AddECS(m, o.Subnet)
	}
	for sent < o.N {
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return counts, sent, failed, time.Since(start), nil
			}
		} else if ctx.Err() != nil {
			break
		}
		sent++
		m.Id = dns.Id()
		r, _, err := o.Client.Exchange(m, o.Server)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			failed++
			continue
		}
		counts[memberOf(r.Answer[0])]++
	}
	return counts, sent, failed, time.Since(start), nil
}

func memberOf(rr dns.RR) string {
	switch x := rr.(type) {
	case *dns.A:
		return x.A.String()
	case *dns.AAAA:
		return x.AAAA.String()
	case *dns.CNAME:
		return x.Target
	}
	return rr.Header().String()
}

// Evaluate compares counts with the configured members. expected may be nil
// when positional weights are given instead.
func Evaluate(name string, qtype uint16, counts map[string]int, sent, failed int, elapsed time.Duration,
	expected []Expected, positional []uint32, alpha float64) (*SplitResult, error) {
	res := &SplitResult{Name: name, Qtype: qtype, Sent: sent, Failed: failed, Elapsed: elapsed, Alpha: alpha}
	for _, c := range counts {
		res.Answered += c
	}
	if positional != nil {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareMembers)
		if len(keys) > len(positional) {
			return nil, fmt.Errorf("--expect gives %d weights but %d members answered (%s)", len(positional), len(keys), strings.Join(keys, ", "))
		}
		for i, w := range positional {
			m := fmt.Sprintf("(member %d: never answered)", i+1)
			if i < len(keys) {
				m = keys[i]
			}
			expected = append(expected, Expected{Member: m, Weight: w})
		}
	}
	if len(expected) == 0 {
		return nil, fmt.Errorf("no configured weights: give --expect or --api")
	}
	total := uint32(0)
	for _, e := range expected {
		total += e.Weight
	}
	if total == 0 {
		return nil, fmt.Errorf("the configured weights add up to 0")
	}
	configured := map[string]bool{}
	obs := make([]int, 0, len(expected))
	exp := make([]float64, 0, len(expected))
	res.Exact = true
	for _, e := range expected {
		configured[e.Member] = true
		share := float64(e.Weight) / float64(total)
		c := counts[e.Member]
		res.Rows = append(res.Rows, Row{Expected: e, Count: c, Configured: share, Observed: ratio(c, res.Answered)})
		obs = append(obs, c)
		exp = append(exp, share*float64(res.Answered))
		if float64(c) != share*float64(res.Answered) {
			res.Exact = false
		}
	}
	for k, c := range counts {
		if !configured[k] {
			res.Unplanned = append(res.Unplanned, k)
			res.Rows = append(res.Rows, Row{Expected: Expected{Member: k}, Count: c, Observed: ratio(c, res.Answered)})
			res.Exact = false
		}
	}
	slices.Sort(res.Unplanned)
	res.Stat, res.P, res.DF = chiSquare(obs, exp)
	res.OK = res.Answered > 0 && len(res.Unplanned) == 0 && res.P >= alpha
	return res, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// compareMembers orders addresses numerically, then names.
func compareMembers(a, b string) int {
	x, errA := netip.ParseAddr(a)
	y, errB := netip.ParseAddr(b)
	switch {
	case errA == nil && errB == nil:
		return x.Compare(y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// Print writes the report as a table.
func (r *SplitResult) Print(w io.Writer) {
	fmt.Fprintf(w, "%s %s: %d queries, %d answered, %d failed, in %s\n\n",
		dns.Fqdn(r.Name), dns.TypeToString[r.Qtype], r.Sent, r.Answered, r.Failed, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "%-28s %-10s %-8s %7s %11s %9s %8s %10s\n", "MEMBER", "CLUSTER", "SITE", "WEIGHT", "CONFIGURED", "OBSERVED", "ANSWERS", "DEVIATION")
	for _, row := range r.Rows {
		weight := strconv.Itoa(int(row.Weight))
		if row.Configured == 0 && row.Weight == 0 && slices.Contains(r.Unplanned, row.Member) {
			weight = "-"
		}
		fmt.Fprintf(w, "%-28s %-10s %-8s %7s %10.1f%% %8.1f%% %8d %+8.1f pp\n",
			row.Member, dash(row.Cluster), dash(row.Site), weight, 100*row.Configured, 100*row.Observed, row.Count,
			100*(row.Observed-row.Configured))
	}
	fmt.Fprintln(w)
	verdict := "consistent with the configured weights"
	switch {
	case r.Answered == 0:
		verdict = "NO ANSWERS"
	case len(r.Unplanned) > 0:
		verdict = "DEVIATES: answered members that are not configured: " + strings.Join(r.Unplanned, ", ")
	case r.P < r.Alpha:
		verdict = "DEVIATES from the configured weights"
	}
	if r.Exact && r.Answered > 0 {
		verdict += " (exact: every count equals its share)"
	}
	fmt.Fprintf(w, "chi-square %.2f, df %d, p = %.4g at significance level %g: %s\n", r.Stat, r.DF, r.P, r.Alpha, verdict)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// AddECS adds an EDNS Client Subnet option (RFC 7871) for the prefix.
func AddECS(m *dns.Msg, p netip.Prefix) {
	p = p.Masked()
	e := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: p.Addr().AsSlice()}
	if p.Addr().Is6() {
		e.Family = 2
	}
	o := m.IsEdns0()
	if o == nil {
		m.SetEdns0(dns.DefaultMsgSize, false)
		o = m.IsEdns0()
	}
	o.Option = append(o.Option, e)
}

// ParseSubnet parses --subnet and --client: a CIDR or a bare address (a
// host prefix).
func ParseSubnet(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
