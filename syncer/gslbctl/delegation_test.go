package gslbctl

import (
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
)

// WriteDelegation: one row per output, its state and since when, whether
// the site's DNS is ready and by which check, the last success, the next
// check and the last error, times as of the syncer's now.
func TestWriteDelegation(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	out := func(name, where string, st delegation.OutputState) delegation.OutputStatus {
		return delegation.OutputStatus{Output: name, Where: where, Zone: "avi.iberia.local.", NS: "g-dns-a.iberia.local.",
			Addresses: []string{"192.0.2.53"}, State: st}
	}
	rfc := out("rfc2136", "192.0.2.10:53 zone iberia.local.", delegation.StateRegistered)
	rfc.Since, rfc.LastSuccess, rfc.NextCheck = at(-5*time.Minute), at(-2*time.Second), at(8*time.Second)
	rfc.ReadyBy = delegation.ReadySiteDNS
	failing := out("rfc2136", "192.0.2.10:53 zone iberia.local.", delegation.StateFailing)
	failing.Since, failing.LastSuccess, failing.NextCheck = at(-130*time.Second), at(-10*time.Minute), at(20*time.Second)
	failing.LastError = &delegation.StatusError{Reason: "badsig", Since: at(-130 * time.Second), At: at(-time.Second),
		Message: "delegation: update of iberia.local. at 192.0.2.10:53 refused: NOTAUTH (TSIG BADSIG: the secret of key gslb-a. is not the parent's)"}
	held := out("dnsendpoint", "DNSEndpoint gslb/gslb-delegation-avi-iberia-local", delegation.StateRegistered)
	held.Detail, held.Since, held.NextCheck = "not withdrawn: the zone's last NS in the parent", at(-time.Hour), at(-time.Second)
	held.NotReadySince = at(-2 * time.Hour)
	starting := out("dnsendpoint", "DNSEndpoint gslb/x", delegation.StateStarting)

	const header = "zone avi.iberia.local.  NS g-dns-a.iberia.local.  addresses 192.0.2.53\n"
	cases := []struct {
		name string
		outs []delegation.OutputStatus
		want string
	}{
		{"registered", []delegation.OutputStatus{rfc}, header +
			"OUTPUT   WHERE                             STATE       SINCE                SITE READY      LAST SUCCESS       NEXT CHECK  LAST ERROR\n" +
			"rfc2136  192.0.2.10:53 zone iberia.local.  registered  11:55:00 (5m0s ago)  yes (site-dns)  11:59:58 (2s ago)  in 8s       -\n"},
		{"failing", []delegation.OutputStatus{failing}, header +
			"OUTPUT   WHERE                             STATE    SINCE                 SITE READY  LAST SUCCESS          NEXT CHECK  LAST ERROR\n" +
			"rfc2136  192.0.2.10:53 zone iberia.local.  failing  11:57:50 (2m10s ago)  -           11:50:00 (10m0s ago)  in 20s      " +
			"badsig since 11:57:50 (2m10s ago): " + failing.LastError.Message + "\n"},
		{"held back, and a new output", []delegation.OutputStatus{held, starting}, header +
			"OUTPUT       WHERE                                              STATE                                                         SINCE                  SITE READY                       LAST SUCCESS  NEXT CHECK  LAST ERROR\n" +
			"dnsendpoint  DNSEndpoint gslb/gslb-delegation-avi-iberia-local  registered (not withdrawn: the zone's last NS in the parent)  11:00:00 (1h0m0s ago)  no, since 10:00:00 (2h0m0s ago)  never         due         -\n" +
			"dnsendpoint  DNSEndpoint gslb/x                                 starting                                                      never                  -                                never         -           -\n"},
		{"no outputs", nil, "no outputs\n"},
	}
	for _, tc := range cases {
		var b strings.Builder
		if err := WriteDelegation(&b, &delegation.StatusAt{Now: now, Status: &delegation.Status{Outputs: tc.outs}}); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != tc.want {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}
