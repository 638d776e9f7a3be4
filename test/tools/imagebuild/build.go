package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is every timestamp in the images, so that they are reproducible.
var epoch = time.Unix(0, 0).UTC()

// Build writes spec's image, made from the binaries in binDir, to path as a
// tar of an OCI image layout, and returns the manifest digest.
func Build(spec Spec, binDir, path string) (v1.Hash, error) {
	layerTar, err := layerTar(spec.Files, binDir)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := image(spec, layerTar)
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	return digest, writeLayoutTar(img, spec.Ref, path)
}

// layerTar is the one layer: each binary at the root, owned by root, 0755.
func layerTar(files []File, binDir string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		src := filepath.Join(binDir, f.Name)
		if err := checkStatic(src); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg, Name: f.Name, Mode: 0o755, Size: int64(len(data)),
			ModTime: epoch, Format: tar.FormatPAX,
		}
		if f.NetBindCap {
			hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(NetBindServiceCap())}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// capNetBindService is CAP_NET_BIND_SERVICE's number (linux/capability.h).
const capNetBindService = 10

// NetBindServiceCap is the security.capability xattr that
// `setcap cap_net_bind_service=+ep` writes: a vfs_cap_data of revision 2,
// effective, permitting CAP_NET_BIND_SERVICE (linux/capability.h).
func NetBindServiceCap() []byte {
	const revision2, effective = 0x02000000, 0x000001
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], revision2|effective)
	binary.LittleEndian.PutUint32(b[4:], 1<<capNetBindService) // permitted, caps 0-31
	return b                                                   // inheritable and caps 32-63: 0
}

// checkStatic fails for a binary that needs a dynamic loader: the images
// have no libc.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w (build the static binaries first: make images)", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

// image is the empty base plus the layer, with spec's config.
func image(spec Spec, layerTar []byte) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: epoch}, CreatedBy: "imagebuild " + strings.Join(fileNames(spec.Files), " "),
	}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS, cfg.Created = runtime.GOARCH, "linux", v1.Time{Time: epoch}
	cfg.Config = v1.Config{
		User: spec.User, Entrypoint: spec.Entrypoint, Cmd: spec.Cmd,
		Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
	}
	if len(spec.Ports) > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Ports {
			cfg.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cfg)
}

func fileNames(files []File) []string {
	var names []string
	for _, f := range files {
		names = append(names, "/"+f.Name)
	}
	return names
}

// writeLayoutTar writes img as an OCI image layout in a tar: oci-layout,
// index.json naming the image ref (containerd's io.containerd.image.name),
// and the blobs.
func writeLayoutTar(img v1.Image, ref, path string) error {
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	blobs := [][]byte{manifest, config}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		blobs = append(blobs, b)
	}
	index, err := indexJSON(manifest, ref)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := add("index.json", index); err != nil {
		return err
	}
	for _, b := range blobs {
		h, _, err := v1.SHA256(bytes.NewReader(b))
		if err != nil {
			return err
		}
		if err := add("blobs/sha256/"+h.Hex, b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func indexJSON(manifest []byte, ref string) ([]byte, error) {
	h, size, err := v1.SHA256(bytes.NewReader(manifest))
	if err != nil {
		return nil, err
	}
	tag := ref[strings.LastIndex(ref, ":")+1:]
	return json.Marshal(v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIManifestSchema1, Digest: h, Size: size,
			Annotations: map[string]string{
				"io.containerd.image.name":          ref,
				"org.opencontainers.image.ref.name": tag,
			},
		}},
	})
}
