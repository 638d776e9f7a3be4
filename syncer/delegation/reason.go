package delegation

import (
	"context"
	"errors"
	"net"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Reasons of errors, the values of the errors metric's reason label.
const (
	ReasonBadSig      = "badsig"      // TSIG BADSIG: the key's secret is not the parent's
	ReasonBadKey      = "badkey"      // TSIG BADKEY: the parent does not know the key
	ReasonBadTime     = "badtime"     // TSIG BADTIME: the clocks differ
	ReasonRefused     = "refused"     // REFUSED: the parent does not allow the update
	ReasonNotAuth     = "notauth"     // NOTAUTH without a TSIG error
	ReasonConflict    = "conflict"    // another writer changed the NS set (RFC 2136 prerequisite, or a Kubernetes conflict)
	ReasonRcode       = "rcode"       // another error rcode
	ReasonUnreachable = "unreachable" // no answer: connection refused, timeout, no route
	ReasonNotServed   = "not_served"  // the server does not serve the parent zone
	ReasonReadBack    = "readback"    // accepted, but not what the parent then shows
	ReasonForbidden   = "forbidden"   // Kubernetes denied access to the DNSEndpoint
	ReasonKubernetes  = "kubernetes"  // another error of the Kubernetes API
	ReasonOther       = "other"       // anything else
	reasonNone        = ""            // not an error
)

// Reasons lists every reason, for metrics that show each from the start.
var Reasons = []string{ReasonBadSig, ReasonBadKey, ReasonBadTime, ReasonRefused, ReasonNotAuth, ReasonConflict,
	ReasonRcode, ReasonUnreachable, ReasonNotServed, ReasonReadBack, ReasonForbidden, ReasonKubernetes, ReasonOther}

// Reason classifies an error of Register or Withdraw; "" for nil and
// ErrLastNS (a withdrawal held back is not an error).
func Reason(err error) string {
	var ue *UpdateError
	var ne net.Error
	var se apierrors.APIStatus
	switch {
	case err == nil, errors.Is(err, ErrLastNS):
		return reasonNone
	case errors.As(err, &ue):
		return updateReason(ue)
	case errors.Is(err, ErrNotServed):
		return ReasonNotServed
	case errors.Is(err, ErrReadBack):
		return ReasonReadBack
	case apierrors.IsConflict(err):
		return ReasonConflict
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return ReasonForbidden
	case errors.As(err, &se):
		return ReasonKubernetes
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return ReasonUnreachable
	}
	return ReasonOther
}

func updateReason(e *UpdateError) string {
	switch {
	case e.TSIGError == dns.RcodeBadSig:
		return ReasonBadSig
	case e.TSIGError == dns.RcodeBadKey:
		return ReasonBadKey
	case e.TSIGError == dns.RcodeBadTime:
		return ReasonBadTime
	case e.Rcode == dns.RcodeRefused:
		return ReasonRefused
	case e.Rcode == dns.RcodeNotAuth:
		return ReasonNotAuth
	case e.Rcode == dns.RcodeNXRrset, e.Rcode == dns.RcodeYXRrset:
		return ReasonConflict
	}
	return ReasonRcode
}
