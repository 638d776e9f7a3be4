package main

// Spec is one image: its reference, its files and its config, as the
// Dockerfile of the same name says (deploy/docker/Dockerfile.<name>).
type Spec struct {
	Ref        string   // the name containerd knows it by (chart default values)
	File       string   // the tarball written
	Files      []File   // the layer's files, at the root
	User       string   // USER
	Entrypoint []string // ENTRYPOINT
	Cmd        []string // CMD
	Ports      []string // EXPOSE, Docker's form: 53/udp, 8080/tcp
}

// File is a binary of -bin copied to /<Name>.
type File struct {
	Name       string
	NetBindCap bool // cap_net_bind_service=+ep as a file capability
}

// The user of distroless's :nonroot images, in /etc/passwd as "nonroot".
const nonroot = "65532:65532"

// PauseRef is the sandbox image the cluster's containerd is configured with.
const PauseRef = "registry.k8s.io/pause:3.10-gslb"

// Images returns the images built, the gslb ones tagged tag.
func Images(tag string) []Spec {
	return []Spec{
		{
			Ref:        "ghcr.io/gslbdns/coredns-gslb:" + tag,
			File:       "coredns-gslb.tar",
			Files:      []File{{Name: "coredns-gslb", NetBindCap: true}},
			User:       nonroot,
			Entrypoint: []string{"/coredns-gslb"},
			Cmd:        []string{"-conf", "/etc/coredns/Corefile"},
			Ports:      []string{"53/udp", "53/tcp", "8080/tcp", "8181/tcp", "9153/tcp"},
		},
		{
			Ref:        "ghcr.io/gslbdns/gslb-syncer:" + tag,
			File:       "gslb-syncer.tar",
			Files:      []File{{Name: "gslb-syncer"}, {Name: "gslbctl"}},
			User:       nonroot,
			Entrypoint: []string{"/gslb-syncer"},
			Ports:      []string{"9154/tcp"},
		},
		{
			// test/tools/pause: sleeps until SIGINT or SIGTERM, like
			// Kubernetes's pause (which runs as 65535).
			Ref:        PauseRef,
			File:       "pause.tar",
			Files:      []File{{Name: "pause"}},
			User:       "65535:65535",
			Entrypoint: []string{"/pause"},
		},
	}
}
