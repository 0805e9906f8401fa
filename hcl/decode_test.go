package hcl

import (
	"reflect"
	"strings"
	"testing"
)

// TestUnknownAttributeNamesItsBlock: the message names the block by its
// kind, and by its label when it has one.
func TestUnknownAttributeNamesItsBlock(t *testing.T) {
	src := `project {
  bogus = 1
  retention {
    bogus = 1
  }
}
configuration "c" {
  command = ["true"]
  bogus   = 1
}
orchestration "o" {
  bogus = 1
  schedule {
    cron  = "0 6 * * *"
    bogus = 1
  }
  phase "p" {
    bogus = 1
    task "t" {
      configuration = "c"
      bogus         = 1
    }
  }
}
bogus = 1
`
	_, diags := Parse([]File{{Name: "u.hcl", Src: []byte(src)}})
	var got []string
	for _, d := range diags {
		got = append(got, d.Message)
	}
	want := []string{
		`unknown attribute "bogus" in project`,
		`unknown attribute "bogus" in retention`,
		`unknown attribute "bogus" in configuration "c"`,
		`unknown attribute "bogus" in orchestration "o"`,
		`unknown attribute "bogus" in schedule`,
		`unknown attribute "bogus" in phase "p"`,
		`unknown attribute "bogus" in task "t"`,
		`unknown attribute "bogus" here`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
