package gslbctl

import "math"

// chiSquare returns Pearson's statistic for observed counts against expected
// counts, and its p-value with len-1 degrees of freedom: the probability of a
// deviation at least this large if answers really follow the weights.
func chiSquare(observed []int, expected []float64) (stat, p float64, df int) {
	for i, o := range observed {
		if expected[i] <= 0 {
			if o > 0 {
				return math.Inf(1), 0, len(observed) - 1
			}
			continue
		}
		d := float64(o) - expected[i]
		stat += d * d / expected[i]
		df++
	}
	df--
	if df < 1 {
		return stat, 1, df
	}
	return stat, gammaQ(float64(df)/2, stat/2), df
}

// gammaQ is the regularised upper incomplete gamma function Q(a, x), by the
// series for x < a+1 and the continued fraction otherwise (Numerical Recipes).
func gammaQ(a, x float64) float64 {
	if x <= 0 {
		return 1
	}
	if math.IsInf(x, 1) {
		return 0
	}
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, del := 1/a, 1/a
		for n := 1; n < 1000; n++ {
			del *= x / (a + float64(n))
			sum += del
			if math.Abs(del) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return 1 - sum*math.Exp(-x+a*math.Log(x)-lg)
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}
