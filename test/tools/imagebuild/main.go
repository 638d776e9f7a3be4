// Command imagebuild writes the OCI image tarballs of gslb (coredns-gslb,
// gslb-syncer with gslbctl) and the Kubernetes pause image from static
// binaries, without Docker and without a network: an empty base, one layer,
// user 65532, the entrypoint, and for coredns-gslb the cap_net_bind_service
// file capability as the layer's security.capability xattr (a PAX record,
// which containerd applies when it unpacks the layer). The images hold what
// deploy/docker/Dockerfile.* describe (test/deploy/images_test.go compares
// them); they are reproducible: the same binaries give the same digests.
//
//	imagebuild -bin bin/static -tag 0.1.0 -out bin/images
//
// writes coredns-gslb.tar, gslb-syncer.tar and pause.tar, each an OCI image
// layout in a tar (`ctr images import` reads it), named by images.go.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	binDir := flag.String("bin", "bin/static", "directory of the static binaries")
	tag := flag.String("tag", "", "tag of the gslb images (the chart's appVersion)")
	out := flag.String("out", "bin/images", "directory the image tarballs are written to")
	flag.Parse()
	if *tag == "" {
		fail(fmt.Errorf("-tag is required (the chart's appVersion, deploy/helm/gslb/Chart.yaml)"))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for _, spec := range Images(*tag) {
		path := filepath.Join(*out, spec.File)
		digest, err := Build(spec, *binDir, path)
		if err != nil {
			fail(fmt.Errorf("%s: %w", spec.Ref, err))
		}
		fmt.Printf("%s\t%s\t%s\n", path, spec.Ref, digest)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "imagebuild: %v\n", err)
	os.Exit(1)
}
