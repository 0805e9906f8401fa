package main

import (
	"errors"
	"fmt"
	"github.com/baton-dev/baton/executor"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/terminal"
)

// Exit codes: 2 is "plan has changes".
const (
	exitOK      = 0
	exitFailure = 1
	exitChanges = 2
)

// exitError carries an exit code out of a command without printing twice.
type exitError struct {
	code int
	err  error // nil when the command already reported what went wrong
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// globals are the flags every command shares.
type globals struct {
	state string
	// dataDirFlag is --data-dir; dataDir() applies its default. Its
	// variable is BATON_DATA: tasks get BATON_DATA_DIR, their job's own
	// directory, and a baton they run must not take that for its own.
	dataDirFlag string
	source      string
	ref         string
	path        string
	// apiURL is given to tasks as BATON_API_URL when watch serves the API.
	apiURL string
	// publicURL is where users reach baton; notifications link to jobs
	// under it.
	publicURL string
	// slots caps the task processes of a watch node (--slots).
	slots int
	// cluster makes the executor a node of several sharing a database.
	cluster *executor.Cluster
	// observer hears of the executor's transitions (baton watch's metrics).
	observer executor.Observer
	stdout   io.Writer
	stderr   io.Writer
}

func run(args []string) int { return runWith(args, os.Stdout, os.Stderr) }

// runWith runs baton with its output going to stdout and stderr.
func runWith(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(g.stderr, "baton: %s\n", terminal.EscapeLines(redact.Error(ee.err)))
		}
		return ee.code
	}
	fmt.Fprintf(g.stderr, "baton: %s\n", terminal.EscapeLines(redact.Error(err)))
	return exitFailure
}

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "baton",
		Short:         "Run data-pipeline orchestrations defined as HCL files in Git",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readBuildInfo(debug.ReadBuildInfo).String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.state, "state", envOr("BATON_STATE", ".baton/state.db"), "state database: a SQLite file (env BATON_STATE)")
	pf.StringVar(&g.dataDirFlag, "data-dir", os.Getenv("BATON_DATA"), "directory for job data and logs, the Git cache and the token key (env BATON_DATA; default: the state file's directory)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Annotations[readsStateOnly] == "true" {
			return nil
		}
		return g.checkDataDir()
	}
	pf.StringVar(&g.source, "source", os.Getenv("BATON_SOURCE"), "source: a directory, a Git repository path or a Git URL (env BATON_SOURCE)")
	pf.StringVar(&g.ref, "ref", os.Getenv("BATON_REF"), "Git revision to read: a branch or tag to follow, or a commit to pin (anything git rev-parse accepts; default: HEAD)")
	pf.StringVar(&g.publicURL, "public-url", os.Getenv("BATON_PUBLIC_URL"), "the URL users reach baton's web UI at; notifications link to jobs under it (env BATON_PUBLIC_URL)")
	pf.StringVar(&g.path, "path", os.Getenv("BATON_PATH"), "subdirectory of the Git repository that holds the HCL files")
	root.AddCommand(
		newValidateCommand(g),
		newFmtCommand(g),
		newPlanCommand(g),
		newApplyCommand(g),
		newReconcileCommand(g),
		newRunCommand(g),
		newShowCommand(g),
		newJobsCommand(g),
		newTablesCommand(g),
		newWatchCommand(g),
		newTokensCommand(g),
		newRevisionsCommand(g),
		newVersionCommand(g),
		newNodesCommand(g),
		newGCCommand(g),
		newSuspendCommand(g),
		newResumeCommand(g),
	)
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
