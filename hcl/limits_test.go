package hcl

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// nested builds a configuration whose parameter is open+...+open value
// close+...+close, n levels deep.
func nested(n int, open, value, close string) []byte {
	return []byte(`configuration "c" {
  command    = ["true"]
  parameters = { a = ` + strings.Repeat(open, n) + value + strings.Repeat(close, n) + ` }
}
`)
}

func TestDeepNestingIsRefusedBeforeTheParserRecurses(t *testing.T) {
	for name, src := range map[string][]byte{
		// The file: 140 KB, parameters nested 70,000 deep.
		"objects":    nested(70000, "{a=", "1", "}"),
		"lists":      nested(70000, "[", "1", "]"),
		"parens":     nested(70000, "(", "1", ")"),
		"not":        nested(1, "", strings.Repeat("!", 500000)+"true", ""),
		"minus":      nested(1, "", strings.Repeat("- ", 300000)+"1", ""),
		"plus":       nested(1, "", "1"+strings.Repeat("+1", 200000), ""),
		"and":        nested(1, "", "true"+strings.Repeat(" && true", 100000), ""),
		"conditions": nested(1, "", strings.Repeat("true ? 1 : ", 50000)+"1", ""),
		"templates":  nested(50000, `"${`, "1", `}"`),
		"directives": nested(1, "", "<<EOT\n"+strings.Repeat("%{ if true }", 20000)+"x"+strings.Repeat("%{ endif }", 20000)+"\nEOT\n", ""),
		"blocks":     []byte(strings.Repeat("configuration \"c\" {\n", 20000) + strings.Repeat("}\n", 20000)),
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := Parse([]File{{Name: "deep.hcl", Src: src}})
			if len(diags) != 1 {
				t.Fatalf("want one diagnostic, got %d: %v", len(diags), diags)
			}
			d := diags[0]
			if d.File != "deep.hcl" || d.Line < 1 || d.Column < 1 || !strings.Contains(d.Message, "nesting is deeper than 100 levels") {
				t.Errorf("diagnostic = %s:%d:%d %s", d.File, d.Line, d.Column, d.Message)
			}
		})
	}
}

func TestDeepNestingNamesWhereTheLimitIsPassed(t *testing.T) {
	_, diags := Parse([]File{{Name: "deep.hcl", Src: nested(70000, "[", "1", "]")}})
	// The block is level 1 and the object level 2; line 3 starts
	// "  parameters = { a = " (21 characters), so the 99th bracket, at
	// column 21+99, opens level 101.
	if len(diags) != 1 || diags[0].Line != 3 || diags[0].Column != 21+99 {
		t.Errorf("diagnostics = %v, want one at 3:%d", diags, 21+99)
	}
}

func TestOrdinaryNestingAndTextThatLooksDeepAreAccepted(t *testing.T) {
	for name, src := range map[string][]byte{
		"90 levels":         nested(90, "{a=", "1", "}"),
		"brackets in text":  nested(1, "", `"`+strings.Repeat("{[(", 5000)+`\"${"x"}$${ %%{"`, ""),
		"brackets comments": []byte("# " + strings.Repeat("{", 5000) + "\n// " + strings.Repeat("(", 5000) + "\n/* " + strings.Repeat("[", 5000) + " */\n" + string(nested(3, "[", "1", "]"))),
		"heredoc":           nested(1, "", "<<-EOT\n  "+strings.Repeat("{[(", 5000)+"\n  EOT\n", ""),
		"negative numbers":  nested(1, "", "["+strings.Repeat("-1, ", 1000)+"-1]", ""),
		"many attributes":   []byte("configuration \"c\" {\n  command = [\"true\"]\n  parameters = {\n" + strings.Repeat("    k = -1\n", 1000) + "  }\n}\n"),
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := Parse([]File{{Name: "ok.hcl", Src: src}})
			for _, d := range diags {
				if strings.Contains(d.Message, "nesting") {
					t.Errorf("refused: %s:%d:%d %s", d.File, d.Line, d.Column, d.Message)
				}
			}
		})
	}
}

func TestLargeFilesAreRefusedWithoutParsing(t *testing.T) {
	unit := "configuration \"c%07d\" { command = [\"true\"] }\n"
	var b strings.Builder
	for i := 0; b.Len() < 12<<20; i++ {
		fmt.Fprintf(&b, unit, i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, diags := Parse([]File{{Name: "big.hcl", Src: []byte(b.String())}})
	runtime.ReadMemStats(&after)
	if len(diags) != 1 || diags[0].Line != 1 || diags[0].Column != 1 || !strings.Contains(diags[0].Message, "larger than 1024 KiB") {
		t.Errorf("diagnostics of a 12 MB file = %v", diags)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("refusing a 12 MB file allocated %d MB", alloc>>20)
	}
}

func TestSourcesLargerThanTheTotalLimitAreRefused(t *testing.T) {
	var files []File
	for i := 0; i < 9; i++ {
		src := []byte(fmt.Sprintf("configuration \"c%d\" { command = [\"true\"] }\n", i) + strings.Repeat("#\n", (MaxFileSize-100)/2))
		files = append(files, File{Name: fmt.Sprintf("f%d.hcl", i), Src: src})
	}
	_, diags := Parse(files)
	if len(diags) != 1 || diags[0].File != "f8.hcl" || !strings.Contains(diags[0].Message, "larger than 8 MiB") {
		t.Errorf("diagnostics = %v, want one naming f8.hcl", diags)
	}
	// Parsing 8 MB of comments takes seconds; the check alone says the
	// files under the limit pass.
	if diags := checkSizes(files[:8]); diags != nil {
		t.Errorf("8 files under the limit: %v", diags)
	}
}

func TestLoadDirReadsNoMoreThanTheLimitsNeed(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("#\n", 3<<20/2)
	for i := 0; i < 12; i++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%02d.hcl", i)), []byte(huge))
	}
	files, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		if len(f.Src) > MaxFileSize+1 {
			t.Errorf("%s: read %d bytes", f.Name, len(f.Src))
		}
		total += len(f.Src)
	}
	// Files are read in parallel: each reader may start one file before it
	// sees the total passed.
	if len(files) != 12 || total > MaxSourceSize+runtime.GOMAXPROCS(0)*(MaxFileSize+1) {
		t.Errorf("read %d files, %d bytes in all", len(files), total)
	}
	if _, diags := Parse(files); !diags.HasErrors() {
		t.Error("oversized files were accepted")
	}
}
