package gslbctl

import (
	"math"
	"testing"
)

func TestChiSquare(t *testing.T) {
	// Reference values: chi-square survival function (e.g. scipy.stats.chi2.sf).
	for _, tc := range []struct {
		stat float64
		df   int
		p    float64
	}{
		{3.841458820694124, 1, 0.05},
		{5.991464547107979, 2, 0.05},
		{9.21034037197618, 2, 0.01},
		{0.5, 2, 0.7788007830714049},
		{30, 10, 0.000857535},
	} {
		if p := gammaQ(float64(tc.df)/2, tc.stat/2); math.Abs(p-tc.p) > 1e-6 {
			t.Errorf("Q(df=%d, x=%v) = %v, want %v", tc.df, tc.stat, p, tc.p)
		}
	}
	stat, p, df := chiSquare([]int{600, 400, 200}, []float64{600, 400, 200})
	if stat != 0 || p != 1 || df != 2 {
		t.Errorf("exact split: stat %v p %v df %d", stat, p, df)
	}
	if _, p, _ := chiSquare([]int{400, 400, 400}, []float64{600, 400, 200}); p > 1e-10 {
		t.Errorf("an even split against 6:4:2 has p %v, want ~0", p)
	}
	if _, p, _ := chiSquare([]int{5, 0}, []float64{5, 0}); p != 1 {
		t.Errorf("a zero-weight member never answered: p %v", p)
	}
	if _, p, _ := chiSquare([]int{5, 1}, []float64{6, 0}); p != 0 {
		t.Errorf("a zero-weight member answered: p %v, want 0", p)
	}
}
