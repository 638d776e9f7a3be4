package k8senv

import (
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig returns a kubeconfig with one context per cluster, named after
// the cluster, authenticating as u; the CA is inline. The current context
// is the first cluster's.
func (e *Env) Kubeconfig(u User) *clientcmdapi.Config {
	u.valid()
	cfg := clientcmdapi.NewConfig()
	for _, c := range e.Clusters {
		cluster := clientcmdapi.NewCluster()
		cluster.Server = c.Host
		cluster.CertificateAuthorityData = e.ca.CertPEM
		cfg.Clusters[c.Name] = cluster

		userName := c.Name + "-" + u.Name()
		auth := clientcmdapi.NewAuthInfo()
		auth.Token = c.tokens[u]
		cfg.AuthInfos[userName] = auth

		ctx := clientcmdapi.NewContext()
		ctx.Cluster = c.Name
		ctx.AuthInfo = userName
		cfg.Contexts[c.Name] = ctx
	}
	if len(e.Clusters) > 0 {
		cfg.CurrentContext = e.Clusters[0].Name
	}
	return cfg
}

// WriteKubeconfig writes Kubeconfig(u) to path, readable by the owner only.
func (e *Env) WriteKubeconfig(path string, u User) error {
	return clientcmd.WriteToFile(*e.Kubeconfig(u), path)
}
