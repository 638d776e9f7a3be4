package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gslbdns/gslb/syncer/gslbctl"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// drainFlags are the flags of drain and undrain.
type drainFlags struct {
	target              gslbctl.DrainTarget
	kubeconfig, context string
	reason              string
	list                bool
}

func (f *drainFlags) register(fs *flag.FlagSet, drain bool) {
	fs.StringVar(&f.target.Cluster, "cluster", "", "the member cluster (its kubeconfig context in the syncer's --source)")
	fs.StringVar(&f.target.Site, "site", "", "the site (routing.sites[].name of the policies, or a third-party member's site)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the config cluster (default: $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&f.context, "context", "", "the config cluster's context in the kubeconfig (default: its current context)")
	if drain {
		fs.StringVar(&f.reason, "reason", "", "why, shown with every drained member")
		fs.BoolVar(&f.list, "list", false, "list the drains in force instead")
	}
}

// restConfig is the config cluster's client configuration.
func (f *drainFlags) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context})
	return cc.ClientConfig()
}

// drain runs "gslbctl drain (--cluster C | --site S) [--reason R]" and "gslbctl drain --list".
func drain(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	var f drainFlags
	f.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("drain: unexpected argument %q", fs.Arg(0))
	}
	cfg, dyn, err := f.clients()
	if err != nil {
		return 1, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if f.list {
		return listDrains(ctx, dyn, out)
	}
	if (f.target.Cluster == "") == (f.target.Site == "") {
		return 2, errors.New("drain: give exactly one of --cluster and --site (or --list)")
	}
	res, err := gslbctl.Drain(ctx, dyn, f.target, f.reason, whoAmI(ctx, cfg))
	if err != nil {
		return 1, fmt.Errorf("drain %s: %w", f.target, err)
	}
	verb := "created"
	if !res.Created {
		verb = "updated (it was drained already)"
	}
	fmt.Fprintf(out, "drained %s: GSLBDrain %s %s.\nIts members leave every answer within a second; gslbctl table shows them down, \"drained by GSLBDrain %s\".\n",
		f.target, res.Name, verb, res.Name)
	warnUnplacedSite(ctx, dyn, f.target, out)
	return 0, nil
}

// undrain runs "gslbctl undrain (--cluster C | --site S)".
func undrain(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("undrain", flag.ContinueOnError)
	var f drainFlags
	f.register(fs, false)
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 || (f.target.Cluster == "") == (f.target.Site == "") {
		return 2, errors.New("undrain: give exactly one of --cluster and --site")
	}
	_, dyn, err := f.clients()
	if err != nil {
		return 1, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	names, err := gslbctl.Undrain(ctx, dyn, f.target)
	if err != nil {
		return 1, fmt.Errorf("undrain %s: %w", f.target, err)
	}
	fmt.Fprintf(out, "undrained %s: deleted GSLBDrain %s.\nIts members are back in the answers within a second (those its probes find healthy).\n",
		f.target, strings.Join(names, ", "))
	return 0, nil
}

func (f *drainFlags) clients() (*rest.Config, dynamic.Interface, error) {
	cfg, err := f.restConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	return cfg, dyn, err
}

// whoAmI is the user the config cluster authenticates (a SelfSubjectReview),
// or "" when it does not say.
func whoAmI(ctx context.Context, cfg *rest.Config) string {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return ""
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return r.Status.UserInfo.Username
}

// warnUnplacedSite warns when no policy places a cluster in a drained site:
// only the third-party members of that site leave then.
func warnUnplacedSite(ctx context.Context, dyn dynamic.Interface, t gslbctl.DrainTarget, out io.Writer) {
	if t.Site == "" {
		return
	}
	sites, err := gslbctl.SitesOf(ctx, dyn)
	if err != nil {
		return
	}
	if cs := sites[t.Site]; len(cs) > 0 {
		slices.Sort(cs)
		fmt.Fprintf(out, "Site %s holds the clusters %s (routing.sites of the policies).\n", t.Site, strings.Join(cs, ", "))
		return
	}
	fmt.Fprintf(out, "Warning: no policy places a cluster in site %s (routing.sites): only third-party members of that site leave.\n", t.Site)
}

func listDrains(ctx context.Context, dyn dynamic.Interface, out io.Writer) (int, error) {
	ds, err := gslbctl.ListDrains(ctx, dyn)
	if err != nil {
		return 1, fmt.Errorf("drain --list: %w", err)
	}
	if len(ds) == 0 {
		fmt.Fprintln(out, "no drains")
		return 0, nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDRAINS\tBY\tSINCE\tREASON")
	for _, d := range ds {
		t := gslbctl.DrainTarget{Cluster: d.Spec.Cluster, Site: d.Spec.Site}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Name, t, d.Spec.DrainedBy, d.CreationTimestamp.UTC().Format(time.RFC3339), d.Spec.Reason)
	}
	return 0, tw.Flush()
}
