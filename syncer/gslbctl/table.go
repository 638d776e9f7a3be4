package gslbctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
	"google.golang.org/protobuf/encoding/protojson"
)

// Dump reads the plugin's whole table through the read-only Dump call.
func Dump(ctx context.Context, c gslbv1.TableClient) (*gslbv1.StatusResponse, []*gslbv1.Record, error) {
	s, err := c.Dump(ctx, &gslbv1.DumpRequest{})
	if err != nil {
		return nil, nil, err
	}
	var st *gslbv1.StatusResponse
	var recs []*gslbv1.Record
	for {
		ch, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return st, recs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if ch.GetStatus() != nil {
			st = ch.GetStatus()
		}
		recs = append(recs, ch.GetRecords()...)
	}
}

// FindRecord returns the record of name from a dump, or nil.
func FindRecord(recs []*gslbv1.Record, name string) *gslbv1.Record {
	want, err := gslbv1.CanonicalName(name)
	if err != nil {
		return nil
	}
	for _, r := range recs {
		if n, _ := gslbv1.CanonicalName(r.GetFqdn()); n == want {
			return r
		}
	}
	return nil
}

// Configured returns the members that answer qtype for r right now, with
// their weights: the plugin's rule (the highest priority level with a
// healthy member of positive weight; addresses of the family and hostnames).
func Configured(r *gslbv1.Record, qtype uint16) ([]Expected, error) {
	var e Explanation
	active := activeLevel(r, qtype, &e)
	if len(active) == 0 {
		return nil, fmt.Errorf("%s has no healthy member for %s: its down response applies", r.GetFqdn(), dns.TypeToString[qtype])
	}
	out := make([]Expected, len(active))
	for j, i := range active {
		out[j] = e.Candidates[i].Expected
	}
	return out, nil
}

// ConfiguredFor is Configured for the clients of one subnet (split
// --subnet): for the algorithms that route by who asks, the members that
// serve that subnet.
func ConfiguredFor(r *gslbv1.Record, qtype uint16, subnet netip.Prefix) ([]Expected, error) {
	if r.GetAlgorithm() == gslbv1.Algorithm_ALGORITHM_GEO {
		return nil, fmt.Errorf("%s routes by the plugin's GeoIP database: give the expected weights with --expect", r.GetFqdn())
	}
	e := Explain(r, subnet, qtype, nil)
	if e.Down != "" {
		return nil, fmt.Errorf("%s has no healthy member for %s: its down response applies", r.GetFqdn(), dns.TypeToString[qtype])
	}
	return e.Answer, nil
}

// memberKey is how an answer names the member: the address as printed by
// the DNS library, or the hostname fully qualified.
func memberKey(m *gslbv1.Member) string {
	if m.GetHostname() != "" {
		n, _ := gslbv1.CanonicalName(m.GetHostname())
		return n
	}
	a, err := netip.ParseAddr(m.GetAddress())
	if err != nil {
		return m.GetAddress()
	}
	return a.Unmap().String()
}

// PrintTable writes a dump as text or JSON.
func PrintTable(w io.Writer, st *gslbv1.StatusResponse, recs []*gslbv1.Record, format string, now time.Time) error {
	switch format {
	case "json":
		type out struct {
			Status  json.RawMessage   `json:"status"`
			Records []json.RawMessage `json:"records"`
		}
		o := out{Records: []json.RawMessage{}}
		mo := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
		b, err := mo.Marshal(st)
		if err != nil {
			return err
		}
		o.Status = b
		for _, r := range recs {
			b, err := mo.Marshal(r)
			if err != nil {
				return err
			}
			o.Records = append(o.Records, b)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(o)
	case "text", "":
	default:
		return fmt.Errorf("unknown output format %q (text or json)", format)
	}
	if st.GetVersion() == 0 {
		fmt.Fprintf(w, "no table loaded (the plugin is not ready); zones %s\n", strings.Join(st.GetZones(), " "))
		return nil
	}
	updated := time.Unix(0, st.GetUpdatedUnixNano())
	fmt.Fprintf(w, "version %d, %d records, updated %s (%s ago), zones %s\n",
		st.GetVersion(), st.GetRecords(), updated.UTC().Format(time.RFC3339), now.Sub(updated).Round(time.Second), strings.Join(st.GetZones(), " "))
	for _, r := range recs {
		ttl := "default"
		if r.Ttl != nil { // 0 is served as 0
			ttl = fmt.Sprint(r.GetTtl())
		}
		alg := strings.ToLower(strings.TrimPrefix(r.GetAlgorithm().String(), "ALGORITHM_"))
		if r.GetAlgorithm() == gslbv1.Algorithm_ALGORITHM_UNSPECIFIED {
			alg = "wrr (default)"
		}
		down := strings.ToLower(strings.TrimPrefix(r.GetDownResponse().String(), "DOWN_RESPONSE_"))
		if r.GetDownResponse() == gslbv1.DownResponse_DOWN_RESPONSE_UNSPECIFIED {
			down = "all (default)"
		}
		fmt.Fprintf(w, "\n%s ttl %s, %s, down response %s", r.GetFqdn(), ttl, alg, down)
		if len(r.GetFallback()) > 0 {
			fmt.Fprintf(w, " (fallback %s)", strings.Join(r.GetFallback(), " "))
		}
		fmt.Fprintln(w)
		printStale(w, "  ", r.GetStale(), now)
		fmt.Fprintf(w, "  %-28s %-10s %-8s %6s %8s %-8s %s\n", "MEMBER", "CLUSTER", "SITE", "WEIGHT", "PRIORITY", "HEALTH", "REASON")
		for _, m := range r.GetMembers() {
			fmt.Fprintf(w, "  %-28s %-10s %-8s %6d %8d %-8s %s\n", memberKey(m), dash(m.GetCluster()), dash(m.GetSite()),
				m.GetWeight(), m.GetPriority(), strings.ToLower(strings.TrimPrefix(m.GetHealth().String(), "HEALTH_")), m.GetHealthReason())
			printStale(w, "    ", m.GetStale(), now)
			printCheck(w, "    ", m.GetCheck())
		}
	}
	return nil
}

// printCheck writes how the syncer probes a member (the check the table
// carries for it), in brief.
func printCheck(w io.Writer, indent string, c *gslbv1.HealthCheck) {
	if c == nil {
		return
	}
	what := strings.ToLower(strings.TrimPrefix(c.GetType().String(), "CHECK_TYPE_"))
	if c.GetType() != gslbv1.CheckType_CHECK_TYPE_TCP {
		what += " " + c.GetMethod() + " " + c.GetPath()
	}
	at := ""
	if c.GetAddress() != "" {
		at = " at " + c.GetAddress()
	}
	fmt.Fprintf(w, "%sprobed: %s on port %d%s every %v (timeout %v, rise %d, fall %d)\n", indent, what, c.GetPort(), at,
		time.Duration(c.GetIntervalMs())*time.Millisecond, time.Duration(c.GetTimeoutMs())*time.Millisecond, c.GetRise(), c.GetFall())
}

// printStale writes what the syncer keeps without seeing it, since when and why.
func printStale(w io.Writer, indent string, st *gslbv1.Stale, now time.Time) {
	if st == nil {
		return
	}
	since := time.Unix(0, st.GetSinceUnixNano())
	fmt.Fprintf(w, "%sstale since %s (%s ago): %s\n", indent, since.UTC().Format(time.RFC3339), now.Sub(since).Round(time.Second), st.GetReason())
}
