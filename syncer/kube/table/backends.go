package table

// An object's backend Services, per FQDN (Object.Backends).

// FQDNBackends are the backend Services (in the object's namespace) of an
// object for one of its FQDNs.
type FQDNBackends struct {
	FQDN     string
	Services []string // sorted, unique
}

// Backends are an object's backend Services per FQDN, in the order of
// its FQDNs.
// A slice, not a map: an object has one FQDN or a few, and the Object of
// every cached object is kept (member.conv), where a map per object took
// about ten times the bytes of its one entry.
type Backends []FQDNBackends

// Of returns the backend Services for fqdn; nil when it has none.
func (b Backends) Of(fqdn string) []string {
	for _, fb := range b {
		if fb.FQDN == fqdn {
			return fb.Services
		}
	}
	return nil
}

// sameBackends returns the Backends of an object whose FQDNs all have
// the same services.
func sameBackends(fqdns, services []string) Backends {
	out := make(Backends, len(fqdns))
	for i, f := range fqdns {
		out[i] = FQDNBackends{FQDN: f, Services: services}
	}
	return out
}
