package table

import (
	"fmt"
	"strings"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"
)

// This file turns the healthCheck of policies and host rules into the
// prober's checks, and decides endpoint readiness.

// mergeHealthCheck returns over's fields on top of base's, one by one (a
// host rule overrides what it sets of its policy's check).
func mergeHealthCheck(base, over *v1alpha1.HealthCheck) *v1alpha1.HealthCheck {
	switch {
	case over == nil:
		return base
	case base == nil:
		return over
	}
	m := *base
	if over.Type != "" {
		m.Type = over.Type
	}
	if over.Port != 0 {
		m.Port = over.Port
	}
	if over.Method != "" {
		m.Method = over.Method
	}
	if over.Path != "" {
		m.Path = over.Path
	}
	if over.Host != "" {
		m.Host = over.Host
	}
	if over.ExpectStatus != "" {
		m.ExpectStatus = over.ExpectStatus
	}
	if over.BodyContains != "" {
		m.BodyContains = over.BodyContains
	}
	if over.SNI != "" {
		m.SNI = over.SNI
	}
	if over.InsecureSkipVerify {
		m.InsecureSkipVerify = true
	}
	if over.Interval != nil {
		m.Interval = over.Interval
	}
	if over.Timeout != nil {
		m.Timeout = over.Timeout
	}
	if over.Rise != 0 {
		m.Rise = over.Rise
	}
	if over.Fall != 0 {
		m.Fall = over.Fall
	}
	return &m
}

// compileHealthCheck converts a healthCheck into a check without its port
// and host (they depend on the member and the FQDN). ok is false when
// nothing is probed (no healthCheck, or type None). The error names the
// field as the custom resource spells it.
func compileHealthCheck(hc *v1alpha1.HealthCheck) (c health.Check, ok bool, err error) {
	if hc == nil {
		return c, false, nil
	}
	switch strings.ToUpper(string(hc.Type)) {
	case "", "HTTP":
		c.Type = health.TypeHTTP
	case "HTTPS":
		c.Type = health.TypeHTTPS
	case "TCP":
		c.Type = health.TypeTCP
	case "NONE":
		return c, false, nil
	default:
		return c, false, fmt.Errorf("healthCheck.type %q is not one of HTTP, HTTPS, TCP, None", hc.Type)
	}
	isHTTP := c.Type != health.TypeTCP
	for _, f := range []struct {
		name string
		set  bool
	}{{"method", hc.Method != ""}, {"path", hc.Path != ""}, {"host", hc.Host != ""}, {"expectStatus", hc.ExpectStatus != ""},
		{"bodyContains", hc.BodyContains != ""}, {"sni", hc.SNI != ""}, {"insecureSkipVerify", hc.InsecureSkipVerify}} {
		if f.set && !isHTTP {
			return c, false, fmt.Errorf("healthCheck.%s does not apply to type TCP", f.name)
		}
	}
	if (hc.SNI != "" || hc.InsecureSkipVerify) && c.Type != health.TypeHTTPS {
		return c, false, fmt.Errorf("healthCheck: sni and insecureSkipVerify apply to type HTTPS only")
	}
	if hc.Port < 0 || hc.Port > 65535 {
		return c, false, fmt.Errorf("healthCheck.port %d is not between 1 and 65535", hc.Port)
	}
	c.Port = uint16(hc.Port)
	c.Method, c.Path, c.Host, c.BodyContains, c.SNI, c.InsecureSkipVerify = hc.Method, hc.Path, hc.Host, hc.BodyContains, hc.SNI, hc.InsecureSkipVerify
	if hc.ExpectStatus != "" {
		rs, err := health.ParseStatusRanges(hc.ExpectStatus)
		if err != nil {
			return c, false, fmt.Errorf("healthCheck.%v", err)
		}
		c.ExpectStatus = health.CanonicalStatus(rs)
	}
	if hc.Interval != nil {
		c.Interval = hc.Interval.Duration
	}
	if hc.Timeout != nil {
		c.Timeout = hc.Timeout.Duration
	}
	c.Rise, c.Fall = int(hc.Rise), int(hc.Fall)
	// Validate with the defaults and a placeholder port and host.
	probe := c
	if probe.Port == 0 {
		probe.Port = 80
	}
	if err := probe.WithDefaults("placeholder.invalid.").Validate(); err != nil {
		return c, false, fmt.Errorf("healthCheck: %v", err)
	}
	return c, true, nil
}

// memberCheck is the check of one member of fqdn: the check's port, or the
// object's (a Service's first port), or 80 (443 for HTTPS).
func memberCheck(c health.Check, objPort uint16, fqdn string) *health.Check {
	if c.Port == 0 {
		c.Port = objPort
	}
	if c.Port == 0 {
		c.Port = health.DefaultHTTPPort
		if c.Type == health.TypeHTTPS {
			c.Port = health.DefaultHTTPSPort
		}
	}
	c = c.WithDefaults(fqdn)
	return &c
}

// readiness tells whether an object's members for fqdn are ready, from its
// backend Services' endpoints, and why not.
func readiness(mode v1alpha1.EndpointReadiness, eps map[string]EndpointCount, o *Object, fqdn string) (bool, string) {
	backends := o.Backends.Of(fqdn)
	if mode == v1alpha1.ReadinessIgnore || len(backends) == 0 {
		return true, ""
	}
	var bad []string
	good := 0
	for _, b := range backends {
		c, seen := eps[o.Namespace+"/"+b]
		switch {
		case c.Ready > 0:
			good++
			continue
		case !seen:
			bad = append(bad, fmt.Sprintf("no EndpointSlice for service %s/%s", o.Namespace, b))
		default:
			bad = append(bad, fmt.Sprintf("0/%d endpoints ready in service %s/%s", c.Total, o.Namespace, b))
		}
	}
	if len(bad) == 0 || (mode == v1alpha1.ReadinessAny && good > 0) {
		return true, ""
	}
	if mode == v1alpha1.ReadinessAny {
		return false, "no backend ready: " + strings.Join(bad, "; ")
	}
	return false, strings.Join(bad, "; ")
}
