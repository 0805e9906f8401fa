package finding

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFindingsWithoutAPlaceComeFirstThenByPosition(t *testing.T) {
	l := List{
		{Severity: Warning, Code: "b", Pos: Pos{File: "b.hcl", Line: 1, Column: 1}},
		{Severity: Error, Code: "a2", Pos: Pos{File: "a.hcl", Line: 2, Column: 1}},
		{Severity: Error, Code: "guard"},
		{Severity: Error, Code: "a1", Pos: Pos{File: "a.hcl", Line: 1, Column: 9}},
	}
	l.Sort()
	var got []string
	for _, f := range l {
		got = append(got, f.Code)
	}
	if strings.Join(got, " ") != "guard a1 a2 b" {
		t.Errorf("order = %v", got)
	}
	if l.Errors() != 3 || l.Warnings() != 1 || !l.HasErrors() || len(l.Filter(Warning)) != 1 {
		t.Errorf("counts: %d errors, %d warnings", l.Errors(), l.Warnings())
	}
}

func TestFindingsEncodeAsOneFlatObjectAndNeverNull(t *testing.T) {
	var none List
	if b, _ := json.Marshal(none); string(b) != "[]" {
		t.Errorf("nil list = %s, want []", b)
	}
	b, err := json.Marshal(List{{Severity: Warning, Code: "dst-gap", Pos: Pos{File: "x.hcl", Line: 3, Column: 5}, Message: "m", Hint: "h", SourceLine: "src"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"severity":"warning","code":"dst-gap","file":"x.hcl","line":3,"column":5,"message":"m","hint":"h"}]`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}

func TestWriteTextPutsTheCaretUnderTheColumn(t *testing.T) {
	var b strings.Builder
	List{{Severity: Error, Pos: Pos{File: "x.hcl", Line: 1, Column: 4}, Message: "bad", Hint: "fix it", SourceLine: "\tab cd"}}.WriteText(&b)
	want := "x.hcl:1:4: error: bad\n    \tab cd\n    \t  ^\n  hint: fix it\n"
	if b.String() != want {
		t.Errorf("text = %q\nwant   %q", b.String(), want)
	}
	b.Reset()
	List{{Severity: Error, Message: "refused"}}.WriteText(&b)
	if b.String() != "error: refused\n" {
		t.Errorf("a finding without a place = %q", b.String())
	}
	if s := (Finding{Severity: Warning, Pos: Pos{File: "x.hcl", Line: 1, Column: 2}, Message: "m", Hint: "h"}).String(); s != "x.hcl:1:2: warning: m (h)" {
		t.Errorf("String = %q", s)
	}
}
