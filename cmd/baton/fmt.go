package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/terminal"
)

func newFmtCommand(g *globals) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "fmt [DIR]",
		Short: "Rewrite .hcl files below DIR in canonical formatting",
		Long: `Fmt rewrites every *.hcl file below DIR (default: --source when it is a
directory, else the current directory) in canonical HCL formatting and prints
the names of the files it changed. With --check it changes nothing, lists the
files that would change and exits 1 if there are any. Files with syntax errors
are reported and left alone.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := loadFiles(g.sourceDir(args))
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			var broken, changed int
			for _, f := range files {
				if diags := hcl.CheckSyntax(f); diags.HasErrors() {
					diags.WriteText(g.stderr)
					broken++
					continue
				}
				out := hcl.Format(f.Src)
				if bytes.Equal(out, f.Src) {
					continue
				}
				changed++
				fmt.Fprintln(g.stdout, terminal.Escape(f.Name))
				if check {
					continue
				}
				if err := writeFileKeepMode(filepath.FromSlash(f.Name), out); err != nil {
					return &exitError{code: exitFailure, err: err}
				}
			}
			switch {
			case broken > 0:
				return &exitError{code: exitFailure, err: fmt.Errorf("%d file(s) have syntax errors and were left alone; fix them and run fmt again", broken)}
			case check && changed > 0:
				return &exitError{code: exitFailure, err: fmt.Errorf("%d file(s) are not formatted; run baton fmt", changed)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; list unformatted files and exit 1 if there are any")
	return cmd
}

// writeFileKeepMode replaces a file through a temporary file in the same
// directory, so that an interrupted fmt never leaves a half-written file.
func writeFileKeepMode(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".baton-fmt-*")
	if err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("format %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("format %s: %w", path, err)
	}
	return nil
}
