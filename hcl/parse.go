// Package hcl turns baton's HCL files into a spec.Spec. It owns the
// language: decoding, defaults, positions, and diagnostics that carry
// file:line:col and a hint; spec owns the rules that span objects.
package hcl

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/baton-dev/baton/internal/parallel"
	"github.com/baton-dev/baton/internal/plainfile"
	"github.com/baton-dev/baton/spec"
)

// File is one source file. Name is its slash path relative to the source
// root; it is what diagnostics show.
type File struct {
	Name string
	Src  []byte
}

// Parse decodes files into one normalized spec and validates it. It reports
// every problem of every file at once. The returned spec is never nil, but
// it must not be applied when the diagnostics have errors.
func Parse(files []File) (*spec.Spec, Diagnostics) {
	p := &parser{
		spec:     &spec.Spec{},
		srcs:     make(map[string][]byte, len(files)),
		suppress: map[spec.Pos]bool{},
	}
	if d := checkSizes(files); d != nil {
		// Nothing is parsed: the point of the limit is to bound the work.
		return p.spec, d
	}
	size := 0
	for _, f := range files {
		size += len(f.Src)
	}
	restoreGC := relaxGC(size)
	parsed := parseFiles(files)
	restoreGC()
	fillParameters(parsed)
	syntaxOK := true
	for i, fp := range parsed {
		p.srcs[files[i].Name] = files[i].Src
		syntaxOK = syntaxOK && fp.syntaxOK
		p.merge(fp)
	}
	p.spec.Normalize()
	for _, pr := range p.spec.Validate() {
		if p.suppress[pr.Pos] && pr.Severity == spec.SeverityError {
			// The language already reported what is wrong here (an unknown
			// or mistyped attribute); the semantic error would only be its
			// echo.
			continue
		}
		if !syntaxOK && pr.Code == spec.CodeUnresolved {
			// The target may well be defined in the file that failed to
			// parse; the syntax error is the one to fix first.
			continue
		}
		p.addCode(pr.Severity, pr.Code, pr.Pos, pr.Message, pr.Hint)
	}
	p.diags.Sort()
	return p.spec, p.diags
}

// parseFiles parses and decodes every file on its own, on all CPUs: files
// are independent until they are merged, and a file's syntax tree is garbage
// as soon as it is decoded, so only a few trees live at once. The results
// are in the order of files, whatever order they finished in.
func parseFiles(files []File) []*parser {
	out := make([]*parser, len(files))
	parallel.Each(len(files), func(i int) { out[i] = parseOne(files[i]) })
	return out
}

// fillParameters turns the parameters written to tapes during the parse
// into their maps, on all CPUs.
func fillParameters(parsed []*parser) {
	parallel.Each(len(parsed), func(i int) {
		for j := range parsed[i].late {
			parsed[i].late[j].fill()
		}
		parsed[i].late = nil
	})
}

// parseOne parses and decodes one file into a parser of its own. A file
// that does not parse is not decoded: its partial body would only add
// noise to the syntax error.
func parseOne(f File) *parser {
	p := &parser{
		spec:     &spec.Spec{},
		srcs:     map[string][]byte{f.Name: f.Src},
		suppress: map[spec.Pos]bool{},
	}
	body, ok := p.parseFile(f)
	p.syntaxOK = ok
	if ok {
		d := &decoder{p: p, file: f.Name}
		d.file1(body)
	}
	return p
}

// merge appends the objects and diagnostics of one file, in file order, so
// that the result is what decoding the files one after another gives. Only
// the first project block of all files counts; one in a later file is
// reported as a duplicate instead of being decoded.
func (p *parser) merge(fp *parser) {
	diags := fp.diags
	if fp.project != nil && p.project != nil {
		lo, hi := fp.projectDiags[0], fp.projectDiags[1]
		d := &decoder{p: p, file: fp.project.File}
		p.diags = append(p.diags, diags[:lo]...)
		d.duplicateProject(fp.projectAt)
		start := len(p.diags)
		p.diags = append(p.diags, diags[hi:]...)
		// Later project blocks of the file name the first one of all
		// files, not the one of this file that was dropped.
		for _, i := range fp.duplicates {
			p.diags[start+i-hi].Message = p.duplicateMessage()
		}
		fp.spec.Project = nil
	} else {
		p.diags = append(p.diags, diags...)
		if fp.project != nil {
			p.project = fp.project
			p.spec.Project = fp.spec.Project
		}
	}
	for pos := range fp.suppress {
		p.suppress[pos] = true
	}
	s, o := p.spec, fp.spec
	s.Components = append(s.Components, o.Components...)
	s.Configurations = append(s.Configurations, o.Configurations...)
	s.Tables = append(s.Tables, o.Tables...)
	s.Notifications = append(s.Notifications, o.Notifications...)
	s.Orchestrations = append(s.Orchestrations, o.Orchestrations...)
}

// CheckSyntax reports the syntax errors of one file, without decoding it.
func CheckSyntax(f File) Diagnostics {
	p := &parser{srcs: map[string][]byte{f.Name: f.Src}}
	p.parseFile(f)
	p.diags.Sort()
	return p.diags
}

// Format returns src in canonical HCL formatting. It does not check
// syntax; call CheckSyntax first and leave files with errors alone.
func Format(src []byte) []byte { return hclwrite.Format(src) }

// LoadDir reads every *.hcl file below dir, recursively, in lexical order of
// their slash paths relative to dir. Hidden files and directories (.git,
// editor swap files) are skipped.
func LoadDir(dir string) ([]File, error) {
	names, err := listDir(dir)
	if err != nil {
		return nil, err
	}
	files := make([]File, len(names))
	errs := make([]error, len(names))
	var total atomic.Int64
	// Reading is mostly waiting for the file system; a few reads at once
	// keep the disk and both CPUs busy.
	parallel.Each(len(names), func(i int) {
		if total.Load() > MaxSourceSize {
			// Parse refuses the files without reading more of them.
			files[i] = File{Name: names[i]}
			return
		}
		src, err := plainfile.ReadFile(filepath.Join(dir, filepath.FromSlash(names[i])), MaxFileSize)
		total.Add(int64(len(src)))
		if err != nil {
			errs[i] = fmt.Errorf("read source file: %w", err)
			return
		}
		files[i] = File{Name: names[i], Src: src}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// ListDir returns the slash paths, relative to dir and sorted, of the
// files LoadDir reads, without reading them.
func ListDir(dir string) ([]string, error) { return listDir(dir) }

func listDir(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("source directory %s does not exist; pass the directory that holds the .hcl files", dir)
		}
		return nil, fmt.Errorf("read source directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source %s is not a directory; pass the directory that holds the .hcl files", dir)
	}
	var names []string
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read source directory: %w", err)
		}
		if path != dir && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
			return nil
		}
		if !e.Type().IsRegular() && e.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return fmt.Errorf("read source file %s: %w", path, err)
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// parser holds what one Parse accumulates across files.
type parser struct {
	spec  *spec.Spec
	srcs  map[string][]byte
	diags Diagnostics
	// project is where the first project block was, to name it when a
	// second one appears.
	project *spec.Pos
	// suppress holds positions where the language reported an error, so
	// that the semantic error it causes at the same place is not repeated.
	suppress map[spec.Pos]bool
	// Of a parser of one file: whether it parsed, and where its first
	// project block starts and which of diags its decoding added, so that
	// merge can replace them when an earlier file has a project block.
	syntaxOK     bool
	projectAt    hclv2.Pos
	projectDiags [2]int
	// duplicates indexes the diagnostics about further project blocks.
	duplicates []int
	// late holds the parameters of the file's objects that are still on
	// tapes (fillParameters).
	late []lateParams
}

func (p *parser) parseFile(f File) (*hclsyntax.Body, bool) {
	if d := CheckLimits(f); d != nil {
		p.diags = append(p.diags, d...)
		return nil, false
	}
	file, hd := hclsyntax.ParseConfig(f.Src, f.Name, hclv2.InitialPos)
	p.addHCL(f.Name, hd)
	if hd.HasErrors() || file == nil {
		return nil, false
	}
	body, ok := file.Body.(*hclsyntax.Body)
	return body, ok
}

func (p *parser) add(sev spec.Severity, pos spec.Pos, msg, hint string) {
	p.addCode(sev, spec.CodeInvalid, pos, msg, hint)
}

func (p *parser) addCode(sev spec.Severity, code string, pos spec.Pos, msg, hint string) {
	if pos.Line < 1 {
		pos.Line, pos.Column = 1, 1
	}
	if pos.Column < 1 {
		pos.Column = 1
	}
	p.diags = append(p.diags, Diagnostic{
		Severity:   sev,
		Code:       code,
		Pos:        pos,
		Message:    msg,
		Hint:       hint,
		SourceLine: sourceLine(p.srcs[pos.File], pos.Line),
	})
}

// addHCL converts the library's diagnostics. Its summary becomes the
// message and its detail, which explains the fix, the hint.
func (p *parser) addHCL(file string, hd hclv2.Diagnostics) {
	for _, d := range hd {
		sev := spec.SeverityError
		if d.Severity == hclv2.DiagWarning {
			sev = spec.SeverityWarning
		}
		pos := spec.Pos{File: file, Line: 1, Column: 1}
		if d.Subject != nil {
			pos.Line, pos.Column = d.Subject.Start.Line, d.Subject.Start.Column
		}
		p.add(sev, pos, lowerFirst(d.Summary), d.Detail)
	}
}

func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
