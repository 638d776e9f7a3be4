package gslbctl

// Writing an AMKO conversion: our objects as YAML with a comment on every
// default written for a field that was not mapped, the syncer's --source and
// the Helm chart's values.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	v1 "github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AMKOWriteOptions say what the conversion cannot know.
type AMKOWriteOptions struct {
	// Kubeconfig is the members kubeconfig's path for --source
	// (the chart mounts it at /etc/gslb/members/kubeconfig).
	Kubeconfig string
	// ConfigContext is the context of the cluster holding the policies
	// (AMKO's leader cluster); "": the kubeconfig's current context.
	ConfigContext string
}

// AMKOOutput is what is written.
type AMKOOutput struct {
	Objects string // our GlobalDeploymentPolicy and GSLBHostRule objects
	Source  string // the argument of gslb-syncer's --source
	Values  string // the Helm chart's values
	Report  string // one line per field not mapped (and per field not needed)
}

// WriteAMKO renders a conversion.
func WriteAMKO(c *AMKOConversion, o AMKOWriteOptions) (AMKOOutput, error) {
	var out AMKOOutput
	var docs []string
	for _, p := range c.Policies {
		d, err := objectYAML(p.TypeMeta, p.ObjectMeta, p.Spec, c.notesOf("GlobalDeploymentPolicy", p.ObjectMeta))
		if err != nil {
			return out, err
		}
		docs = append(docs, d)
	}
	for _, h := range c.HostRules {
		d, err := objectYAML(h.TypeMeta, h.ObjectMeta, h.Spec, c.notesOf("GSLBHostRule", h.ObjectMeta))
		if err != nil {
			return out, err
		}
		docs = append(docs, d)
	}
	out.Objects = strings.Join(docs, "---\n")
	out.Source = c.source(o)
	values, err := c.values(o)
	if err != nil {
		return out, err
	}
	out.Values = values
	out.Report = c.report()
	return out, nil
}

func (c *AMKOConversion) notesOf(kind string, m metav1.ObjectMeta) []Note {
	ref := (&AMKOObject{Kind: kind, Meta: AMKOMeta{Name: m.Name, Namespace: m.Namespace}}).Ref()
	var out []Note
	for _, n := range c.Notes {
		if n.Object == ref {
			out = append(out, n)
		}
	}
	return out
}

// members are GSLBConfig's member contexts or, without one, every cluster
// the policies name.
func (c *AMKOConversion) members() []string {
	if len(c.Members) > 0 {
		return c.Members
	}
	var out []string
	for _, p := range c.Policies {
		out = append(out, p.Spec.MatchClusters...)
		for _, t := range p.Spec.TrafficSplit {
			out = append(out, t.Cluster)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (c *AMKOConversion) source(o AMKOWriteOptions) string {
	var q []string
	if m := c.members(); len(m) > 0 {
		q = append(q, "members="+strings.Join(m, ","))
	}
	if o.ConfigContext != "" {
		q = append(q, "config="+url.QueryEscape(o.ConfigContext))
	}
	if len(q) == 0 {
		return "kubernetes:" + o.Kubeconfig // every context is a member
	}
	return "kubernetes:" + o.Kubeconfig + "?" + strings.Join(q, "&")
}

func (c *AMKOConversion) report() string {
	var b strings.Builder
	for _, n := range c.Notes {
		fmt.Fprintln(&b, n.String())
	}
	for _, n := range c.Info {
		fmt.Fprintf(&b, "%s: %s: not needed: %s\n", n.Object, n.Field, n.Reason)
	}
	return b.String()
}

// objectYAML writes one object: metadata without what the apiserver sets,
// the spec, a head comment listing the fields not mapped and a line comment
// on each default written.
func objectYAML(tm metav1.TypeMeta, m metav1.ObjectMeta, spec any, notes []Note) (string, error) {
	meta := map[string]any{"name": m.Name}
	if m.Namespace != "" {
		meta["namespace"] = m.Namespace
	}
	if len(m.Labels) > 0 {
		meta["labels"] = m.Labels
	}
	if len(m.Annotations) > 0 {
		meta["annotations"] = m.Annotations
	}
	doc := struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       any            `json:"spec"`
	}{tm.APIVersion, tm.Kind, meta, spec}
	n, err := toNode(doc)
	if err != nil {
		return "", err
	}
	if len(notes) > 0 {
		head := []string{"Not mapped from AMKO (gslbctl convert amko --strict refuses this object):"}
		for _, x := range notes {
			head = append(head, "  "+x.Field+": "+x.Reason)
			if x.Out != "" {
				comment(n, x.Out, "default for "+x.Field+": "+x.Default)
			}
		}
		n.HeadComment = strings.Join(head, "\n")
	}
	return encode(n)
}

// values are the chart's: gslbConfig from GSLBConfig, gdpConfig from the
// policy when there is exactly one (the chart makes one policy).
func (c *AMKOConversion) values(o AMKOWriteOptions) (string, error) {
	members := []map[string]string{}
	for _, m := range c.members() {
		members = append(members, map[string]string{"clusterContext": m})
	}
	gc := map[string]any{"memberClusters": members, "configContext": o.ConfigContext}
	if c.LogLevel != "" {
		gc["logLevel"] = c.LogLevel
	}
	v := map[string]any{"gslbConfig": gc, "gdpConfig": map[string]any{"create": false}}
	if len(c.Policies) == 1 {
		v["gdpConfig"] = gdpValues(c.Policies[0])
	}
	n, err := toNode(v)
	if err != nil {
		return "", err
	}
	n.HeadComment = "Values of the gslb chart converted from AMKO (helm install … -f values.yaml)."
	if len(c.Policies) == 1 {
		n.HeadComment += fmt.Sprintf("\nThe chart makes the policy in the release's namespace: install it in %q like AMKO's,\nor apply gslb.yaml instead and set gdpConfig.create false.", c.Policies[0].Namespace)
	} else {
		n.HeadComment += fmt.Sprintf("\n%d policies: apply gslb.yaml; the chart makes none.", len(c.Policies))
	}
	for _, x := range c.Notes {
		if strings.HasPrefix(x.Object, "GSLBConfig ") {
			n.HeadComment += fmt.Sprintf("\nNot mapped from AMKO: %s %s: %s; instead: %s", x.Object, x.Field, x.Reason, x.Default)
		}
	}
	return encode(n)
}

func gdpValues(p *v1.GlobalDeploymentPolicy) map[string]any {
	s := p.Spec
	// The chart's appSelector is AMKO's {label: …}, merged by Helm into
	// the default {label: {app: gslb}}: label is always written (null
	// deletes the default, selecting every object).
	var label any
	if m := s.MatchRules.AppSelector.MatchLabels; len(m) > 0 {
		label = m
	}
	g := map[string]any{"create": true, "name": p.Name, "appSelector": map[string]any{"label": label},
		"namespaceSelector": map[string]any{}, "matchClusters": s.MatchClusters, "trafficSplit": s.TrafficSplit,
		"ttl": s.TTL, "algorithm": string(s.Algorithm)}
	if s.MatchRules.NamespaceSelector != nil {
		g["namespaceSelector"] = s.MatchRules.NamespaceSelector
	}
	if s.Routing != nil {
		g["routing"] = s.Routing
	}
	if s.DownResponse != nil {
		g["downResponse"] = s.DownResponse
	}
	if s.HealthCheck != nil {
		g["healthCheck"] = s.HealthCheck
	}
	return g
}

// toNode turns v (through its JSON form, so the API types' tags apply) into
// a YAML node in block style.
func toNode(v any) (*yaml.Node, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	n := doc.Content[0]
	blockStyle(n)
	return n, nil
}

func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// comment puts text on the key at a dotted path ("spec.healthCheck"),
// after any comment already there.
func comment(n *yaml.Node, path, text string) {
	keys := strings.Split(path, ".")
	for d, k := range keys {
		key, val := lookup(n, k)
		if key == nil {
			return
		}
		if d == len(keys)-1 {
			if key.LineComment != "" {
				text = key.LineComment + "; " + text
			}
			key.LineComment = text
		}
		n = val
	}
}

func lookup(n *yaml.Node, k string) (key, val *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func encode(n *yaml.Node) (string, error) {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	if err := e.Encode(n); err != nil {
		return "", err
	}
	return b.String(), e.Close()
}
