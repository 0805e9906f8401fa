package hcl

import (
	"math/big"
	"strconv"
)

// numberText writes a number the way (*big.Float).Text('f', -1) does, the
// shortest decimal that reads back as the same value, without its cost:
// HCL numbers carry 512 bits, and the exact shortest search over them
// dominated the decoding of parameters. Whole numbers and numbers whose
// float64 text reads back as the very same value take the fast path; the
// rest (more digits than a float64 holds) take the exact one.
func numberText(f *big.Float) string {
	if f.IsInt() && (f.Sign() != 0 || !f.Signbit()) {
		if i, acc := f.Int64(); acc == big.Exact {
			return strconv.FormatInt(i, 10)
		}
	}
	if f.IsInf() {
		return f.Text('f', -1)
	}
	if f64, _ := f.Float64(); f64 != 0 {
		s := strconv.FormatFloat(f64, 'f', -1, 64)
		back, _, err := big.ParseFloat(s, 10, f.Prec(), big.ToNearestEven)
		if err == nil && back.Cmp(f) == 0 {
			return s
		}
	}
	return f.Text('f', -1)
}
