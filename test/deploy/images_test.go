package deploy_test

import (
	"archive/tar"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/test/e2e/harness"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"sigs.k8s.io/yaml"
)

// dockerImage is what a Dockerfile's final stage says about its image.
type dockerImage struct {
	user       string
	entrypoint []string
	cmd        []string
	ports      []string            // EXPOSE, with /tcp made explicit
	files      []string            // COPY --from=build destinations, /NAME
	caps       map[string][]string // file -> capabilities setcap gives it (cap_net_bind_service=+ep)
}

// TestImagesMatchDockerfiles checks the image tarballs of `make images`
// ($GSLB_BIN/images) against deploy/docker/Dockerfile.*: entrypoint, cmd,
// user, exposed ports, the files, and the file capability setcap gives.
func TestImagesMatchDockerfiles(t *testing.T) {
	root := harness.RepoRoot(t)
	images := filepath.Join(harness.BinDir(t), "images")
	for _, name := range []string{"coredns-gslb", "gslb-syncer"} {
		t.Run(name, func(t *testing.T) {
			want := parseDockerfile(t, filepath.Join(root, "deploy", "docker", "Dockerfile."+name))
			cfg, files := readImage(t, filepath.Join(images, name+".tar"))
			if cfg.Config.User != want.user {
				t.Errorf("user %q, the Dockerfile says %q", cfg.Config.User, want.user)
			}
			if !slices.Equal(cfg.Config.Entrypoint, want.entrypoint) || !slices.Equal(cfg.Config.Cmd, want.cmd) {
				t.Errorf("entrypoint %q cmd %q, the Dockerfile says %q %q", cfg.Config.Entrypoint, cfg.Config.Cmd, want.entrypoint, want.cmd)
			}
			var ports []string
			for p := range cfg.Config.ExposedPorts {
				ports = append(ports, p)
			}
			slices.Sort(ports)
			if !slices.Equal(ports, want.ports) {
				t.Errorf("exposed ports %v, the Dockerfile says %v", ports, want.ports)
			}
			var names []string
			for n := range files {
				names = append(names, n)
			}
			slices.Sort(names)
			if !slices.Equal(names, want.files) {
				t.Errorf("files %v, the Dockerfile copies %v", names, want.files)
			}
			for f, xattr := range files {
				got := decodeCaps(t, f, xattr)
				if !slices.Equal(got, want.caps[f]) {
					t.Errorf("%s: file capabilities %v, the Dockerfile's setcap gives %v", f, got, want.caps[f])
				}
			}
			if cfg.OS != "linux" || cfg.Architecture == "" {
				t.Errorf("platform %s/%s, want linux/<arch>", cfg.OS, cfg.Architecture)
			}
		})
	}
}

var (
	dockerJSON  = regexp.MustCompile(`^(ENTRYPOINT|CMD)\s+(\[.*\])$`)
	dockerCopy  = regexp.MustCompile(`^COPY\s+--from=build\s+(.+)\s+(\S+)$`)
	dockerSetcp = regexp.MustCompile(`setcap\s+(\S+)=\+ep\s+(\S+)`)
)

// parseDockerfile reads the instructions the images must follow: those of
// the last stage, and the setcap of the build stage.
func parseDockerfile(t *testing.T, path string) dockerImage {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	d := dockerImage{caps: map[string][]string{}}
	setcap := map[string][]string{} // /out/NAME -> caps
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if m := dockerSetcp.FindStringSubmatch(line); m != nil {
			setcap[filepath.Base(m[2])] = strings.Split(m[1], ",")
		}
		fields := strings.Fields(line)
		switch fields[0] {
		case "USER":
			d.user = fields[1]
		case "EXPOSE":
			for _, p := range fields[1:] {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				d.ports = append(d.ports, p)
			}
		case "ENTRYPOINT", "CMD":
			m := dockerJSON.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s: %q is not in exec (JSON) form", path, line)
			}
			var v []string
			if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			if m[1] == "CMD" {
				d.cmd = v
			} else {
				d.entrypoint = v
			}
		case "COPY":
			m := dockerCopy.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			for _, src := range strings.Fields(m[1]) {
				dst := m[2]
				if strings.HasSuffix(dst, "/") {
					dst += filepath.Base(src)
				}
				d.files = append(d.files, dst)
				if c, ok := setcap[filepath.Base(src)]; ok {
					d.caps[dst] = c
				}
			}
		}
	}
	slices.Sort(d.ports)
	slices.Sort(d.files)
	if d.user == "" || d.entrypoint == nil || len(d.files) == 0 {
		t.Fatalf("%s: no USER, ENTRYPOINT or COPY --from=build found", path)
	}
	return d
}

// readImage unpacks the OCI layout tarball and returns the one image's config
// and its layer's regular files, each with its security.capability xattr.
func readImage(t *testing.T, path string) (*v1.ConfigFile, map[string]string) {
	dir := t.TempDir()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: run `make images`", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	untar(t, f, dir)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("%s: not an OCI image layout: %v", path, err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("%s: want one image in index.json, got %v (%v)", path, im, err)
	}
	if im.Manifests[0].Annotations["io.containerd.image.name"] == "" {
		t.Errorf("%s: index.json names no image (io.containerd.image.name): ctr images import would not name it", path)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%s: want one layer, got %d (%v)", path, len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			files["/"+strings.TrimPrefix(h.Name, "/")] = h.PAXRecords["SCHILY.xattr.security.capability"]
			if h.Uid != 0 || h.Mode&0o111 == 0 {
				t.Errorf("%s: /%s is uid %d mode %o, want root-owned and executable", path, h.Name, h.Uid, h.Mode)
			}
		}
	}
	return cfg, files
}

func untar(t *testing.T, r io.Reader, dir string) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// decodeCaps names the capabilities a security.capability xattr (struct
// vfs_cap_data, linux/capability.h) gives as effective and permitted, in
// setcap's spelling; none for an empty xattr.
func decodeCaps(t *testing.T, file, xattr string) []string {
	if xattr == "" {
		return nil
	}
	b := []byte(xattr)
	if len(b) != 20 {
		t.Fatalf("%s: security.capability of %d bytes, want 20 (revision 2)", file, len(b))
	}
	magic := binary.LittleEndian.Uint32(b)
	if magic&0xff000000 != 0x02000000 || magic&1 == 0 {
		t.Fatalf("%s: security.capability magic %#x, want revision 2, effective", file, magic)
	}
	names := map[int]string{10: "cap_net_bind_service"}
	var caps []string
	perm := uint64(binary.LittleEndian.Uint32(b[4:])) | uint64(binary.LittleEndian.Uint32(b[12:]))<<32
	for i := range 64 {
		if perm&(1<<i) != 0 {
			n, ok := names[i]
			if !ok {
				t.Fatalf("%s: security.capability permits capability %d, which no Dockerfile sets", file, i)
			}
			caps = append(caps, n)
		}
	}
	return caps
}

// gslbImages are the images of coredns-gslb and gslb-syncer tagged with the
// appVersion of the chart in dir, as `make images` tags them.
func gslbImages(t *testing.T, chart string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chart, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil || c.AppVersion == "" {
		t.Fatalf("%s/Chart.yaml: no appVersion (%v)", chart, err)
	}
	return []string{"ghcr.io/gslbdns/coredns-gslb:" + c.AppVersion, "ghcr.io/gslbdns/gslb-syncer:" + c.AppVersion}
}
