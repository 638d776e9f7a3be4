package filesource

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseSpec reads the argument of gslb-syncer's --source file:ARG, which is
// PATH[?delete-share=F&delete-hold=D]: the members file, and the guard
// against a file read mid-write (Options.DeleteShare, Options.DeleteHold).
func ParseSpec(arg string) (path string, opts Options, err error) {
	path, query, _ := strings.Cut(arg, "?")
	if path == "" {
		return "", opts, fmt.Errorf("missing path")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", opts, fmt.Errorf("options %q: %v", query, err)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "delete-share":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f > 0 && f <= 1) {
				return "", opts, fmt.Errorf("option delete-share=%q: want a share above 0 and at most 1 (1 turns the hold off)", v)
			}
			opts.DeleteShare = f
		case "delete-hold":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return "", opts, fmt.Errorf("option delete-hold=%q: want a positive duration", v)
			}
			opts.DeleteHold = d
		default:
			return "", opts, fmt.Errorf("unknown option %q (want delete-share or delete-hold)", k)
		}
	}
	return path, opts, nil
}
