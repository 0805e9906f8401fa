package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/review"
)

func newValidateCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check every .hcl file below DIR and report all errors at once",
		Long: `Validate reads every *.hcl file below DIR (default: --source when it is a
directory, else the current directory), decodes and checks them together, and
prints every problem as file:line:col: severity: message, then the review
checks (DST gaps and overlaps, cron's day rule, schedules that never fire,
same-phase data dependencies, trigger cycles and unknown trigger tables). It
exits 1 when any error was found.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := g.sourceDir(args)
			files, err := loadFiles(dir)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			parsed, diags := hcl.Parse(files)
			if !diags.HasErrors() {
				diags = append(diags, review.Run(cmd.Context(), review.Input{Head: parsed, Now: time.Now()})...)
				diags.Sort()
			}
			if asJSON {
				out := struct {
					Valid       bool            `json:"valid"`
					Files       int             `json:"files"`
					Diagnostics hcl.Diagnostics `json:"diagnostics"`
				}{!diags.HasErrors(), len(files), diags}
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return fmt.Errorf("write diagnostics: %w", err)
				}
			} else {
				diags.WriteText(g.stdout)
			}
			if diags.HasErrors() {
				if !asJSON {
					fmt.Fprintf(g.stderr, "baton: %d error(s) in %s; nothing is valid until all are fixed\n", diags.Errors(), dir)
				}
				return &exitError{code: exitFailure}
			}
			if !asJSON {
				fmt.Fprintf(g.stderr, "baton: %d file(s) in %s are valid\n", len(files), dir)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"valid", "files", "diagnostics"} as JSON`)
	return cmd
}

// sourceDir is the directory a file command works on: its argument, else
// --source, else the current directory.
func (g *globals) sourceDir(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	if g.source != "" {
		return g.source
	}
	return "."
}

// loadFiles reads the .hcl files below dir and names them by their path
// from the working directory, so that editors and terminals can open
// file:line:col directly.
func loadFiles(dir string) ([]hcl.File, error) {
	files, err := hcl.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .hcl files below %s; pass the directory that holds the orchestration files", dir)
	}
	for i := range files {
		files[i].Name = filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(files[i].Name)))
	}
	return files, nil
}
