package statuspage

// A reader of the one series the chart needs from the Prometheus text
// format: coredns_gslb_answers_total{fqdn="…",member="…",…} VALUE.

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const answersMetric = "coredns_gslb_answers_total{"

// parseAnswers returns the answers counters by seriesKey.
func parseAnswers(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if !strings.HasPrefix(s, answersMetric) {
			continue
		}
		labels, rest, err := parseLabels(s[len(answersMetric):])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("line %d: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: value %q: %v", line, fields[0], err)
		}
		out[seriesKey(labels["fqdn"], labels["member"])] += v
	}
	return out, sc.Err()
}

// parseLabels reads `name="value",…}` and returns the labels and what
// follows the closing brace.
func parseLabels(s string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		name, rest, ok := strings.Cut(s, "=\"")
		if !ok || name == "" {
			return nil, "", fmt.Errorf("bad labels near %q", s)
		}
		var b strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			c := rest[i]
			if c == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					c = '\n'
				default:
					c = rest[i]
				}
			}
			b.WriteByte(c)
		}
		if i == len(rest) {
			return nil, "", fmt.Errorf("unterminated value of label %s", name)
		}
		labels[name] = b.String()
		s = rest[i+1:]
	}
}
