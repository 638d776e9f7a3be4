package statuspage

// A reader of the one series the chart needs from the Prometheus text
// format: coredns_gslb_answers_total{fqdn="…",member="…",…} VALUE. It reads
// each line's bytes in place and allocates only the series' key: a scrape
// of 300k series is BenchmarkScrape100k.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var answersMetric = []byte("coredns_gslb_answers_total{")

// parseAnswers returns the answers counters by seriesKey.
func parseAnswers(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if !bytes.HasPrefix(b, answersMetric) {
			continue
		}
		fqdn, member, rest, err := parseLabels(b[len(answersMetric):])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		rest = bytes.TrimLeft(rest, " ")
		if i := bytes.IndexByte(rest, ' '); i >= 0 { // a timestamp follows
			rest = rest[:i]
		}
		v, err := strconv.ParseFloat(string(rest), 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: value %q: %v", line, rest, err)
		}
		out[seriesKey(fqdn, member)] += v
	}
	return out, sc.Err()
}

// parseLabels reads `name="value",…}` and returns the fqdn and member
// labels and what follows the closing brace.
func parseLabels(b []byte) (fqdn, member string, rest []byte, err error) {
	for {
		b = bytes.TrimLeft(b, " ,")
		if len(b) > 0 && b[0] == '}' {
			return fqdn, member, b[1:], nil
		}
		eq := bytes.Index(b, []byte(`="`))
		if eq <= 0 {
			return "", "", nil, fmt.Errorf("bad labels near %q", b)
		}
		name := b[:eq]
		val, after, err := labelValue(b[eq+2:])
		if err != nil {
			return "", "", nil, fmt.Errorf("label %s: %v", name, err)
		}
		switch string(name) {
		case "fqdn":
			fqdn = val
		case "member":
			member = val
		}
		b = after
	}
}

// labelValue reads a quoted value up to its closing quote (the opening one
// read), unescaping \\, \" and \n.
func labelValue(b []byte) (string, []byte, error) {
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return "", nil, fmt.Errorf("unterminated value")
	}
	if !bytes.Contains(b[:end], []byte{'\\'}) {
		return string(b[:end]), b[end+1:], nil
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			return sb.String(), b[i+1:], nil
		case c == '\\' && i+1 < len(b):
			i++
			if c = b[i]; c == 'n' {
				c = '\n'
			}
		}
		sb.WriteByte(c)
	}
	return "", nil, fmt.Errorf("unterminated value")
}
