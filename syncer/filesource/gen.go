package filesource

import (
	"bufio"
	"fmt"
	"io"
)

// WriteMembers writes a members file of n records in the shape of the demo's
// corefile-examples/demo/members.yaml (each record with its ttl, algorithm
// and three members in flow mappings, under one defaults block; no
// healthCheck, so that nothing is probed), for measuring the file source at
// scale: BenchmarkParse and test/tools/filebench. Record i is named
// n<i>.<zone>.
func WriteMembers(w io.Writer, n int, zone string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %d generated records (filesource.WriteMembers)\ndefaults:\n  ttl: 30\n  downResponse: all\nrecords:\n", n)
	for i := range n {
		a, b := byte(i>>8), byte(i)
		fmt.Fprintf(bw, "  - fqdn: n%d.%s\n    ttl: 2\n    algorithm: wrr\n    members:\n", i, zone)
		fmt.Fprintf(bw, "      - {cluster: s1az1, site: site1, address: 10.1.%d.%d, weight: 6}\n", a, b)
		fmt.Fprintf(bw, "      - {cluster: s1az2, site: site1, address: 10.2.%d.%d, weight: 4}\n", a, b)
		fmt.Fprintf(bw, "      - {cluster: s2, site: site2, address: 10.3.%d.%d, weight: 2}\n", a, b)
	}
	return bw.Flush()
}
