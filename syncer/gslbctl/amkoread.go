package gslbctl

// Reading AMKO's objects (amko.vmware.com): the types below hold the fields
// of AMKO's documented CRD schema (GlobalDeploymentPolicy v1alpha2,
// GSLBHostRule and GSLBConfig v1alpha1) that "gslbctl convert amko" reads.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// AMKOLabel is AMKO's selector: {label: {k: v}}.
type AMKOLabel struct {
	Label map[string]string `json:"label,omitempty"`
}

// AMKOMatchRules are a GDP's selectors.
type AMKOMatchRules struct {
	AppSelector       *AMKOLabel `json:"appSelector,omitempty"`
	NamespaceSelector *AMKOLabel `json:"namespaceSelector,omitempty"`
}

// AMKOMatchCluster is one entry of matchClusters.
type AMKOMatchCluster struct {
	Cluster     string `json:"cluster"`
	SyncVipOnly bool   `json:"syncVipOnly,omitempty"`
}

// AMKOTrafficSplit weights one cluster (weight 1–20, priority up to 100, higher preferred).
type AMKOTrafficSplit struct {
	Cluster  string `json:"cluster"`
	Weight   int32  `json:"weight"`
	Priority *int32 `json:"priority,omitempty"`
}

// AMKODownResponse is GSLB_SERVICE_DOWN_RESPONSE_{NONE,ALL_RECORDS,FALLBACK_IP,EMPTY}.
type AMKODownResponse struct {
	Type       string `json:"type"`
	FallbackIP string `json:"fallbackIP,omitempty"`
}

// AMKOAlgorithm is an lbAlgorithm with its hash mask.
type AMKOAlgorithm struct {
	LBAlgorithm string `json:"lbAlgorithm,omitempty"`
	HashMask    *int32 `json:"hashMask,omitempty"`
}

// AMKOPoolAlgorithm is poolAlgorithmSettings.
type AMKOPoolAlgorithm struct {
	AMKOAlgorithm `json:",inline"`
	GeoFallback   *AMKOAlgorithm `json:"geoFallback,omitempty"`
}

// AMKOSitePersistence is a host rule's sitePersistence.
type AMKOSitePersistence struct {
	Enabled    bool   `json:"enabled"`
	ProfileRef string `json:"profileRef,omitempty"`
}

// AMKOThirdPartyMember is a member on a non-Avi site.
type AMKOThirdPartyMember struct {
	VIP  string `json:"vip"`
	Site string `json:"site"`
}

// AMKOPublicIP is the public address of a cluster's member.
type AMKOPublicIP struct {
	Cluster string `json:"cluster"`
	IP      string `json:"ip"`
}

// AMKOMeta is the part of the metadata kept.
type AMKOMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AMKOGDPSpec is GlobalDeploymentPolicy v1alpha2's spec.
type AMKOGDPSpec struct {
	MatchRules            AMKOMatchRules     `json:"matchRules"`
	MatchClusters         []AMKOMatchCluster `json:"matchClusters,omitempty"`
	TrafficSplit          []AMKOTrafficSplit `json:"trafficSplit,omitempty"`
	TTL                   *int32             `json:"ttl,omitempty"`
	DownResponse          *AMKODownResponse  `json:"downResponse,omitempty"`
	PoolAlgorithmSettings *AMKOPoolAlgorithm `json:"poolAlgorithmSettings,omitempty"`
	SitePersistenceRef    *string            `json:"sitePersistenceRef,omitempty"`
	HealthMonitorRefs     []string           `json:"healthMonitorRefs,omitempty"`
	HealthMonitorTemplate *string            `json:"healthMonitorTemplate,omitempty"`
}

// AMKOHostRuleSpec is GSLBHostRule v1alpha1's spec.
type AMKOHostRuleSpec struct {
	FQDN                  string                 `json:"fqdn"`
	SitePersistence       *AMKOSitePersistence   `json:"sitePersistence,omitempty"`
	ThirdPartyMembers     []AMKOThirdPartyMember `json:"thirdPartyMembers,omitempty"`
	HealthMonitorRefs     []string               `json:"healthMonitorRefs,omitempty"`
	HealthMonitorTemplate *string                `json:"healthMonitorTemplate,omitempty"`
	TrafficSplit          []AMKOTrafficSplit     `json:"trafficSplit,omitempty"`
	TTL                   *int32                 `json:"ttl,omitempty"`
	PoolAlgorithmSettings *AMKOPoolAlgorithm     `json:"poolAlgorithmSettings,omitempty"`
	DownResponse          *AMKODownResponse      `json:"downResponse,omitempty"`
	PublicIP              []AMKOPublicIP         `json:"publicIP,omitempty"`
}

// AMKOLeader is GSLBConfig's gslbLeader: the Avi controller.
type AMKOLeader struct {
	Credentials       string `json:"credentials,omitempty"`
	ControllerVersion string `json:"controllerVersion,omitempty"`
	ControllerIP      string `json:"controllerIP,omitempty"`
	LeaderIP          string `json:"leaderIP,omitempty"`
}

// AMKOGSLBConfigSpec is GSLBConfig v1alpha1's spec.
type AMKOGSLBConfigSpec struct {
	GSLBLeader     *AMKOLeader `json:"gslbLeader,omitempty"`
	MemberClusters []struct {
		ClusterContext string `json:"clusterContext"`
	} `json:"memberClusters,omitempty"`
	RefreshInterval     *int32 `json:"refreshInterval,omitempty"`
	LogLevel            string `json:"logLevel,omitempty"`
	UseCustomGlobalFqdn *bool  `json:"useCustomGlobalFqdn,omitempty"`
}

// AMKOObject is one AMKO object read; exactly one of the specs is set.
type AMKOObject struct {
	Source   string // file name (or "-") and document number
	Kind     string
	Meta     AMKOMeta
	GDP      *AMKOGDPSpec
	HostRule *AMKOHostRuleSpec
	Config   *AMKOGSLBConfigSpec
}

// Ref names the object in notes: "GlobalDeploymentPolicy avi-system/global-gdp".
func (o *AMKOObject) Ref() string {
	if o.Meta.Namespace == "" {
		return o.Kind + " " + o.Meta.Name
	}
	return o.Kind + " " + o.Meta.Namespace + "/" + o.Meta.Name
}

type amkoDoc struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   AMKOMeta          `json:"metadata"`
	Spec       json.RawMessage   `json:"spec"`
	Items      []json.RawMessage `json:"items"`
}

// ReadAMKO reads every AMKO object of a YAML or JSON stream (several
// documents, kind List included). name names the stream in errors. Objects
// of other API groups are an error; unknown fields in a spec are an error
// naming the field.
func ReadAMKO(name string, r io.Reader) ([]*AMKOObject, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var out []*AMKOObject
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: document %d: %v", name, n, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		objs, err := readDoc(fmt.Sprintf("%s: document %d", name, n), raw)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
}

func readDoc(where string, raw []byte) ([]*AMKOObject, error) {
	var d amkoDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	if d.Kind == "List" || strings.HasSuffix(d.Kind, "List") && d.Items != nil {
		var out []*AMKOObject
		for i, it := range d.Items {
			objs, err := readDoc(fmt.Sprintf("%s: items[%d]", where, i), it)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	group, version, _ := strings.Cut(d.APIVersion, "/")
	if group != "amko.vmware.com" && group != "amko.k8s.io" {
		return nil, fmt.Errorf("%s: %s %q: apiVersion %q is not AMKO's (amko.vmware.com)", where, d.Kind, d.Metadata.Name, d.APIVersion)
	}
	o := &AMKOObject{Source: where, Kind: d.Kind, Meta: d.Metadata}
	var spec any
	switch d.Kind {
	case "GlobalDeploymentPolicy":
		if version != "v1alpha2" {
			return nil, fmt.Errorf("%s: GlobalDeploymentPolicy %q: %s is not read (AMKO ignores it too); use v1alpha2", where, d.Metadata.Name, d.APIVersion)
		}
		o.GDP = &AMKOGDPSpec{}
		spec = o.GDP
	case "GSLBHostRule":
		o.HostRule = &AMKOHostRuleSpec{}
		spec = o.HostRule
	case "GSLBConfig":
		o.Config = &AMKOGSLBConfigSpec{}
		spec = o.Config
	default:
		return nil, fmt.Errorf("%s: kind %q is not converted (GlobalDeploymentPolicy, GSLBHostRule, GSLBConfig)", where, d.Kind)
	}
	if len(d.Spec) > 0 {
		sd := json.NewDecoder(bytes.NewReader(d.Spec))
		sd.DisallowUnknownFields()
		if err := sd.Decode(spec); err != nil {
			return nil, fmt.Errorf("%s: %s: spec: %v", where, o.Ref(), err)
		}
	}
	return []*AMKOObject{o}, nil
}

// ReadAMKOPaths reads files, the *.yaml, *.yml and *.json files of
// directories (not recursive, in name order) and "-" (stdin); no path reads
// stdin.
func ReadAMKOPaths(paths []string, stdin io.Reader) ([]*AMKOObject, error) {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	var out []*AMKOObject
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			objs, err := readPath(f, stdin)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
	}
	return out, nil
}

func expand(p string) ([]string, error) {
	if p == "-" {
		return []string{p}, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .yaml, .yml or .json file", p)
	}
	return out, nil
}

func readPath(p string, stdin io.Reader) ([]*AMKOObject, error) {
	if p == "-" {
		return ReadAMKO("stdin", stdin)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAMKO(p, f)
}
