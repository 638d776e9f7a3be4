package table

import (
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// A member the plugin served DOWN because its source said so (its backends
// had no ready endpoint: readiness in healthcheck.go) keeps that verdict
// while it is kept without its source (stale.go): passing probes must not
// bring it back before the source says it is ready. Like a drain, it stays
// DOWN with its reason until the source is seen again and decides anew. A
// member DOWN by its probes starts over (UNKNOWN) and is probed again.

// readinessReasons are what the reasons readiness gives begin with or
// contain; TestReadinessReasonsRecognised keeps them in step.
var readinessReasons = []string{"no EndpointSlice for service ", " endpoints ready in service ", "no backend ready: "}

// downBySource reports whether a member kept from the plugin's table was
// served DOWN by its source's readiness verdict.
func downBySource(m *gslbv1.Member) bool {
	if m.GetHealth() != gslbv1.Health_HEALTH_DOWN {
		return false
	}
	for _, r := range readinessReasons {
		if strings.Contains(m.GetHealthReason(), r) {
			return true
		}
	}
	return false
}
