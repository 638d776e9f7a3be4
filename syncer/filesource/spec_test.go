package filesource

import (
	"strings"
	"testing"
	"time"
)

func TestParseSpec(t *testing.T) {
	for _, tt := range []struct {
		arg, path string
		opts      Options
		err       string
	}{
		{arg: "/etc/gslb/members.yaml", path: "/etc/gslb/members.yaml"},
		{arg: "m.yaml?delete-share=0.25&delete-hold=5s", path: "m.yaml", opts: Options{DeleteShare: 0.25, DeleteHold: 5 * time.Second}},
		{arg: "m.yaml?delete-share=1", path: "m.yaml", opts: Options{DeleteShare: 1}},
		{arg: "", err: "missing path"},
		{arg: "m.yaml?delete-share=0", err: `option delete-share="0": want a share above 0 and at most 1`},
		{arg: "m.yaml?delete-share=2", err: `option delete-share="2"`},
		{arg: "m.yaml?delete-hold=-1s", err: `option delete-hold="-1s": want a positive duration`},
		{arg: "m.yaml?hold=1s", err: `unknown option "hold"`},
	} {
		path, opts, err := ParseSpec(tt.arg)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want %q", tt.arg, err, tt.err)
		case tt.err == "" && (err != nil || path != tt.path || opts != tt.opts):
			t.Errorf("%q: %q %+v %v, want %q %+v", tt.arg, path, opts, err, tt.path, tt.opts)
		}
	}
}
