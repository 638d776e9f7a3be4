// The API types of both custom resources and their markers, in one file as
// controller-gen reads them: over 400 lines because the API is documented
// field by field.

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Algorithm picks how answers are spread over the members.
// +kubebuilder:validation:Enum=WRR;Random;Topology;Geo;ConsistentHash
type Algorithm string

const (
	// AlgorithmWRR is smooth weighted round robin: exact over every cycle.
	AlgorithmWRR Algorithm = "WRR"
	// AlgorithmRandom is weighted random.
	AlgorithmRandom Algorithm = "Random"
	// AlgorithmTopology serves the client's site (routing.sites[].clients),
	// WRR within it; then routing.siteOrder, then the whole pool.
	AlgorithmTopology Algorithm = "Topology"
	// AlgorithmGeo serves the nearest site with a healthy member (the name
	// server's GeoIP database, routing.sites[].location).
	AlgorithmGeo Algorithm = "Geo"
	// AlgorithmConsistentHash keeps a client prefix on one member
	// (weighted rendezvous hashing, routing.hashMask).
	AlgorithmConsistentHash Algorithm = "ConsistentHash"
)

// Routing places the member clusters in sites and says what the algorithms
// Topology, Geo and ConsistentHash need.
type Routing struct {
	// Sites: the member clusters of each site, the client networks it
	// serves (Topology) and where it is (Geo).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Sites []Site `json:"sites,omitempty"`
	// SiteOrder: the sites tried in turn when the client's site has no
	// healthy member (or, for Geo, the client is not located).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	SiteOrder []string `json:"siteOrder,omitempty"`
	// HashMask: the leading bits of the client's address hashed by
	// ConsistentHash; defaults 24 (IPv4) and 56 (IPv6).
	// +optional
	HashMask *HashMask `json:"hashMask,omitempty"`
}

// Site is a place the member clusters run in.
type Site struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Clusters are the member clusters in this site.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Clusters []string `json:"clusters,omitempty"`
	// Clients are the client networks (CIDRs) this site serves (Topology).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=4096
	Clients []string `json:"clients,omitempty"`
	// +optional
	Location *Location `json:"location,omitempty"`
}

// Location is a point on the globe, in decimal degrees written as strings
// ("40.42", "-3.70"): CRDs avoid floating-point fields.
type Location struct {
	// +kubebuilder:validation:Pattern=`^-?[0-9]{1,2}(\.[0-9]+)?$`
	Latitude string `json:"latitude"`
	// +kubebuilder:validation:Pattern=`^-?[0-9]{1,3}(\.[0-9]+)?$`
	Longitude string `json:"longitude"`
}

// HashMask is the prefix length hashed per family.
type HashMask struct {
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=32
	V4 *int32 `json:"v4,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=128
	V6 *int32 `json:"v6,omitempty"`
}

// DownResponseType is what the name server answers when no member is healthy.
// +kubebuilder:validation:Enum=All;Fallback;Empty;ServFail
type DownResponseType string

const (
	DownAll      DownResponseType = "All"
	DownFallback DownResponseType = "Fallback"
	DownEmpty    DownResponseType = "Empty"
	DownServFail DownResponseType = "ServFail"
)

// DownResponse says what to answer when every member is down.
// +kubebuilder:validation:XValidation:rule="self.type != 'Fallback' || (has(self.fallbackAddresses) && size(self.fallbackAddresses) > 0)",message="type Fallback needs fallbackAddresses"
type DownResponse struct {
	// +kubebuilder:validation:Required
	Type DownResponseType `json:"type"`
	// FallbackAddresses are IPv4 or IPv6 literals answered with type Fallback.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	FallbackAddresses []string `json:"fallbackAddresses,omitempty"`
}

// TrafficSplit weights the members of one cluster.
type TrafficSplit struct {
	// Cluster is a member cluster's name (its kubeconfig context).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Cluster string `json:"cluster"`
	// Weight is the relative share of answers; 0 drains the cluster.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Weight int32 `json:"weight"`
	// Priority: higher is preferred; lower priorities serve only when every
	// member of the higher ones is down.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Priority int32 `json:"priority,omitempty"`
}

// MatchRules select the objects (Services of type LoadBalancer, Ingresses)
// of the member clusters whose FQDNs the policy serves. Both selectors must
// match (AND).
type MatchRules struct {
	// AppSelector selects objects by their labels. Required: an empty
	// selector ({}) selects every object.
	// +kubebuilder:validation:Required
	AppSelector *metav1.LabelSelector `json:"appSelector"`
	// NamespaceSelector selects the namespaces (by their labels, in each
	// member cluster) whose objects may match. Absent: every namespace.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// HealthCheckType is the kind of active probe.
// +kubebuilder:validation:Enum=HTTP;HTTPS;TCP;None
type HealthCheckType string

const (
	HealthCheckHTTP  HealthCheckType = "HTTP"
	HealthCheckHTTPS HealthCheckType = "HTTPS"
	HealthCheckTCP   HealthCheckType = "TCP"
	// HealthCheckNone turns probing off (in a GSLBHostRule: for that FQDN).
	HealthCheckNone HealthCheckType = "None"
)

// HealthCheck is an active probe of every member (address and port) of the
// FQDNs it applies to, run by gslb-syncer. A member turns down after Fall
// failed probes in a row and up again after Rise good ones. In a
// GSLBHostRule, the fields set override the policy's, one by one.
// +kubebuilder:validation:XValidation:rule="!has(self.timeout) || !has(self.interval) || duration(self.timeout) < duration(self.interval)",message="timeout must be shorter than interval"
type HealthCheck struct {
	// Type of probe; default HTTP.
	// +optional
	Type HealthCheckType `json:"type,omitempty"`
	// Port probed on the member's address. Default: the Service's first
	// port, or for an Ingress 80 (HTTP, TCP) or 443 (HTTPS).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// Method of the HTTP(S) request: GET (default) or HEAD.
	// +optional
	// +kubebuilder:validation:Enum=GET;HEAD
	Method string `json:"method,omitempty"`
	// Path of the HTTP(S) request; default /.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/[!-~]*$`
	Path string `json:"path,omitempty"`
	// Host header of the HTTP(S) request; default: the FQDN.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host,omitempty"`
	// ExpectStatus lists the good HTTP status codes, "200-399,404";
	// default 200-399.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[1-5][0-9][0-9](-[1-5][0-9][0-9])?(, ?[1-5][0-9][0-9](-[1-5][0-9][0-9])?)*$`
	ExpectStatus string `json:"expectStatus,omitempty"`
	// BodyContains, when set, must appear in the first 64 KiB of the body.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	BodyContains string `json:"bodyContains,omitempty"`
	// SNI of the HTTPS probe; default: Host.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SNI string `json:"sni,omitempty"`
	// InsecureSkipVerify accepts any certificate (HTTPS).
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
	// Interval between probes; default 2s, at least 100ms.
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
	// Timeout of one probe; default 1s (at most half the interval).
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// Rise: good probes in a row that bring a down member back; default 2.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Rise int32 `json:"rise,omitempty"`
	// Fall: failed probes in a row that take a member down; default 3.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Fall int32 `json:"fall,omitempty"`
}

// EndpointReadiness says when a member is ready, from the EndpointSlices of
// the Services behind it (for a Service of type LoadBalancer, itself; for an
// Ingress, the backend Services of the rules of the FQDN).
// +kubebuilder:validation:Enum=All;Any;Ignore
type EndpointReadiness string

const (
	// ReadinessAll: every backend Service has a ready endpoint (default).
	// A path that is down means the host is degraded.
	ReadinessAll EndpointReadiness = "All"
	// ReadinessAny: at least one backend Service has a ready endpoint.
	ReadinessAny EndpointReadiness = "Any"
	// ReadinessIgnore: EndpointSlices are not read (Services whose
	// endpoints live outside the cluster).
	ReadinessIgnore EndpointReadiness = "Ignore"
)

// GlobalDeploymentPolicySpec is what a policy asks for.
type GlobalDeploymentPolicySpec struct {
	// +kubebuilder:validation:Required
	MatchRules MatchRules `json:"matchRules"`
	// MatchClusters limits the member clusters searched. Absent: all members.
	// +optional
	// +listType=set
	// +kubebuilder:validation:items:MinLength=1
	MatchClusters []string `json:"matchClusters,omitempty"`
	// TrafficSplit weights each cluster's members. A matched cluster that is
	// not listed gets weight 1, priority 0.
	// +optional
	// +listType=map
	// +listMapKey=cluster
	// +kubebuilder:validation:MaxItems=64
	TrafficSplit []TrafficSplit `json:"trafficSplit,omitempty"`
	// TTL of the answers in seconds; absent: the name server's default. 0 is
	// served as 0 (answers resolvers do not cache), as in Avi.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	TTL *int32 `json:"ttl,omitempty"`
	// +optional
	Algorithm Algorithm `json:"algorithm,omitempty"`
	// Routing: the sites of the member clusters, and what Topology, Geo
	// and ConsistentHash need.
	// +optional
	Routing *Routing `json:"routing,omitempty"`
	// +optional
	DownResponse *DownResponse `json:"downResponse,omitempty"`
	// HealthCheck probes every member; absent: no probe (endpoint
	// readiness only).
	// +optional
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// EndpointReadiness for hosts with several backend Services; default All.
	// +optional
	EndpointReadiness EndpointReadiness `json:"endpointReadiness,omitempty"`
}

// MemberHealth is the health of one member as last pushed.
type MemberHealth struct {
	FQDN string `json:"fqdn"`
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// Address or hostname of the member.
	Target string `json:"target"`
	// Health is Up, Down or Unknown (not probed yet, or not probed).
	Health string `json:"health"`
	// Reason of the last transition: "HTTP 503 from GET /", "connect
	// refused", "0/3 endpoints ready".
	// +optional
	Reason string `json:"reason,omitempty"`
}

// ClusterSyncStatus is the state of one member cluster, seen by a policy.
type ClusterSyncStatus struct {
	Cluster string `json:"cluster"`
	// State is Synced, Unreachable (last-known members kept within the
	// grace period), Expired (members dropped after the grace period),
	// ExpiredKept (dropped would empty an FQDN: kept) or Unknown (not a member).
	State string `json:"state"`
	// Members is how many members this cluster contributes.
	Members int32 `json:"members"`
	// Healthy is how many of them are served as healthy (up, or not probed).
	// +optional
	Healthy int32 `json:"healthy"`
	// +optional
	Message string `json:"message,omitempty"`
}

// GlobalDeploymentPolicyStatus is written by gslb-syncer.
type GlobalDeploymentPolicyStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// MatchedFQDNs are the FQDNs this policy serves, in order, at most the
	// first 100: the status of a policy that matches thousands stays small.
	// +optional
	// +listType=set
	MatchedFQDNs []string `json:"matchedFQDNs,omitempty"`
	// FQDNCount is the number of FQDNs this policy serves (all of them).
	// +optional
	FQDNCount int32 `json:"fqdnCount,omitempty"`
	// Conflicts name FQDNs also matched by another policy ("fqdn: ns/name").
	// +optional
	// +listType=set
	Conflicts []string `json:"conflicts,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=cluster
	Clusters []ClusterSyncStatus `json:"clusters,omitempty"`
	// UnhealthyMembers are the members served down, at most the first 100.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	UnhealthyMembers []MemberHealth `json:"unhealthyMembers,omitempty"`
	// Conditions: Accepted, Synced.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// GlobalDeploymentPolicy selects Services and Ingresses of member clusters
// by label and namespace and serves their FQDNs with the given weights.
//
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gdp;gdps,categories=gslb
// +kubebuilder:printcolumn:name="TTL",type=integer,JSONPath=`.spec.ttl`
// +kubebuilder:printcolumn:name="Algorithm",type=string,JSONPath=`.spec.algorithm`
// +kubebuilder:printcolumn:name="FQDNs",type=integer,JSONPath=`.status.fqdnCount`
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GlobalDeploymentPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GlobalDeploymentPolicySpec `json:"spec"`
	// +optional
	Status GlobalDeploymentPolicyStatus `json:"status,omitempty"`
}

// GlobalDeploymentPolicyList is a list of policies.
// +kubebuilder:object:root=true
type GlobalDeploymentPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GlobalDeploymentPolicy `json:"items"`
}

// ThirdPartyMember is a member outside Kubernetes.
// +kubebuilder:validation:XValidation:rule="has(self.address) != has(self.hostname)",message="exactly one of address and hostname"
type ThirdPartyMember struct {
	// Address is an IPv4 or IPv6 literal.
	// +optional
	Address string `json:"address,omitempty"`
	// Hostname is answered as a CNAME.
	// +optional
	Hostname string `json:"hostname,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Weight int32 `json:"weight"`
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Priority int32 `json:"priority,omitempty"`
	// +optional
	Site string `json:"site,omitempty"`
}

// GSLBHostRuleSpec overrides what the policies say for one FQDN.
type GSLBHostRuleSpec struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	FQDN string `json:"fqdn"`
	// TTL of the answers in seconds; absent: the policy's. 0 is served as 0.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	TTL *int32 `json:"ttl,omitempty"`
	// TrafficSplit replaces the policy's for this FQDN.
	// +optional
	// +listType=map
	// +listMapKey=cluster
	// +kubebuilder:validation:MaxItems=64
	TrafficSplit []TrafficSplit `json:"trafficSplit,omitempty"`
	// +optional
	Algorithm Algorithm `json:"algorithm,omitempty"`
	// +optional
	DownResponse *DownResponse `json:"downResponse,omitempty"`
	// ThirdPartyMembers are added to the members found in the clusters.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	ThirdPartyMembers []ThirdPartyMember `json:"thirdPartyMembers,omitempty"`
	// HealthCheck overrides, field by field, the policy's for this FQDN;
	// type None turns probing off. It also probes the third-party members.
	// +optional
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// EndpointReadiness overrides the policy's for this FQDN.
	// +optional
	EndpointReadiness EndpointReadiness `json:"endpointReadiness,omitempty"`
	// PublicAddresses are, per member cluster, the addresses the DNS
	// answers for that cluster's members of this FQDN instead of their
	// load balancers' (which the health checks still probe): load
	// balancers behind NAT or a proxy. They take precedence over the
	// objects' gslb.gslbdns.io/public-addresses annotation. A value that
	// is not an IP address, or a cluster that is not a member, is ignored
	// and named in the status (ValuesValid, ResolvedRefs).
	// +optional
	// +listType=map
	// +listMapKey=cluster
	// +kubebuilder:validation:MaxItems=64
	PublicAddresses []ClusterAddresses `json:"publicAddresses,omitempty"`
}

// ClusterAddresses are addresses of one member cluster.
type ClusterAddresses struct {
	// Cluster is a member cluster's name (its kubeconfig context).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Cluster string `json:"cluster"`
	// Addresses are IPv4 or IPv6 literals.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Addresses []string `json:"addresses"`
}

// GSLBHostRuleStatus is written by gslb-syncer.
type GSLBHostRuleStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Members of the FQDN and their health, as last pushed.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	Members []MemberHealth `json:"members,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// GSLBHostRule overrides ttl, weights, algorithm and down response of one
// FQDN, and adds members outside Kubernetes.
//
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ghr;ghrs,categories=gslb
// +kubebuilder:printcolumn:name="FQDN",type=string,JSONPath=`.spec.fqdn`
// +kubebuilder:printcolumn:name="TTL",type=integer,JSONPath=`.spec.ttl`
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GSLBHostRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GSLBHostRuleSpec `json:"spec"`
	// +optional
	Status GSLBHostRuleStatus `json:"status,omitempty"`
}

// GSLBHostRuleList is a list of host rules.
// +kubebuilder:object:root=true
type GSLBHostRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GSLBHostRule `json:"items"`
}

// Condition types and reasons.
const (
	ConditionAccepted = "Accepted"
	ConditionSynced   = "Synced"
	// ConditionResolvedRefs is False when trafficSplit or matchClusters
	// name a cluster that is not a member (reason UnknownCluster): those
	// entries are ignored, the rest of the policy serves.
	ConditionResolvedRefs = "ResolvedRefs"

	ReasonResolvedRefs = "ResolvedRefs"

	ReasonValid           = "Valid"
	ReasonUnknownCluster  = "UnknownCluster"
	ReasonInvalidSelector = "InvalidSelector"
	ReasonInvalidAddress  = "InvalidAddress"
	ReasonInvalidFQDN     = "InvalidFQDN"
	ReasonConflict        = "Conflict"
	// ReasonAcknowledged: Synced, every name server acknowledged the table
	// last published; ReasonNotAcknowledged: not Synced, one has not (yet).
	ReasonAcknowledged       = "Acknowledged"
	ReasonNotAcknowledged    = "NotAcknowledged"
	ReasonClusterUnreachable = "ClusterUnreachable"
	ReasonInvalidHealthCheck = "InvalidHealthCheck"
	ReasonInvalidSplit       = "InvalidTrafficSplit"
	ReasonInvalidRouting     = "InvalidRouting"
)

// Cluster states in ClusterSyncStatus.
const (
	StateSynced      = "Synced"
	StateUnreachable = "Unreachable"
	StateExpired     = "Expired"
	StateExpiredKept = "ExpiredKept"
	StateUnknown     = "Unknown"
)

// Annotations read on member objects.
const (
	// AnnotationHostname lists FQDNs (comma-separated) for a Service.
	AnnotationHostname = "gslb.gslbdns.io/hostname"
	// AnnotationExternalDNS is external-dns's, read as well.
	AnnotationExternalDNS = "external-dns.alpha.kubernetes.io/hostname"
)

// AnnotationPublicAddresses, on a Service, Ingress, Gateway or route, lists
// the addresses the DNS answers for the object (comma-separated IPv4 and
// IPv6 literals) instead of its load balancer's, which the health checks
// still probe: for load balancers behind NAT or a proxy.
const AnnotationPublicAddresses = "gslb.gslbdns.io/public-addresses"

// ConditionObjectsValid is False when values of the matched objects were
// ignored (an invalid public address, a wildcard hostname): the message
// names the cluster, the object and the value; the rest serves.
const (
	ConditionObjectsValid = "ObjectsValid"
	ReasonInvalidValues   = "InvalidValues"
)

// ConditionValuesValid, on a host rule, is False when values of its spec
// were ignored (reason InvalidValues; an invalid public address): the
// message names the field and the value; the rest serves.
const ConditionValuesValid = "ValuesValid"
