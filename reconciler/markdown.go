package reconciler

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/spec"
)

// MarkdownLimit is the longest pull-request comment WriteMarkdown writes:
// GitHub takes 65,536 characters; the rest is room for a bot's own words.
const MarkdownLimit = 60000

// WriteMarkdown writes the plan as a pull-request comment a reviewer reads
// in ten seconds: a summary line, what needs attention (errors, then
// warnings), a table of the changes, the next fires of every changed
// schedule before and after, and the full plan folded in <details>. It
// never writes more than MarkdownLimit characters; what does not fit is cut
// with a note.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	sections := []string{p.mdSummary(), p.mdFindings(), p.mdChanges(), p.mdSchedules()}
	_, err := io.WriteString(w, fitMarkdown(sections, p.mdDetails(), MarkdownLimit))
	return err
}

func (p *Plan) mdSummary() string {
	var b strings.Builder
	c, u, d := p.Counts()
	errs, warns := p.Diagnostics.Errors(), p.Diagnostics.Warnings()
	switch {
	case errs > 0:
		fmt.Fprintf(&b, "### :x: baton plan: refused, %d error(s); apply would change nothing", errs)
	case !p.HasChanges():
		b.WriteString("### baton plan: no changes")
	default:
		fmt.Fprintf(&b, "### baton plan: %d to create, %d to update, %d to delete", c, u, d)
	}
	if warns > 0 {
		fmt.Fprintf(&b, ", :warning: %d warning(s)", warns)
	}
	b.WriteString("\n\n")
	if p.Base != nil {
		fmt.Fprintf(&b, "`%s` → ", ShortRef(p.Base.Ref))
	}
	fmt.Fprintf(&b, "`%s`", ShortRef(p.Revision.Ref))
	if first, _, _ := strings.Cut(p.Revision.Message, "\n"); first != "" {
		fmt.Fprintf(&b, " %s", mdText(first))
	}
	if p.Revision.Author != "" {
		fmt.Fprintf(&b, " by %s", mdText(p.Revision.Author))
	}
	b.WriteString("\n\n")
	return b.String()
}

func (p *Plan) mdFindings() string {
	if len(p.Diagnostics) == 0 {
		return ""
	}
	var b strings.Builder
	for _, group := range []struct {
		sev   finding.Severity
		title string
	}{{finding.Error, "#### Errors"}, {finding.Warning, "#### Warnings"}} {
		fs := p.Diagnostics.Filter(group.sev)
		if len(fs) == 0 {
			continue
		}
		b.WriteString(group.title + "\n\n")
		for _, f := range fs {
			b.WriteString("- ")
			if f.File != "" {
				fmt.Fprintf(&b, "`%s:%d:%d` ", f.File, f.Line, f.Column)
			}
			if f.Code != "" {
				fmt.Fprintf(&b, "**%s**: ", f.Code)
			}
			b.WriteString(mdText(f.Message))
			if f.Hint != "" {
				fmt.Fprintf(&b, "<br>_%s_", mdText(f.Hint))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (p *Plan) mdChanges() string {
	if !p.HasChanges() {
		return ""
	}
	var b strings.Builder
	b.WriteString("#### Changes\n\n| | kind | name | changed |\n|---|---|---|---|\n")
	for _, c := range p.Changes {
		sign, what := "~", ""
		switch c.Action {
		case ActionCreate:
			sign, what = "+", "created"
		case ActionDelete:
			sign, what = "-", "deleted"
		default:
			paths := make([]string, len(c.Fields))
			for i, f := range c.Fields {
				paths[i] = "`" + mdCell(f.Path) + "`"
			}
			what = strings.Join(paths, ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sign, c.Kind, mdCell(c.Name), what)
	}
	b.WriteString("\n")
	return b.String()
}

func (p *Plan) mdSchedules() string {
	var b strings.Builder
	for _, c := range p.Changes {
		for _, s := range c.Schedules {
			if b.Len() == 0 {
				b.WriteString("#### Next fires of changed schedules\n\n")
			}
			fmt.Fprintf(&b, "**%s `%s` schedule[%d]**: %s → %s\n\n", c.Kind, mdCell(c.Name), s.Index, mdSchedule(s.Before), mdSchedule(s.After))
			fmt.Fprintf(&b, "| # | before (%s) | before (UTC) | after (%s) | after (UTC) |\n|---|---|---|---|---|\n", zoneOf(s.Before), zoneOf(s.After))
			for i := range previewFires {
				bl, bu := mdFire(s.Before, i)
				al, au := mdFire(s.After, i)
				if bl == "" && al == "" {
					break
				}
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", i+1, bl, bu, al, au)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func mdSchedule(v *ScheduleView) string {
	switch {
	case v == nil:
		return "none"
	case v.Error != "":
		return fmt.Sprintf("`%s` (%s)", mdCell(v.Cron), mdText(v.Error))
	case len(v.Next) == 0:
		return fmt.Sprintf("`%s` in %s (never fires)", mdCell(v.Cron), v.Timezone)
	}
	return fmt.Sprintf("`%s` in %s", mdCell(v.Cron), v.Timezone)
}

func zoneOf(v *ScheduleView) string {
	if v == nil {
		return "-"
	}
	return v.Timezone
}

func mdFire(v *ScheduleView, i int) (local, utc string) {
	if v == nil || i >= len(v.Next) {
		return "", ""
	}
	loc, err := spec.LoadLocation(v.Timezone)
	if err != nil {
		loc = time.UTC
	}
	t := v.Next[i]
	return t.In(loc).Format("Mon 2006-01-02 15:04 MST"), t.UTC().Format("Mon 2006-01-02 15:04")
}

func (p *Plan) mdDetails() string {
	var b strings.Builder
	b.WriteString("<details><summary>Full plan</summary>\n\n```diff\n")
	if p.HasChanges() {
		writeChanges(&b, p.Changes)
	} else {
		b.WriteString("No changes.\n")
	}
	b.WriteString("```\n\n</details>\n")
	return b.String()
}

// fitMarkdown joins the sections and the details within limit characters.
// The details are cut first (their code block closed), then the sections,
// each at a line end, and a note says that the comment was truncated.
func fitMarkdown(sections []string, details string, limit int) string {
	whole := strings.Join(sections, "") + details
	if len(whole) <= limit {
		return whole
	}
	note := fmt.Sprintf("\n_Truncated: the plan has %d characters, more than a comment holds. Run `baton plan` for all of it._\n", len(whole))
	budget := limit - len(note)
	var b strings.Builder
	for _, s := range sections {
		if b.Len()+len(s) > budget {
			b.WriteString(cutAtLine(s, budget-b.Len()))
			b.WriteString(note)
			return b.String()
		}
		b.WriteString(s)
	}
	const closing = "```\n\n</details>\n"
	if room := budget - b.Len() - len(closing); room > 0 {
		b.WriteString(cutAtLine(details, room))
		b.WriteString(closing)
	}
	b.WriteString(note)
	return b.String()
}

// cutAtLine returns the longest prefix of s of at most n bytes that ends
// at a line end.
func cutAtLine(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndexByte(s[:n], '\n'); i >= 0 {
		return s[:i+1]
	}
	return ""
}

// mdText escapes what Markdown and HTML would read as markup in a line of
// user text (a commit message, a finding).
func mdText(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "|", "\\|", "[", "\\[", "]", "\\]", "\n", " ", "\r", " ")
	return r.Replace(s)
}

// mdCell escapes text inside a backtick span in a table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "`", "'", "\n", " ").Replace(s)
}
