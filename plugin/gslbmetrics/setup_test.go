package gslbmetrics

import (
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		input, addr string
		zones       []string
	}{
		{"gslbmetrics", defaultAddr, []string{"avi.iberia.local."}},
		{"gslbmetrics :9153", ":9153", []string{"avi.iberia.local."}},
		{"gslbmetrics 127.0.0.1:9253 {\n sample 1\n}", "127.0.0.1:9253", []string{"avi.iberia.local."}},
	} {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"avi.iberia.local:1053"}
		m, err := parse(c)
		if err != nil {
			t.Fatalf("%q: %v", tc.input, err)
		}
		if m.addr != tc.addr || strings.Join(m.zones, ",") != strings.Join(tc.zones, ",") || m.sample == nil {
			t.Errorf("%q: addr %q zones %v", tc.input, m.addr, m.zones)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"gslbmetrics a b", "want 'gslbmetrics [ADDRESS]', got 2 arguments"},
		{"gslbmetrics 9153", `address "9153"`},
		{"gslbmetrics {\n sample\n}", "sample: want 'sample N'"},
		{"gslbmetrics {\n sample 0\n}", `sample: "0" is not a whole number of at least 1`},
		{"gslbmetrics {\n sample x\n}", `sample: "x" is not a whole number of at least 1`},
		{"gslbmetrics {\n histograms\n}", `unknown property "histograms"`},
	} {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"avi.iberia.local:1053"}
		_, err := parse(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.input, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), "Testfile:") {
			t.Errorf("%q: error %q does not name the line", tc.input, err)
		}
	}
	c := caddy.NewTestController("dns", "gslbmetrics\ngslbmetrics")
	if _, err := parse(c); err == nil {
		t.Error("two gslbmetrics lines in one block: no error")
	}
}

// Zones match case-insensitively on label boundaries, the most specific first.
func TestZoneIndex(t *testing.T) {
	m := &Metrics{zones: []string{"iberia.local.", "avi.iberia.local.", "."}}
	for name, want := range map[string]int{
		"hello.avi.iberia.local.": 1,
		"HELLO.Avi.Iberia.Local.": 1,
		"avi.iberia.local.":       1,
		"xavi.iberia.local.":      0,
		"iberia.local.":           0,
		"example.org.":            2,
	} {
		if got := m.zoneIndex(name); got != want {
			t.Errorf("%s: zone %d, want %d", name, got, want)
		}
	}
	if got := (&Metrics{zones: []string{"avi.iberia.local."}}).zoneIndex("example.org."); got != -1 {
		t.Errorf("outside every zone: %d, want -1", got)
	}
}
