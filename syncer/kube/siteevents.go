package kube

import (
	"context"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// SiteEvent records an Event about this syncer's site in the config
// cluster (gslb-syncer records the delegation's transitions so). The
// object is a stable one in the config cluster: the site's probe Lease
// (probe-lease); without one, the status writer's Lease (lease), shared by
// the sites (the message names the site's NS); without either, this
// syncer's Pod when the downward API names it (POD_NAMESPACE and
// POD_NAME, POD_UID if given), right only when the syncer runs in the
// config cluster. With none of them, or before the config cluster is
// connected, the Event is not recorded (the log and status say the same).
func (p *ControlPlane) SiteEvent(warning bool, reason, message string) {
	cc := p.configNow()
	if cc == nil {
		return
	}
	ref := p.siteObject(cc)
	if ref == nil {
		p.log.Debug("no object to record the site's Event on (set probe-lease or lease)", "reason", reason)
		return
	}
	typ := corev1.EventTypeNormal
	if warning {
		typ = corev1.EventTypeWarning
	}
	cc.recorder.Event(ref, typ, reason, message)
}

// siteObject is the object the site's Events are recorded on, nil if none.
func (p *ControlPlane) siteObject(cc *configCluster) *corev1.ObjectReference {
	switch {
	case p.opts.ProbeLease.enabled():
		return leaseRef(cc, p.opts.ProbeLease)
	case p.opts.Lease.enabled():
		return leaseRef(cc, p.opts.Lease)
	case os.Getenv("POD_NAMESPACE") != "" && os.Getenv("POD_NAME") != "":
		return &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: os.Getenv("POD_NAMESPACE"),
			Name: os.Getenv("POD_NAME"), UID: types.UID(os.Getenv("POD_UID"))}
	}
	return nil
}

// leaseRef refers to the Lease l, with its UID when it can be read (so
// that kubectl describe shows the Event).
func leaseRef(cc *configCluster, l LeaseOptions) *corev1.ObjectReference {
	ref := &corev1.ObjectReference{APIVersion: "coordination.k8s.io/v1", Kind: "Lease", Namespace: l.Namespace, Name: l.Name}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if lease, err := cc.cs.CoordinationV1().Leases(l.Namespace).Get(ctx, l.Name, metav1.GetOptions{}); err == nil {
		ref.UID = lease.UID
	}
	return ref
}
