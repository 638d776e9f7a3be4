package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GSLBDrainSpec names what is drained: one member cluster or one site.
// +kubebuilder:validation:XValidation:rule="has(self.cluster) != has(self.site)",message="set exactly one of cluster and site"
type GSLBDrainSpec struct {
	// Cluster is a member cluster's name (its kubeconfig context): its
	// members leave every answer.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Cluster string `json:"cluster,omitempty"`
	// Site is a site's name: the members of the clusters a policy places in
	// it (routing.sites[].clusters, in any policy) and the third-party
	// members of that site leave every answer.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Site string `json:"site,omitempty"`
	// Reason is shown with every drained member ("drained by …: REASON").
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Reason string `json:"reason,omitempty"`
	// DrainedBy is who asked, as gslbctl drain found it (the user of its
	// kubeconfig). Informational: RBAC decides who may drain.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DrainedBy string `json:"drainedBy,omitempty"`
}

// GSLBDrain takes the members of one member cluster, or of one site, out of
// every answer, whatever the policies say, until it is deleted: an
// operator's maintenance switch (gslbctl drain / undrain). The drained
// members are served as down with the reason "drained by GSLBDrain NAME",
// so a record whose members are all drained gets its downResponse.
// Cluster-scoped: it applies to every policy.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=gdrain;gdrains,categories=gslb
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="Site",type=string,JSONPath=`.spec.site`
// +kubebuilder:printcolumn:name="By",type=string,JSONPath=`.spec.drainedBy`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.spec.reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GSLBDrain struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GSLBDrainSpec `json:"spec"`
}

// GSLBDrainList is a list of drains.
// +kubebuilder:object:root=true
type GSLBDrainList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GSLBDrain `json:"items"`
}
