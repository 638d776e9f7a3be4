package gslbctl

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The chart: for each member a pair of bars, configured share (grey) and
// observed share (blue), labelled with percentages, a title and the verdict.
// One layout is drawn by two back ends, SVG and PNG.

const (
	chartW, chartH = 900, 480
	marginL        = 60
	marginR        = 20
	marginT        = 70
	marginB        = 110
)

var (
	colConfigured = color.RGBA{0x9e, 0x9e, 0x9e, 0xff}
	colObserved   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colDeviates   = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	colText       = color.RGBA{0x20, 0x20, 0x20, 0xff}
	colAxis       = color.RGBA{0x60, 0x60, 0x60, 0xff}
)

type rect struct {
	x, y, w, h int
	c          color.RGBA
}

type label struct {
	x, y   int
	text   string
	anchor string // start, middle
	bold   bool
}

type layout struct {
	rects  []rect
	labels []label
}

func chartLayout(r *SplitResult) layout {
	var l layout
	l.labels = append(l.labels,
		label{x: marginL, y: 28, text: fmt.Sprintf("%s %s: configured vs observed share (%d answers)", dns.Fqdn(r.Name), dns.TypeToString[r.Qtype], r.Answered), bold: true},
		label{x: marginL, y: 50, text: verdictLine(r)},
	)
	plotH := chartH - marginT - marginB
	maxShare := 0.0
	for _, row := range r.Rows {
		maxShare = max(maxShare, row.Configured, row.Observed)
	}
	top := 1.0
	for _, t := range []float64{0.1, 0.25, 0.5, 0.75} {
		if maxShare <= t {
			top = t
			break
		}
	}
	// Axis and grid.
	l.rects = append(l.rects, rect{marginL, marginT, 1, plotH, colAxis}, rect{marginL, marginT + plotH, chartW - marginL - marginR, 1, colAxis})
	for i := 0; i <= 4; i++ {
		y := marginT + plotH - plotH*i/4
		l.labels = append(l.labels, label{x: marginL - 6, y: y + 4, text: strconv.FormatFloat(100*top*float64(i)/4, 'f', -1, 64) + "%", anchor: "end"})
		if i > 0 {
			l.rects = append(l.rects, rect{marginL, y, chartW - marginL - marginR, 1, color.RGBA{0xe0, 0xe0, 0xe0, 0xff}})
		}
	}
	n := max(len(r.Rows), 1)
	group := (chartW - marginL - marginR) / n
	barW := min(group/3, 80)
	for i, row := range r.Rows {
		x0 := marginL + i*group + (group-2*barW)/2
		for j, share := range []float64{row.Configured, row.Observed} {
			c := colConfigured
			if j == 1 {
				c = colObserved
				if !r.OK && (row.Weight == 0 || row.Configured == 0) {
					c = colDeviates
				}
			}
			h := int(float64(plotH) * share / top)
			x := x0 + j*barW
			l.rects = append(l.rects, rect{x, marginT + plotH - h, barW - 4, h, c})
			l.labels = append(l.labels, label{x: x + (barW-4)/2, y: marginT + plotH - h - 5, text: fmt.Sprintf("%.1f%%", 100*share), anchor: "middle"})
		}
		cx := marginL + i*group + group/2
		l.labels = append(l.labels, label{x: cx, y: marginT + plotH + 18, text: row.Member, anchor: "middle", bold: true})
		sub := strings.TrimSpace(strings.Join([]string{row.Cluster, row.Site}, " "))
		if row.Weight > 0 || row.Configured > 0 {
			sub = strings.TrimSpace(fmt.Sprintf("%s weight %d", sub, row.Weight))
		}
		l.labels = append(l.labels, label{x: cx, y: marginT + plotH + 34, text: sub, anchor: "middle"},
			label{x: cx, y: marginT + plotH + 50, text: fmt.Sprintf("%d answers", row.Count), anchor: "middle"})
	}
	// Legend.
	ly := chartH - 28
	l.rects = append(l.rects, rect{marginL, ly - 10, 12, 12, colConfigured}, rect{marginL + 130, ly - 10, 12, 12, colObserved})
	l.labels = append(l.labels, label{x: marginL + 18, y: ly, text: "configured"}, label{x: marginL + 148, y: ly, text: "observed"})
	return l
}

func verdictLine(r *SplitResult) string {
	v := "consistent with the weights"
	switch {
	case r.Answered == 0:
		v = "no answers"
	case len(r.Unplanned) > 0:
		v = "DEVIATES: unconfigured members answered"
	case r.P < r.Alpha:
		v = "DEVIATES from the weights"
	}
	if r.Exact && r.Answered > 0 {
		v += ", exact"
	}
	return fmt.Sprintf("chi-square %.2f, df %d, p = %.3g (significance level %g): %s", r.Stat, r.DF, r.P, r.Alpha, v)
}

// SVG renders the chart as an SVG document.
func (r *SplitResult) SVG() []byte {
	l := chartLayout(r)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", chartW, chartH)
	for _, x := range l.rects {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#%02x%02x%02x"/>`+"\n", x.x, x.y, x.w, x.h, x.c.R, x.c.G, x.c.B)
	}
	for _, t := range l.labels {
		anchor := t.anchor
		if anchor == "" {
			anchor = "start"
		}
		weight := ""
		if t.bold {
			weight = ` font-weight="bold"`
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="%s"%s fill="#202020">%s</text>`+"\n", t.x, t.y, anchor, weight, html.EscapeString(t.text))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// PNG renders the chart as a PNG image.
func (r *SplitResult) PNG() ([]byte, error) {
	l := chartLayout(r)
	img := image.NewRGBA(image.Rect(0, 0, chartW, chartH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, x := range l.rects {
		draw.Draw(img, image.Rect(x.x, x.y, x.x+x.w, x.y+x.h), image.NewUniform(x.c), image.Point{}, draw.Src)
	}
	face := basicfont.Face7x13
	for _, t := range l.labels {
		d := &font.Drawer{Dst: img, Src: image.NewUniform(colText), Face: face}
		w := d.MeasureString(t.text).Ceil()
		x := t.x
		switch t.anchor {
		case "middle":
			x -= w / 2
		case "end":
			x -= w
		}
		d.Dot = fixed.P(x, t.y)
		d.DrawString(t.text)
		if t.bold { // a poor man's bold: draw again one pixel right
			d.Dot = fixed.P(x+1, t.y)
			d.DrawString(t.text)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteChart writes the chart to path, as SVG or PNG by its extension.
func (r *SplitResult) WriteChart(path string) error {
	var data []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		data = r.SVG()
	case ".png":
		var err error
		if data, err = r.PNG(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--chart %s: the file name must end in .svg or .png", path)
	}
	return os.WriteFile(path, data, 0o644)
}
