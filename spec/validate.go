package spec

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-dev/baton/finding"
)

// Severity says whether a problem stops a revision from being applied.
type Severity = finding.Severity

const (
	SeverityError   = finding.Error
	SeverityWarning = finding.Warning
)

// Problem is one finding of validation, located in the source.
type Problem = finding.Finding

// Codes of validation findings. CodeUnresolved marks a reference to an
// object that is not defined: a parser that could not read every file skips
// these, as the object may be in the unreadable file.
const (
	CodeInvalid    = "invalid"
	CodeUnresolved = "unresolved"
)

// HasErrors reports whether any problem is an error.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// cronParser accepts the five standard fields and robfig/cron's descriptors
// (@daily, @every 30s, ...). It is the one parser of cron text in baton.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a schedule's cron expression.
func ParseCron(expr string) (cron.Schedule, error) {
	if strings.HasPrefix(strings.TrimSpace(expr), "TZ=") || strings.HasPrefix(strings.TrimSpace(expr), "CRON_TZ=") {
		return nil, fmt.Errorf("cron %q: set the time zone with the schedule's timezone attribute, not in the expression", expr)
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok && every.Delay > MaxDuration {
		// Fire times are counted in multiples of the interval; one this
		// long wraps around.
		return nil, fmt.Errorf("cron %q: the interval is too long; %s", expr, durationRange)
	}
	return s, nil
}

// LoadLocation loads an IANA time zone; the empty name is UTC.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("time zone %q depends on the machine; name an IANA zone such as \"Europe/Prague\"", name)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; use an IANA name such as \"Europe/Prague\" or \"UTC\"", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// zones remembers loaded time zones. time.LoadLocation reads and parses
// the zone file on every call, and a revision of a thousand schedules in
// one zone asked for it ten thousand times (validation, review, plan). A
// Location never changes once loaded; like the runtime's Local, a zone
// updated on disk is seen after a restart.
var zones sync.Map

type validator struct {
	s        *Spec
	problems []Problem
}

func (v *validator) errorf(pos Pos, hint, format string, args ...any) {
	v.problems = append(v.problems, Problem{Severity: SeverityError, Code: CodeInvalid, Pos: pos, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// unresolvedf reports a reference to an undefined object.
func (v *validator) unresolvedf(pos Pos, hint, format string, args ...any) {
	v.errorf(pos, hint, format, args...)
	v.problems[len(v.problems)-1].Code = CodeUnresolved
}

func (v *validator) warnf(pos Pos, hint, format string, args ...any) {
	v.problems = append(v.problems, Problem{Severity: SeverityWarning, Code: CodeInvalid, Pos: pos, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Validate checks the rules that span objects: references, duplicates,
// cycles, cron expressions, time zones and value ranges. It returns every
// problem found, sorted by position.
func (s *Spec) Validate() []Problem {
	v := &validator{s: s}
	components := named(v, "component", s.Components, func(c *Component) (string, Source) { return c.Name, c.Source })
	configurations := named(v, "configuration", s.Configurations, func(c *Configuration) (string, Source) { return c.Name, c.Source })
	named(v, "table", s.Tables, func(t *Table) (string, Source) { return t.ID, t.Source })
	channels := named(v, "notification", s.Notifications, func(n *Notification) (string, Source) { return n.Name, n.Source })
	orchestrations := named(v, "orchestration", s.Orchestrations, func(o *Orchestration) (string, Source) { return o.Name, o.Source })

	if p := s.Project; p != nil {
		if p.MaxParallelJobs < 0 {
			v.errorf(p.FieldPos("max_parallel_jobs"), "use a positive number, or leave it out for the number of CPUs", "max_parallel_jobs must not be negative")
		}
		if _, err := LoadLocation(p.Timezone); err != nil {
			v.errorf(p.FieldPos("timezone"), "", "%v", err)
		}
		if p.Retention != nil {
			v.retention(p.Retention)
		}
	}
	for _, c := range s.Components {
		v.command(c.Source, c.Command, "component "+quote(c.Name))
	}
	for _, c := range s.Configurations {
		v.configuration(c, components)
	}
	for _, t := range s.Tables {
		if t.Watch != "" && !strings.HasPrefix(t.Watch, "/") {
			v.errorf(t.FieldPos("watch"), "write the absolute path of the file", "table %q: watch path %q is not absolute", t.ID, t.Watch)
		}
	}
	for _, n := range s.Notifications {
		v.notification(n)
	}
	for _, o := range s.Orchestrations {
		v.orchestration(o, configurations, orchestrations, channels)
	}
	v.cycles(orchestrations)
	sort.SliceStable(v.problems, func(i, j int) bool {
		a, b := v.problems[i].Pos, v.problems[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return v.problems
}

// named indexes objects by name and reports names defined twice.
func named[T any](v *validator, kind string, items []T, key func(T) (string, Source)) map[string]T {
	out := make(map[string]T, len(items))
	for _, it := range items {
		name, src := key(it)
		if name == "" {
			v.errorf(src.Pos, "give the block a non-empty label", "%s name is empty", kind)
			continue
		}
		if kind == "table" {
			v.tableID(src.Pos, "table", name)
		} else {
			v.name(src.Pos, kind, name)
		}
		if prev, dup := out[name]; dup {
			_, psrc := key(prev)
			v.errorf(src.Pos, "rename one of them or delete the copy", "%s %q is already defined at %s", kind, name, psrc.Pos)
			continue
		}
		out[name] = it
	}
	return out
}

// commandOK reports whether command finds nothing to say about argv.
func commandOK(argv []string) bool { return len(argv) > 0 && strings.TrimSpace(argv[0]) != "" }

func (v *validator) command(src Source, argv []string, what string) {
	if len(argv) == 0 {
		v.errorf(src.FieldPos("command"), `write the program and its arguments, e.g. command = ["sh", "run.sh"]`, "%s has no command", what)
		return
	}
	if strings.TrimSpace(argv[0]) == "" {
		v.errorf(src.FieldPos("command"), "the first element is the program to run", "%s: command starts with an empty program name", what)
	}
}

func (v *validator) configuration(c *Configuration, components map[string]*Component) {
	// Messages name the configuration; the text is made only for one.
	what := func() string { return "configuration " + quote(c.Name) }
	for _, id := range c.Inputs {
		v.tableID(c.FieldPos("inputs"), what()+": input table", id)
	}
	for _, id := range c.Outputs {
		v.tableID(c.FieldPos("outputs"), what()+": output table", id)
	}
	switch {
	case c.Component != "" && len(c.Command) > 0:
		v.errorf(c.FieldPos("command"), "keep component or command, not both", "%s sets both component and command", what())
	case c.Component != "":
		if _, ok := components[c.Component]; !ok {
			v.unresolvedf(c.FieldPos("component"), suggestHint(c.Component, keys(components), "component"), "%s refers to unknown component %q", what(), c.Component)
		}
	case !commandOK(c.Command):
		v.command(c.Source, c.Command, what())
	}
	for name, e := range c.Env {
		if e.FromEnv == "" && e.Value == "" {
			continue
		}
		if !ValidEnvName(name) {
			v.errorf(c.FieldPos("env"), "use letters, digits and underscores, not starting with a digit", "%s: %q is not a valid environment variable name", what(), name)
		}
	}
}

func (v *validator) notification(n *Notification) {
	if len(n.Email) == 0 && n.Webhook == "" {
		v.errorf(n.Pos, `set email = ["team@example.com"] or webhook = "https://..."`, "notification %q has no email and no webhook", n.Name)
	}
	for _, addr := range n.Email {
		if _, err := mail.ParseAddress(addr); err != nil {
			v.errorf(n.FieldPos("email"), "write a plain address such as ops@example.com", "notification %q: %q is not an e-mail address", n.Name, addr)
		}
	}
	if n.Webhook != "" {
		u, err := url.Parse(n.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf(n.FieldPos("webhook"), "write a full http:// or https:// URL", "notification %q: webhook is not an HTTP URL", n.Name)
		}
	}
	if n.Format != "" && n.Format != WebhookJSON && n.Format != WebhookSlack {
		v.errorf(n.FieldPos("format"), `use format = "json" (the default) or "slack"`, "notification %q: unknown webhook format %q", n.Name, n.Format)
	}
	if (n.Format != "" || n.SecretEnv != "") && n.Webhook == "" {
		v.errorf(n.Pos, `format and secret_env apply to a webhook; add webhook = "https://..."`, "notification %q has format or secret_env but no webhook", n.Name)
	}
	if n.SecretEnv != "" && !ValidEnvName(n.SecretEnv) {
		v.errorf(n.FieldPos("secret_env"), `name the variable that holds the secret, e.g. secret_env = "OPS_HOOK_SECRET"`, "notification %q: %q is not a valid environment variable name", n.Name, n.SecretEnv)
	}
}

func (v *validator) orchestration(o *Orchestration, configurations map[string]*Configuration, orchestrations map[string]*Orchestration, channels map[string]*Notification) {
	what := "orchestration " + quote(o.Name)
	if err := CheckDescription(o.Description); err != nil {
		v.errorf(o.FieldPos("description"), "shorten it or remove the control characters", "%s: description is not valid: %v", what, err)
	}
	if o.OnOverlap != "" && o.OnOverlap != OverlapQueue && o.OnOverlap != OverlapSkip {
		v.errorf(o.FieldPos("on_overlap"), `use "queue" or "skip"`, "%s: on_overlap %q is not valid", what, o.OnOverlap)
	}
	for _, sc := range o.Schedules {
		if _, err := ParseCron(sc.Cron); err != nil {
			v.errorf(sc.FieldPos("cron"), `five fields "minute hour day-of-month month day-of-week", or @hourly, @daily, @every 30m`, "%s: invalid %v", what, err)
		}
		if _, err := LoadLocation(sc.Timezone); err != nil {
			v.errorf(sc.FieldPos("timezone"), "", "%s: %v", what, err)
		}
	}
	if t := o.Trigger; t != nil {
		if len(t.Tables) == 0 {
			v.errorf(t.FieldPos("tables"), "list the tables whose updates start this orchestration", "%s: trigger has no tables", what)
		}
		for _, id := range t.Tables {
			v.tableID(t.FieldPos("tables"), what+": trigger table", id)
		}
	}
	for _, n := range o.Notify {
		if len(n.On) == 0 {
			v.errorf(n.FieldPos("on"), eventsHint(), "%s: notify has no events", what)
		}
		for _, ev := range n.On {
			if !slices.Contains(Events, ev) {
				v.errorf(n.FieldPos("on"), suggestHint(string(ev), eventNames(), "event"), "%s: unknown notify event %q", what, ev)
			}
		}
		if len(n.To) == 0 {
			v.errorf(n.FieldPos("to"), "name notification channels", "%s: notify has no channels", what)
		}
		for _, ch := range n.To {
			if _, ok := channels[ch]; !ok {
				v.unresolvedf(n.FieldPos("to"), suggestHint(ch, keys(channels), "notification channel"), "%s: unknown notification channel %q", what, ch)
			}
		}
	}
	if len(o.Phases) == 0 {
		v.errorf(o.Pos, `add a phase "name" { task "name" { configuration = "..." } }`, "%s has no phases", what)
	}
	phases := map[string]Pos{}
	tasks := map[string]Pos{}
	for _, ph := range o.Phases {
		if prev, dup := phases[ph.Name]; dup {
			v.errorf(ph.Pos, "phase names must differ within an orchestration", "%s: phase %q is already defined at %s", what, ph.Name, prev)
		}
		phases[ph.Name] = ph.Pos
		v.nameIn(ph.Pos, what, ": phase", ph.Name)
		if len(ph.Tasks) == 0 {
			v.errorf(ph.Pos, "add a task to it or delete the phase", "%s: phase %q is empty", what, ph.Name)
		}
		for i := range ph.Tasks {
			t := &ph.Tasks[i]
			if prev, dup := tasks[t.Name]; dup {
				v.errorf(t.Pos, "tasks are selected by name, so names must differ within an orchestration", "%s: task %q is already defined at %s", what, t.Name, prev)
			}
			tasks[t.Name] = t.Pos
			v.nameIn(t.Pos, what, ": task", t.Name)
			v.task(o, t, configurations, orchestrations)
		}
	}
}

func (v *validator) task(o *Orchestration, t *Task, configurations map[string]*Configuration, orchestrations map[string]*Orchestration) {
	// Messages name the task; the text is made only for one.
	what := func() string { return fmt.Sprintf("orchestration %q task %q", o.Name, t.Name) }
	switch {
	case t.Configuration != "" && t.Orchestration != "":
		v.errorf(t.FieldPos("orchestration"), "a task runs either a configuration or an orchestration; keep one", "%s sets both configuration and orchestration", what())
	case t.Configuration == "" && t.Orchestration == "":
		v.errorf(t.Pos, `set configuration = "name" or orchestration = "name"`, "%s sets neither configuration nor orchestration", what())
	case t.Configuration != "":
		if _, ok := configurations[t.Configuration]; !ok {
			v.unresolvedf(t.FieldPos("configuration"), suggestHint(t.Configuration, keys(configurations), "configuration"), "%s refers to unknown configuration %q", what(), t.Configuration)
		}
	default:
		if _, ok := orchestrations[t.Orchestration]; !ok {
			v.unresolvedf(t.FieldPos("orchestration"), suggestHint(t.Orchestration, keys(orchestrations), "orchestration"), "%s refers to unknown orchestration %q", what(), t.Orchestration)
		}
	}
}

// cycles reports orchestrations that run each other, directly or through
// others: such a run would wait on itself forever.
func (v *validator) cycles(orchestrations map[string]*Orchestration) {
	const (
		unvisited = iota
		onPath
		done
	)
	mark := map[string]int{}
	var path []string
	reported := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		mark[name] = onPath
		path = append(path, name)
		o := orchestrations[name]
		for _, ph := range o.Phases {
			for _, t := range ph.Tasks {
				next := t.Orchestration
				if next == "" || orchestrations[next] == nil {
					continue
				}
				switch mark[next] {
				case onPath:
					start := slices.Index(path, next)
					cycle := append(slices.Clone(path[start:]), next)
					key := canonicalCycle(cycle)
					if !reported[key] {
						reported[key] = true
						v.errorf(t.FieldPos("orchestration"), "an orchestration cannot run itself, directly or through others; remove one of these tasks",
							"orchestrations run each other in a cycle: %s", strings.Join(cycle, " -> "))
					}
				case unvisited:
					visit(next)
				}
			}
		}
		path = path[:len(path)-1]
		mark[name] = done
	}
	for _, name := range keys(orchestrations) {
		if mark[name] == unvisited {
			visit(name)
		}
	}
}

// canonicalCycle names a cycle independently of where it was entered.
func canonicalCycle(cycle []string) string {
	ring := cycle[:len(cycle)-1]
	min := 0
	for i := range ring {
		if ring[i] < ring[min] {
			min = i
		}
	}
	return strings.Join(append(slices.Clone(ring[min:]), ring[:min]...), "\x00")
}

func keys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func eventNames() []string {
	out := make([]string, len(Events))
	for i, e := range Events {
		out[i] = string(e)
	}
	return out
}

func eventsHint() string { return "events are " + strings.Join(eventNames(), ", ") }

func suggestHint(name string, candidates []string, kind string) string {
	if s := Suggest(name, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(candidates) == 0 {
		return fmt.Sprintf("no %s is defined; add a %s block", kind, strings.ReplaceAll(kind, " channel", ""))
	}
	if len(candidates) <= 8 {
		return fmt.Sprintf("defined: %s", strings.Join(candidates, ", "))
	}
	return fmt.Sprintf("define it, or check the spelling against the %d defined", len(candidates))
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// name reports a name outside the allowed set; an empty one is reported
// where it is defined.
func (v *validator) name(pos Pos, what, name string) {
	if name == "" {
		return
	}
	if err := CheckName(name); err != nil {
		v.errorf(pos, "rename it", "%s name %s is not valid: %v", what, shorten(name), err)
	}
}

// nameIn is name for what+suffix, joined only for a message.
func (v *validator) nameIn(pos Pos, what, suffix, name string) {
	if name != "" && CheckName(name) != nil {
		v.name(pos, what+suffix, name)
	}
}

func (v *validator) tableID(pos Pos, what, id string) {
	if err := CheckTableID(id); err != nil {
		v.errorf(pos, "rename the table", "%s id %s is not valid: %v", what, shorten(id), err)
	}
}

// shorten quotes s, cut to a length that fits a message.
func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return fmt.Sprintf("%q...", string(r[:40]))
	}
	return quote(s)
}

// ValidEnvName reports whether s can name an environment variable.
func ValidEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// Suggest returns the candidate closest to name when it is close enough to
// be a likely typo, else "".
func Suggest(name string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(name), strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(2, len(name)/3)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
