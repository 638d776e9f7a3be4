package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// BIND 9 (Debian's bind9) as the company DNS of the scenario: the parent of
// avi.iberia.local, recursive for its clients. The delegation, DNSSEC and
// multi-site tests share these pieces; each writes its own named.conf.

// EnsureBIND returns the paths of named and rndc, installing Debian's bind9
// (and bind9-utils) through test/tools/ensure-deb.sh when missing. It fails
// the test when it cannot: the tests never skip.
func EnsureBIND(t testing.TB) (named, rndc string) {
	t.Helper()
	script := filepath.Join(RepoRoot(t), "test", "tools", "ensure-deb.sh")
	var paths [2]string
	for i, c := range [][2]string{{"named", "bind9"}, {"rndc", "bind9-utils"}} {
		if paths[i] = findSbin(c[0]); paths[i] != "" {
			continue
		}
		out, err := exec.Command(script, c[0], c[1]).CombinedOutput()
		if err != nil {
			t.Fatalf("%s is missing and `%s %s %s` failed: %v\n%s", c[0], script, c[0], c[1], err, out)
		}
		if paths[i] = findSbin(c[0]); paths[i] == "" {
			t.Fatalf("%s still missing after installing Debian package %s:\n%s", c[0], c[1], out)
		}
	}
	return paths[0], paths[1]
}

// findSbin looks cmd up on PATH, then in /usr/sbin and /sbin (not on every
// user's PATH); "" when it is nowhere.
func findSbin(cmd string) string {
	if p, err := exec.LookPath(cmd); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, cmd)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// StartNamed starts named in the foreground (-g, logging to its harness log),
// IPv4 only, with the configuration conf, in dir and in the namespace ns
// (BIND listens on port 53 of the addresses conf names). As root without -u,
// named keeps running as root (fine for a test). It does not wait: see
// WaitAuthoritative.
func StartNamed(t testing.TB, ns *NetNS, named, name, dir, conf string) *Process {
	t.Helper()
	return StartProcess(t, Cmd{Name: name, Path: named, Dir: dir, NetNS: ns, Args: []string{"-g", "-4", "-c", conf}})
}

// WaitAuthoritative waits until the server at addr (inside ns) answers the
// SOA of zone authoritatively, failing at once when proc exits.
func WaitAuthoritative(t testing.TB, ns *NetNS, proc *Process, addr, zone string) {
	t.Helper()
	cl := ns.Dial(t, addr, "udp")
	defer cl.Close()
	Eventually(t, StartTimeout, func() error {
		if proc.Exited() {
			return Permanent(fmt.Errorf("%s exited: %s", proc.Name, proc.ExitText()))
		}
		r, err := cl.Exchange(zone, dns.TypeSOA)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 {
			return fmt.Errorf("SOA %s from %s: %s, want NOERROR, aa, one SOA", zone, addr, Brief(r))
		}
		return nil
	})
}

// NamedOptions is the options statement of a test's named.conf: its
// directory dir, no pid or session-key file (several servers may run), port
// 53 of listenIP only, no IPv6; more are further options, one a line
// ("recursion yes;").
func NamedOptions(dir, listenIP string, more ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "options {\n    directory %q;\n    pid-file none;\n    session-keyfile none;\n", dir)
	fmt.Fprintf(&b, "    listen-on port 53 { %s; };\n    listen-on-v6 { none; };\n", listenIP)
	for _, m := range more {
		fmt.Fprintf(&b, "    %s\n", m)
	}
	b.WriteString("};\n")
	return b.String()
}
