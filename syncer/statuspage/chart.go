package statuspage

// The charts, drawn as SVG by this code (no script, no library): the share
// of each member in the record's answers, per interval scraped, as lines
// told apart by colour and dash pattern; and the last interval's split as
// one stacked bar. Every text from the data is escaped.

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// palette and dashes: a member's line differs from the others' by both.
var (
	palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"}
	dashes  = []string{"", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"}
)

// style returns the stroke of member i.
func style(i int) (colour, dash string) {
	return palette[i%len(palette)], dashes[i%len(dashes)]
}

const (
	chartW, chartH = 720, 220
	padL, padR     = 44, 12
	padT, padB     = 12, 28
)

// shareChart draws the members' shares over hist.
func shareChart(members []Member, hist []Interval, every string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="chart-title">`,
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title id="chart-title">Share of the answers per member, every %s, over the last %d intervals</title>`,
		html.EscapeString(every), len(hist))
	axes(&b)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	x := func(i int) float64 {
		if len(hist) <= 1 {
			return padL + plotW
		}
		return padL + plotW*float64(i)/float64(len(hist)-1)
	}
	y := func(share float64) float64 { return padT + plotH*(1-share) }
	for j, m := range members {
		colour, dash := style(j)
		var pts []string
		for i, iv := range hist {
			sum := total(iv.Counts)
			if sum == 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(float64(iv.Counts[j])/float64(sum))))
		}
		if len(pts) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<polyline class="series" data-member="%s" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"><title>%s</title></polyline>`,
			html.EscapeString(memberName(m)), colour, dash, strings.Join(pts, " "), html.EscapeString(memberName(m)))
	}
	if len(hist) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">no answers scraped yet</text>`, padL+12, padT+24)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// axes draws the share axis (0, 50, 100%) and the time direction.
func axes(b *strings.Builder) {
	plotH := float64(chartH - padT - padB)
	for _, s := range []float64{0, 0.5, 1} {
		yy := padT + plotH*(1-s)
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, yy, yy)
		fmt.Fprintf(b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%.0f%%</text>`, padL-6, yy+4, 100*s)
	}
	fmt.Fprintf(b, `<text class="tick" x="%d" y="%d">older</text>`, padL, chartH-8)
	fmt.Fprintf(b, `<text class="tick" x="%d" y="%d" text-anchor="end">now</text>`, chartW-padR, chartH-8)
}

// shareBar draws the last interval's split as one stacked bar.
func shareBar(members []Member) template.HTML {
	const w, h = 160, 14
	var b strings.Builder
	var parts []string
	x := 0.0
	fmt.Fprintf(&b, `<svg class="bar" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="`, w, h, w, h)
	var rects strings.Builder
	for j, m := range members {
		if m.Answers == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", memberName(m), 100*m.Answers.Share))
		if m.Answers.Share == 0 {
			continue
		}
		colour, _ := style(j)
		ww := w * m.Answers.Share
		fmt.Fprintf(&rects, `<rect x="%.1f" y="0" width="%.1f" height="%d" fill="%s"/>`, x, ww, h, colour)
		x += ww
	}
	label := "last interval: " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		label = "no answers scraped"
	}
	b.WriteString(html.EscapeString(label))
	fmt.Fprintf(&b, `"><title>%s</title><rect class="track" x="0" y="0" width="%d" height="%d"/>%s</svg>`,
		html.EscapeString(label), w, h, rects.String())
	return template.HTML(b.String())
}

func total(cs []uint32) uint64 {
	var s uint64
	for _, c := range cs {
		s += uint64(c)
	}
	return s
}
