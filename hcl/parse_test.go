package hcl

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/invalid")

const testdataDir = "../testdata"

// TestInvalidFixturesReportExpectedDiagnostics checks every validation rule
// from a fixture: the golden file holds the exact diagnostics, positions
// included.
func TestInvalidFixturesReportExpectedDiagnostics(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join(testdataDir, "invalid", "*.hcl"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures in testdata/invalid: %v", err)
	}
	for _, path := range fixtures {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := Parse([]File{{Name: name, Src: src}})
			if !diags.HasErrors() {
				t.Fatalf("fixture %s has no errors", name)
			}
			var got bytes.Buffer
			diags.WriteText(&got)
			checkGolden(t, strings.TrimSuffix(path, ".hcl")+".golden", got.String())
		})
	}
}

func TestExamplesAreValid(t *testing.T) {
	for _, dir := range []string{"../examples/quickstart", "../examples/marketing", filepath.Join(testdataDir, "valid")} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			files, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				t.Fatalf("no files in %s", dir)
			}
			s, diags := Parse(files)
			if diags.HasErrors() {
				var b bytes.Buffer
				diags.WriteText(&b)
				t.Fatalf("%s is invalid:\n%s", dir, b.String())
			}
			if len(s.Orchestrations) == 0 {
				t.Fatalf("%s decoded no orchestrations", dir)
			}
		})
	}
}

// goodFile is a valid file that defines configuration and orchestration i.
func goodFile(i, tasks int) File {
	var b strings.Builder
	fmt.Fprintf(&b, "configuration \"conf-%d\" {\n  command = [\"sh\", \"-c\", \"exit 0\"]\n  parameters = { n = %d, tags = [\"a\", \"b\"] }\n  outputs = [\"out.t%d\"]\n}\n\n", i, i, i)
	fmt.Fprintf(&b, "orchestration \"orch-%d\" {\n  schedule {\n    cron = \"%d 6 * * *\"\n    timezone = \"Europe/Prague\"\n  }\n", i, i%60)
	for p := 0; p < 2; p++ {
		fmt.Fprintf(&b, "  phase \"p%d\" {\n", p)
		for k := p * tasks / 2; k < (p+1)*tasks/2; k++ {
			fmt.Fprintf(&b, "    task \"t%d\" {\n      configuration = \"conf-%d\"\n      parameters = { k = %d }\n    }\n", k, i, k)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return File{Name: fmt.Sprintf("orchestrations/o%04d.hcl", i), Src: []byte(b.String())}
}

// TestBrokenFileAmongGoodOnesIsNamedWithAllItsErrors: one wrong file in a
// directory of 50 good ones is reported with its own path and line, and
// all of its errors come in one run.
func TestBrokenFileAmongGoodOnesIsNamedWithAllItsErrors(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 50; i++ {
		f := goodFile(i, 4)
		writeFile(t, filepath.Join(dir, f.Name), f.Src)
	}
	writeFile(t, filepath.Join(dir, "orchestrations", "o0025b.hcl"), []byte(`orchestration "broken" {
  schedule {
    cron = "0 6 * * *"
    timezone = "Mars/Olympus"
  }
  phase "p" {
    task "t" { configuration = "conf-999" }
    task "u" { configuraton = "conf-1" }
  }
}
`))
	files, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 51 {
		t.Fatalf("loaded %d files, want 51", len(files))
	}
	_, diags := Parse(files)
	var got []string
	for _, d := range diags {
		if d.Severity == spec.SeverityError {
			got = append(got, fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Column))
		}
	}
	want := []string{
		"orchestrations/o0025b.hcl:4:16", // unknown time zone
		"orchestrations/o0025b.hcl:7:32", // unknown configuration
		"orchestrations/o0025b.hcl:8:10", // the task has no target...
		"orchestrations/o0025b.hcl:8:16", // ... because of an unknown attribute
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("error positions = %v, want %v", got, want)
	}
}

// TestSameMeaningSameHash: formatting, attribute order and the split into
// files do not change an object's canonical form.
func TestSameMeaningSameHash(t *testing.T) {
	one := []File{{Name: "all.hcl", Src: []byte(`
configuration "c" {
  command = ["sh", "x.sh"]
  parameters = { b = 2, a = { y = 1.50, x = "s" } }
  outputs = ["t2", "t1"]
}
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`)}}
	split := []File{
		{Name: "b/orch.hcl", Src: []byte("orchestration \"o\" {\n\tphase \"p\" {\n\t\ttask \"t\" {\n\t\t\tconfiguration = \"c\"\n\t\t\tenabled = true\n\t\t}\n\t}\n\ton_overlap = \"queue\"\n}\n")},
		{Name: "a/conf.hcl", Src: []byte(`configuration "c" {
  outputs    = ["t1", "t2", "t1"]
  parameters = {
    a = { x = "s", y = 1.5 }
    b = 2
  }
  command = ["sh", "x.sh"]
}`)},
	}
	hashes := func(files []File) map[string]string {
		s, diags := Parse(files)
		if diags.HasErrors() {
			t.Fatalf("parse: %v", diags)
		}
		objs, err := s.Objects()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range objs {
			out[string(o.Kind)+"/"+o.Name] = o.Hash
		}
		return out
	}
	a, b := hashes(one), hashes(split)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("hashes differ:\n one file: %v\n split:    %v", a, b)
	}
}

// TestEnvKeepsTheReferenceNotTheValue: secrets are resolved when a task
// starts; the decoded spec (and so the state) holds only the name.
func TestEnvKeepsTheReferenceNotTheValue(t *testing.T) {
	t.Setenv("BATON_TEST_SECRET", "hunter2")
	s, diags := Parse([]File{{Name: "c.hcl", Src: []byte(`
configuration "c" {
  command    = ["true"]
  parameters = { auth = { token = env("BATON_TEST_SECRET") } }
  env        = { API_KEY = env("BATON_TEST_SECRET"), REGION = "eu" }
}
`)}})
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	objs, err := s.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if bytes.Contains(o.JSON, []byte("hunter2")) {
			t.Fatalf("%s %s contains the secret: %s", o.Kind, o.Name, o.JSON)
		}
	}
	c := s.Configurations[0]
	auth, _ := c.Parameters["auth"].(map[string]any)
	if name, ok := spec.AsEnvRef(auth["token"]); !ok || name != "BATON_TEST_SECRET" {
		t.Errorf("parameters.auth.token = %#v, want an env reference", auth["token"])
	}
	if got := c.Env["API_KEY"]; got.FromEnv != "BATON_TEST_SECRET" || got.Value != "" {
		t.Errorf("env API_KEY = %+v", got)
	}
	if got := c.Env["REGION"]; got.Value != "eu" {
		t.Errorf("env REGION = %+v", got)
	}
}

func TestDefaults(t *testing.T) {
	s, diags := Parse([]File{{Name: "o.hcl", Src: []byte(`
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
    task "u" {
      configuration       = "c"
      enabled             = false
      continue_on_failure = true
    }
  }
}
`)}})
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	o := s.Orchestrations[0]
	if o.OnOverlap != spec.OverlapQueue {
		t.Errorf("on_overlap = %q, want queue", o.OnOverlap)
	}
	tasks := o.Phases[0].Tasks
	if !tasks[0].Enabled || tasks[0].ContinueOnFailure {
		t.Errorf("task t = %+v, want enabled and not continue_on_failure", tasks[0])
	}
	if tasks[1].Enabled || !tasks[1].ContinueOnFailure {
		t.Errorf("task u = %+v, want disabled and continue_on_failure", tasks[1])
	}
}

func TestLoadDirIsRecursiveSortedAndSkipsHidden(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"z.hcl", "a/b/c.hcl", "a/a.hcl", ".git/x.hcl", ".hidden.hcl", "notes.txt"} {
		writeFile(t, filepath.Join(dir, name), []byte("# empty\n"))
	}
	files, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "a/a.hcl a/b/c.hcl z.hcl"; got != want {
		t.Errorf("files = %s, want %s", got, want)
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing dir error = %v", err)
	}
}

func TestFormatIsCanonical(t *testing.T) {
	src := []byte("orchestration \"o\" {\ndescription=\"x\"\n  on_overlap =   \"skip\"\n}\n")
	want := "orchestration \"o\" {\n  description = \"x\"\n  on_overlap  = \"skip\"\n}\n"
	if got := string(Format(src)); got != want {
		t.Errorf("Format =\n%s\nwant\n%s", got, want)
	}
	if got := Format([]byte(want)); string(got) != want {
		t.Errorf("Format is not idempotent: %s", got)
	}
}

func writeFile(t testing.TB, path string, src []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDiagnosticsOfManyFilesKeepTheirOrder parses a directory of files
// with errors of every layer (syntax, decoding, validation, project blocks
// in several files): the golden file holds the exact diagnostics in their
// order, so that parsing files in parallel cannot change what users see.
func TestDiagnosticsOfManyFilesKeepTheirOrder(t *testing.T) {
	all, err := LoadDir(filepath.Join(testdataDir, "multi"))
	if err != nil {
		t.Fatal(err)
	}
	// c.hcl has a syntax error, which hides unresolved references: once
	// with it and once without.
	var parsable []File
	for _, f := range all {
		if f.Name != "c.hcl" {
			parsable = append(parsable, f)
		}
	}
	for name, files := range map[string][]File{"multi": all, "multi-parsable": parsable} {
		t.Run(name, func(t *testing.T) {
			_, diags := Parse(files)
			var got bytes.Buffer
			diags.WriteText(&got)
			checkGolden(t, filepath.Join(testdataDir, name+".golden"), got.String())
		})
	}
}

// checkGolden compares got with the golden file, or rewrites the file
// with -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test ./hcl -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("diagnostics differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}
