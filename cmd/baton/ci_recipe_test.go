package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

// recipeCommand reads the baton plan command of a CI recipe in
// examples/ci and splits it as the shell would, expanding env; output
// redirection ends it.
func recipeCommand(t *testing.T, file string, env map[string]string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "- ")
		if !strings.HasPrefix(line, "baton plan ") {
			continue
		}
		var args []string
		for _, word := range strings.Fields(line)[1:] {
			if strings.HasPrefix(word, ">") || word == "|" {
				break
			}
			args = append(args, os.Expand(strings.Trim(word, `"`), func(k string) string { return env[k] }))
		}
		return args
	}
	t.Fatalf("%s has no baton plan command", file)
	return nil
}

const recipeConfigs = `configuration "extract" { command = ["true"] }
`

func recipeOrchestration(cron string) string {
	return `orchestration "nightly" {
  schedule {
    cron     = "` + cron + `"
    timezone = "Europe/Prague"
  }
  phase "load" {
    task "extract" { configuration = "extract" }
  }
}
`
}

// Issue 10: from the checkout the recipes get (a depth-1 clone of a pull
// request's merge commit, detached, with and without origin/main fetched),
// the recipe's command prints the plan with the review warnings and exits 2
// for changes, 1 for a revision apply would refuse.
func TestCIRecipesPlanFromAShallowMergeCheckout(t *testing.T) {
	for _, tc := range []struct {
		name, cron string
		want       int
		markdown   []string
	}{
		{"changes with a DST warning", "30 2 * * *", exitChanges, []string{"### baton plan: 0 to create, 1 to update, 0 to delete, :warning: 2 warning(s)", "#### Warnings", "**dst-change**", "02:30 on Sun 2027-03-28 does not exist", "| 1 |", "<details>"}},
		{"refused", "0 0 30 2 *", exitFailure, []string{"### :x: baton plan: refused", "#### Errors", "**never-fires**"}},
	} {
		for _, recipe := range []struct{ file, baseVar string }{{"github-actions.yml", "BASE_REF"}, {"gitlab-ci.yml", "BASE_REF"}} {
			for _, withBase := range []bool{true, false} {
				name := tc.name + "/" + recipe.file
				if !withBase {
					name += "/without origin-main"
				}
				if tc.want == exitFailure && (withBase || recipe.file != "github-actions.yml") {
					continue // one refused case is enough; the checkouts are what vary
				}
				t.Run(name, func(t *testing.T) {
					repo := gitrepotest.New(t)
					repo.Commit("nightly at 6", map[string]string{"configurations.hcl": recipeConfigs, "nightly.hcl": recipeOrchestration("0 6 * * *")})
					repo.Checkout("pr", true)
					repo.Commit("change nightly", map[string]string{"nightly.hcl": recipeOrchestration(tc.cron)})
					repo.Checkout("main", false)
					repo.Commit("unrelated", map[string]string{"README.md": "pipelines\n"})
					co := repo.ShallowMergeCheckout(t, repo.ServeHTTP(t, "", ""), "pr", withBase)
					args := recipeCommand(t, recipe.file, map[string]string{recipe.baseVar: "main"})
					t.Chdir(co)
					t.Setenv("BATON_STATE", filepath.Join(t.TempDir(), "state.db"))
					var stdout, stderr bytes.Buffer
					if got := runWith(args, &stdout, &stderr); got != tc.want {
						t.Errorf("baton %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, tc.want, stdout.String(), stderr.String())
					}
					for _, want := range tc.markdown {
						if !strings.Contains(stdout.String(), want) {
							t.Errorf("the plan lacks %q:\n%s", want, stdout.String())
						}
					}
				})
			}
		}
	}
}
