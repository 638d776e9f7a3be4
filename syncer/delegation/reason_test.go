package delegation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestReason(t *testing.T) {
	gr := schema.GroupResource{Group: "externaldns.k8s.io", Resource: "dnsendpoints"}
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("wrapped: %w", ErrLastNS), ""},
		{&UpdateError{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadSig}, ReasonBadSig},
		{&UpdateError{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadKey}, ReasonBadKey},
		{&UpdateError{Rcode: dns.RcodeNotAuth, TSIGError: dns.RcodeBadTime}, ReasonBadTime},
		{&UpdateError{Rcode: dns.RcodeRefused}, ReasonRefused},
		{&UpdateError{Rcode: dns.RcodeNotAuth}, ReasonNotAuth},
		{&UpdateError{Rcode: dns.RcodeYXRrset}, ReasonConflict},
		{&UpdateError{Rcode: dns.RcodeServerFailure}, ReasonRcode},
		{fmt.Errorf("x: %w", ErrNotServed), ReasonNotServed},
		{fmt.Errorf("x: %w", ErrReadBack), ReasonReadBack},
		{fmt.Errorf("x: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), ReasonUnreachable},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), ReasonUnreachable},
		{fmt.Errorf("x: %w", apierrors.NewConflict(gr, "d", errors.New("changed"))), ReasonConflict},
		{fmt.Errorf("x: %w", apierrors.NewForbidden(gr, "d", errors.New("no"))), ReasonForbidden},
		{fmt.Errorf("x: %w", apierrors.NewNotFound(gr, "d")), ReasonKubernetes},
		{errors.New("something"), ReasonOther},
	}
	for _, tc := range cases {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
