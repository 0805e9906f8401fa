package hcl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestNumberTextIsTheExactShortestText: the fast conversion of parameters'
// numbers writes what (*big.Float).Text('f', -1) writes, for numbers as
// HCL parses them (512 bits), whole or not, short or longer than a float64.
func TestNumberTextIsTheExactShortestText(t *testing.T) {
	inputs := []string{
		"0", "-0", "1", "-1", "100", "0.25", "1.25", "-3.5", "0.1", "0.2", "0.3", "1.1", "3.14159",
		"9007199254740993", "12345678901234567890", "-12345678901234567890", "1e300", "1e-300", "2.5e-8",
		"0.1000000000000000055511151231257827021181583404541015625", "123456789.123456789",
		"0.30000000000000004", "1.7976931348623157e308", "4.9e-324", "1e400", "1e-400",
		strconv.FormatInt(math.MaxInt64, 10), strconv.FormatInt(math.MinInt64, 10), "9223372036854775808",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		switch r.IntN(4) {
		case 0:
			inputs = append(inputs, strconv.FormatInt(r.Int64()-r.Int64(), 10))
		case 1:
			inputs = append(inputs, fmt.Sprintf("%d.%0*d", r.IntN(100000)-50000, 1+r.IntN(8), r.IntN(100000000)))
		case 2:
			inputs = append(inputs, strconv.FormatFloat(math.Float64frombits(r.Uint64()), 'g', -1, 64))
		default:
			inputs = append(inputs, fmt.Sprintf("%de%d", r.IntN(1000000), r.IntN(80)-40))
		}
	}
	for _, in := range inputs {
		v, err := cty.ParseNumberVal(in)
		if err != nil {
			continue // NaN and the like are not HCL numbers
		}
		f := v.AsBigFloat()
		if want, got := f.Text('f', -1), numberText(f); got != want {
			t.Errorf("%s: numberText = %s, want %s", in, got, want)
		}
	}
}
