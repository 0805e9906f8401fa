package hcl

import (
	"fmt"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/baton-dev/baton/spec"
)

// blockSchema says which attributes and nested blocks a block accepts and
// how many labels it takes. Unknown names are errors with a suggestion.
type blockSchema struct {
	labels     []string // label names, for messages ("name")
	attributes []string
	blocks     []string
}

var schemas = map[string]blockSchema{
	"":              {blocks: []string{"project", "component", "configuration", "table", "notification", "orchestration"}},
	"project":       {attributes: []string{"max_parallel_jobs", "timezone"}, blocks: []string{"retention"}},
	"retention":     {attributes: []string{"jobs", "logs"}},
	"component":     {labels: []string{"name"}, attributes: []string{"command", "timeout"}},
	"configuration": {labels: []string{"name"}, attributes: []string{"component", "command", "timeout", "parameters", "inputs", "outputs", "env"}},
	"table":         {labels: []string{"id"}, attributes: []string{"watch"}},
	"notification":  {labels: []string{"name"}, attributes: []string{"email", "webhook", "format", "secret_env"}},
	"orchestration": {labels: []string{"name"}, attributes: []string{"description", "on_overlap", "long_running", "waiting_too_long"}, blocks: []string{"schedule", "trigger", "notify", "phase"}},
	"schedule":      {attributes: []string{"cron", "timezone"}},
	"trigger":       {attributes: []string{"tables", "cooldown"}},
	"notify":        {attributes: []string{"on", "to"}},
	"phase":         {labels: []string{"name"}, blocks: []string{"task"}},
	"task":          {labels: []string{"name"}, attributes: []string{"configuration", "orchestration", "enabled", "continue_on_failure", "parameters"}},
}

// decoder decodes the blocks of one file into the parser's spec.
type decoder struct {
	p    *parser
	file string
}

func (d *decoder) pos(p hclv2.Pos) spec.Pos {
	return spec.Pos{File: d.file, Line: p.Line, Column: p.Column}
}

func (d *decoder) errorf(at hclv2.Pos, hint, format string, args ...any) {
	pos := d.pos(at)
	d.p.suppress[pos] = true
	d.p.add(spec.SeverityError, pos, fmt.Sprintf(format, args...), hint)
}

// content checks a block body against its schema and returns its attributes
// by name and its nested blocks in file order. Messages name the block by
// its kind and label ("orchestration \"daily\""), a text made only for one.
func (d *decoder) content(kind, label string, body *hclsyntax.Body) (map[string]*hclsyntax.Attribute, hclsyntax.Blocks) {
	sch := schemas[kind]
	what := func() string {
		if len(sch.labels) == 0 {
			return kind
		}
		return fmt.Sprintf("%s %q", kind, label)
	}
	attrs := make(map[string]*hclsyntax.Attribute, len(body.Attributes))
	for name, a := range body.Attributes {
		if !contains(sch.attributes, name) {
			d.unknown(a.NameRange.Start, "attribute", name, what(), sch.attributes, sch.blocks)
			continue
		}
		if lit, ok := a.Expr.(*hclsyntax.LiteralValueExpr); ok && lit.Val.IsNull() {
			continue // null means "not set"
		}
		attrs[name] = a
	}
	var blocks hclsyntax.Blocks
	for _, b := range body.Blocks {
		if !contains(sch.blocks, b.Type) {
			d.unknown(b.TypeRange.Start, "block", b.Type, what(), sch.blocks, sch.attributes)
			continue
		}
		want := schemas[b.Type].labels
		if len(b.Labels) != len(want) {
			d.labels(b, want)
			continue
		}
		blocks = append(blocks, b)
	}
	return attrs, blocks
}

func (d *decoder) unknown(at hclv2.Pos, what, name, in string, same, other []string) {
	where := "here"
	if in != "" {
		where = "in " + in
	}
	hint := ""
	if s := spec.Suggest(name, same); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	} else if contains(other, name) {
		if what == "attribute" {
			hint = fmt.Sprintf("%s is a block: write %s { ... }", name, name)
		} else {
			hint = fmt.Sprintf("%s is an attribute: write %s = ...", name, name)
		}
	} else if len(same) > 0 {
		hint = fmt.Sprintf("valid %ss are %s", what, strings.Join(same, ", "))
	} else {
		hint = fmt.Sprintf("this block takes no %ss", what)
	}
	d.errorf(at, hint, "unknown %s %q %s", what, name, where)
}

func (d *decoder) labels(b *hclsyntax.Block, want []string) {
	at := b.TypeRange.Start
	if len(b.Labels) > len(want) {
		at = b.LabelRanges[len(want)].Start
	}
	if len(want) == 0 {
		d.errorf(at, fmt.Sprintf("write %s { ... }", b.Type), "%s block takes no label", b.Type)
		return
	}
	d.errorf(at, fmt.Sprintf(`write %s "%s" { ... }`, b.Type, want[0]), "%s block needs exactly one label, its %s", b.Type, want[0])
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// start is where a block's object begins: its first label, which is the
// name that messages about the object talk about.
func (d *decoder) start(b *hclsyntax.Block) spec.Pos {
	if len(b.LabelRanges) > 0 {
		return d.pos(b.LabelRanges[0].Start)
	}
	return d.pos(b.TypeRange.Start)
}

// file1 decodes the top-level blocks of one file.
func (d *decoder) file1(body *hclsyntax.Body) {
	_, blocks := d.content("", "", body)
	s := d.p.spec
	for _, b := range blocks {
		switch b.Type {
		case "project":
			d.project(b)
		case "component":
			s.Components = append(s.Components, d.component(b))
		case "configuration":
			s.Configurations = append(s.Configurations, d.configuration(b))
		case "table":
			s.Tables = append(s.Tables, d.table(b))
		case "notification":
			s.Notifications = append(s.Notifications, d.notification(b))
		case "orchestration":
			s.Orchestrations = append(s.Orchestrations, d.orchestration(b))
		}
	}
}

func (d *decoder) project(b *hclsyntax.Block) {
	pos := d.pos(b.TypeRange.Start)
	if d.p.project != nil {
		d.duplicateProject(b.TypeRange.Start)
		return
	}
	d.p.project = &pos
	d.p.projectAt = b.TypeRange.Start
	d.p.projectDiags[0] = len(d.p.diags)
	defer func() { d.p.projectDiags[1] = len(d.p.diags) }()
	p := &spec.Project{}
	p.Pos = pos
	attrs, blocks := d.content("project", "", b.Body)
	if a := attrs["max_parallel_jobs"]; a != nil {
		p.SetField("max_parallel_jobs", d.pos(a.Expr.Range().Start))
		p.MaxParallelJobs = d.int(a)
	}
	if a := attrs["timezone"]; a != nil {
		p.SetField("timezone", d.pos(a.Expr.Range().Start))
		p.Timezone = d.string(a)
	}
	for _, blk := range blocks {
		if blk.Type != "retention" {
			continue
		}
		if p.Retention != nil {
			d.errorf(blk.TypeRange.Start, "write jobs and logs in one retention block", "project: retention block is already defined")
			continue
		}
		p.Retention = d.retention(blk)
	}
	d.p.spec.Project = p
}

func (d *decoder) retention(b *hclsyntax.Block) *spec.Retention {
	r := &spec.Retention{}
	r.Pos = d.pos(b.TypeRange.Start)
	attrs, _ := d.content("retention", "", b.Body)
	if a := attrs["jobs"]; a != nil {
		r.SetField("jobs", d.field(a))
		r.Jobs = d.duration(a)
	}
	if a := attrs["logs"]; a != nil {
		r.SetField("logs", d.field(a))
		r.Logs = d.duration(a)
	}
	return r
}

func (d *decoder) duplicateProject(at hclv2.Pos) {
	d.p.duplicates = append(d.p.duplicates, len(d.p.diags))
	d.errorf(at, "merge the two project blocks into one", "%s", d.p.duplicateMessage())
}

func (p *parser) duplicateMessage() string {
	return fmt.Sprintf("project block is already defined at %s", *p.project)
}

func (d *decoder) component(b *hclsyntax.Block) *spec.Component {
	c := &spec.Component{Name: b.Labels[0]}
	c.Pos = d.start(b)
	attrs, _ := d.content("component", c.Name, b.Body)
	if a := attrs["command"]; a != nil {
		c.SetField("command", d.field(a))
		c.Command = d.command(a)
	}
	if a := attrs["timeout"]; a != nil {
		c.Timeout = d.duration(a)
	}
	return c
}

func (d *decoder) configuration(b *hclsyntax.Block) *spec.Configuration {
	c := &spec.Configuration{Name: b.Labels[0]}
	c.Pos = d.start(b)
	attrs, _ := d.content("configuration", c.Name, b.Body)
	c.Fields = make([]spec.FieldPos, 0, len(attrs))
	for name, a := range attrs {
		c.SetField(name, d.field(a))
	}
	if a := attrs["component"]; a != nil {
		c.Component = d.string(a)
	}
	if a := attrs["command"]; a != nil {
		c.Command = d.command(a)
	}
	if a := attrs["timeout"]; a != nil {
		c.Timeout = d.duration(a)
	}
	if a := attrs["parameters"]; a != nil {
		c.Parameters = d.lateParameters(a, lateParams{conf: c})
	}
	if a := attrs["inputs"]; a != nil {
		c.Inputs = d.strings(a)
	}
	if a := attrs["outputs"]; a != nil {
		c.Outputs = d.strings(a)
	}
	if a := attrs["env"]; a != nil {
		c.Env = d.env(a)
	}
	return c
}

func (d *decoder) table(b *hclsyntax.Block) *spec.Table {
	t := &spec.Table{ID: b.Labels[0]}
	t.Pos = d.start(b)
	attrs, _ := d.content("table", t.ID, b.Body)
	if a := attrs["watch"]; a != nil {
		t.SetField("watch", d.field(a))
		t.Watch = d.string(a)
	}
	return t
}

func (d *decoder) notification(b *hclsyntax.Block) *spec.Notification {
	n := &spec.Notification{Name: b.Labels[0]}
	n.Pos = d.start(b)
	attrs, _ := d.content("notification", n.Name, b.Body)
	if a := attrs["email"]; a != nil {
		n.SetField("email", d.field(a))
		n.Email = d.strings(a)
	}
	if a := attrs["webhook"]; a != nil {
		n.SetField("webhook", d.field(a))
		n.Webhook = d.string(a)
	}
	if a := attrs["format"]; a != nil {
		n.SetField("format", d.field(a))
		n.Format = spec.WebhookFormat(d.string(a))
	}
	if a := attrs["secret_env"]; a != nil {
		n.SetField("secret_env", d.field(a))
		n.SecretEnv = d.string(a)
	}
	return n
}

func (d *decoder) orchestration(b *hclsyntax.Block) *spec.Orchestration {
	o := &spec.Orchestration{Name: b.Labels[0]}
	o.Pos = d.start(b)
	what := fmt.Sprintf("orchestration %q", o.Name)
	attrs, blocks := d.content("orchestration", o.Name, b.Body)
	if a := attrs["description"]; a != nil {
		o.Description = d.string(a)
	}
	if a := attrs["on_overlap"]; a != nil {
		o.SetField("on_overlap", d.field(a))
		o.OnOverlap = spec.OnOverlap(d.string(a))
	}
	if a := attrs["long_running"]; a != nil {
		o.SetField("long_running", d.field(a))
		if text := d.string(a); text != "" {
			t, err := spec.ParseThreshold(text)
			if err != nil {
				d.errorf(a.Expr.Range().Start, "", "%s: long_running: %v", what, err)
			}
			o.LongRunning = t
		}
	}
	if a := attrs["waiting_too_long"]; a != nil {
		o.SetField("waiting_too_long", d.field(a))
		o.WaitingTooLong = d.duration(a)
	}
	var trigger *hclsyntax.Block
	for _, blk := range blocks {
		switch blk.Type {
		case "schedule":
			o.Schedules = append(o.Schedules, d.schedule(blk))
		case "trigger":
			if trigger != nil {
				d.errorf(blk.TypeRange.Start, "list every table in one trigger block", "%s: trigger block is already defined at %s", what, d.pos(trigger.TypeRange.Start))
				continue
			}
			trigger = blk
			o.Trigger = d.trigger(blk)
		case "notify":
			o.Notify = append(o.Notify, d.notify(blk))
		case "phase":
			o.Phases = append(o.Phases, d.phase(blk, o, len(o.Phases)))
		}
	}
	return o
}

func (d *decoder) schedule(b *hclsyntax.Block) spec.Schedule {
	s := spec.Schedule{}
	s.Pos = d.pos(b.TypeRange.Start)
	attrs, _ := d.content("schedule", "", b.Body)
	if a := attrs["cron"]; a != nil {
		s.SetField("cron", d.field(a))
		s.Cron = d.string(a)
	} else {
		d.missing(b, "cron", `cron = "0 6 * * *"`)
	}
	if a := attrs["timezone"]; a != nil {
		s.SetField("timezone", d.field(a))
		s.Timezone = d.string(a)
	}
	return s
}

func (d *decoder) trigger(b *hclsyntax.Block) *spec.Trigger {
	t := &spec.Trigger{}
	t.Pos = d.pos(b.TypeRange.Start)
	attrs, _ := d.content("trigger", "", b.Body)
	if a := attrs["tables"]; a != nil {
		t.SetField("tables", d.field(a))
		t.Tables = d.strings(a)
	} else {
		d.missing(b, "tables", `tables = ["in.c-main.orders"]`)
	}
	if a := attrs["cooldown"]; a != nil {
		t.Cooldown = d.duration(a)
	}
	return t
}

func (d *decoder) notify(b *hclsyntax.Block) spec.Notify {
	n := spec.Notify{}
	n.Pos = d.pos(b.TypeRange.Start)
	attrs, _ := d.content("notify", "", b.Body)
	if a := attrs["on"]; a != nil {
		n.SetField("on", d.field(a))
		for _, e := range d.strings(a) {
			n.On = append(n.On, spec.Event(e))
		}
	} else {
		d.missing(b, "on", `on = ["error"]`)
	}
	if a := attrs["to"]; a != nil {
		n.SetField("to", d.field(a))
		n.To = d.strings(a)
	} else {
		d.missing(b, "to", `to = ["ops"]`)
	}
	return n
}

// phase decodes phase number index of orchestration o.
func (d *decoder) phase(b *hclsyntax.Block, o *spec.Orchestration, index int) spec.Phase {
	ph := spec.Phase{Name: b.Labels[0]}
	ph.Pos = d.start(b)
	_, blocks := d.content("phase", ph.Name, b.Body)
	for _, blk := range blocks {
		ph.Tasks = append(ph.Tasks, d.task(blk, lateParams{orch: o, phase: index, task: len(ph.Tasks)}))
	}
	return ph
}

// task decodes a task; at says where it will be, for its parameters.
func (d *decoder) task(b *hclsyntax.Block, at lateParams) spec.Task {
	t := spec.Task{Name: b.Labels[0], Enabled: true}
	t.Pos = d.start(b)
	attrs, _ := d.content("task", t.Name, b.Body)
	t.Fields = make([]spec.FieldPos, 0, len(attrs))
	for name, a := range attrs {
		t.SetField(name, d.field(a))
	}
	if a := attrs["configuration"]; a != nil {
		t.Configuration = d.string(a)
	}
	if a := attrs["orchestration"]; a != nil {
		t.Orchestration = d.string(a)
	}
	if a := attrs["enabled"]; a != nil {
		t.Enabled = d.bool(a)
	}
	if a := attrs["continue_on_failure"]; a != nil {
		t.ContinueOnFailure = d.bool(a)
	}
	if a := attrs["parameters"]; a != nil {
		t.Parameters = d.lateParameters(a, at)
	}
	return t
}

func (d *decoder) missing(b *hclsyntax.Block, name, example string) {
	d.errorf(b.TypeRange.Start, "add "+example, "%s block needs the attribute %q", b.Type, name)
}

// field is where an attribute's value starts: references and values are
// reported there.
func (d *decoder) field(a *hclsyntax.Attribute) spec.Pos { return d.pos(a.Expr.Range().Start) }
