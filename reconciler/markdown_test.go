package reconciler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/spec"
)

// A plan too long for a pull-request comment is cut to MarkdownLimit with
// a note, its code block closed; the summary and the findings stay on top.
func TestMarkdownPlanStaysUnderTheCommentLimit(t *testing.T) {
	p := &Plan{FormatVersion: PlanFormatVersion, Revision: Revision{Ref: strings.Repeat("a", 40)},
		Diagnostics: finding.List{{Severity: finding.Warning, Code: "dst-change", Message: "look at this first"}}}
	for i := range 4000 {
		p.Changes = append(p.Changes, Change{Kind: spec.KindOrchestration, Name: fmt.Sprintf("orchestration-%04d", i), Action: ActionCreate})
	}
	var b strings.Builder
	if err := p.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if len(md) > MarkdownLimit {
		t.Errorf("comment has %d characters, limit %d", len(md), MarkdownLimit)
	}
	if !strings.Contains(md, "_Truncated: the plan has") {
		t.Error("no note says the comment was truncated")
	}
	if !strings.HasPrefix(md, "### baton plan: 4000 to create") || !strings.Contains(md, "look at this first") {
		t.Errorf("summary or warnings lost:\n%.300s", md)
	}
	if n := strings.Count(md, "```"); n%2 != 0 {
		t.Errorf("%d code fences: one is left open", n)
	}

	short := &Plan{FormatVersion: PlanFormatVersion, Revision: Revision{Ref: "abc"}, Changes: p.Changes[:3]}
	b.Reset()
	if err := short.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Truncated") || !strings.Contains(b.String(), "<details>") {
		t.Errorf("a short plan was cut or lost its details:\n%s", b.String())
	}
}

// User text cannot inject markup into the comment.
func TestMarkdownEscapesUserText(t *testing.T) {
	p := &Plan{FormatVersion: PlanFormatVersion, Revision: Revision{Ref: "abc", Message: "<script>x</script> | **bold**"}}
	var b strings.Builder
	if err := p.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>") || strings.Contains(b.String(), "**bold**") {
		t.Errorf("markup passed through:\n%s", b.String())
	}
}
