// Package spec is baton's desired-state model: the project settings,
// components, configurations, tables, notification channels and
// orchestrations that the HCL files describe, as plain Go values. It owns the
// semantic validation and the canonical JSON and content hash of every object.
package spec

import (
	"github.com/baton-dev/baton/finding"
)

// Pos is a place in a source file. Objects carry positions so that semantic
// errors can point at the line that caused them; positions are never part of
// an object's canonical form.
type Pos = finding.Pos

// Source records where an object and its attributes were defined. The zero
// value is valid: it means the object did not come from a file.
type Source struct {
	Pos Pos `json:"-"`
	// Fields holds the positions of the attributes that were written. A
	// few per object, so a slice: tens of thousands of maps would be the
	// largest part of a big revision's memory.
	Fields []FieldPos `json:"-"`
}

// FieldPos is where one attribute was written.
type FieldPos struct {
	Name string
	Pos  Pos
}

// FieldPos is the position of the named attribute, or of the object when the
// attribute was not written.
func (s Source) FieldPos(name string) Pos {
	for _, f := range s.Fields {
		if f.Name == name {
			return f.Pos
		}
	}
	return s.Pos
}

// SetField records the position of one attribute.
func (s *Source) SetField(name string, p Pos) {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			s.Fields[i].Pos = p
			return
		}
	}
	s.Fields = append(s.Fields, FieldPos{Name: name, Pos: p})
}

// Spec is one revision's whole desired state.
type Spec struct {
	Project        *Project         `json:"project,omitempty"`
	Components     []*Component     `json:"components,omitempty"`
	Configurations []*Configuration `json:"configurations,omitempty"`
	Tables         []*Table         `json:"tables,omitempty"`
	Notifications  []*Notification  `json:"notifications,omitempty"`
	Orchestrations []*Orchestration `json:"orchestrations,omitempty"`
}

// Project holds the settings that apply to every orchestration.
type Project struct {
	Source `json:"-"`
	// MaxParallelJobs limits task processes running at once; 0 means the
	// number of CPUs of the machine that executes.
	MaxParallelJobs int `json:"max_parallel_jobs,omitempty"`
	// Timezone is the default IANA zone of schedules; empty means UTC.
	Timezone string `json:"timezone,omitempty"`
	// Retention says how long ended jobs and their logs are kept; nil means
	// the defaults.
	Retention *Retention `json:"retention,omitempty"`
}

// Component is a reusable way to run configurations.
type Component struct {
	Source  `json:"-"`
	Name    string   `json:"name"`
	Command []string `json:"command"`
	Timeout Duration `json:"timeout,omitempty"`
}

// Configuration is the unit of serialization: its jobs never overlap.
type Configuration struct {
	Source    `json:"-"`
	Name      string `json:"name"`
	Component string `json:"component,omitempty"`
	// Command overrides the component's command; one of the two is required.
	Command    []string       `json:"command,omitempty"`
	Timeout    Duration       `json:"timeout,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Inputs     []string       `json:"inputs,omitempty"`
	Outputs    []string       `json:"outputs,omitempty"`
	Env        map[string]Env `json:"env,omitempty"`
}

// Env is an environment variable given to a task: a literal, or a reference
// to a variable of the executor's environment that is resolved when the task
// starts, so that secrets never reach Git or the state in clear.
type Env struct {
	Value   string `json:"value,omitempty"`
	FromEnv string `json:"from_env,omitempty"`
}

// Table is a table that orchestrations read and write. Tables named in
// outputs and triggers need no block; a block adds a watched file.
type Table struct {
	Source `json:"-"`
	ID     string `json:"id"`
	// Watch is a file whose writes count as updates of the table.
	Watch string `json:"watch,omitempty"`
}

// Notification is a named channel that orchestrations notify.
type Notification struct {
	Source  `json:"-"`
	Name    string   `json:"name"`
	Email   []string `json:"email,omitempty"`
	Webhook string   `json:"webhook,omitempty"`
	// Format is the webhook body: WebhookJSON (default) or WebhookSlack.
	Format WebhookFormat `json:"format,omitempty"`
	// SecretEnv names the environment variable whose value signs webhook
	// bodies (X-Baton-Signature-256); the secret never lives in Git.
	SecretEnv string `json:"secret_env,omitempty"`
}

// WebhookFormat is the shape of a webhook's body.
type WebhookFormat string

// Webhook formats.
const (
	WebhookJSON  WebhookFormat = "json"
	WebhookSlack WebhookFormat = "slack"
)

// OnOverlap says what happens to a job of an orchestration that starts while
// another job of it is still running.
type OnOverlap string

const (
	// OverlapQueue makes the new job wait (the manual's behaviour).
	OverlapQueue OnOverlap = "queue"
	// OverlapSkip records the new job as skipped.
	OverlapSkip OnOverlap = "skip"
)

// Orchestration is a sequence of phases of parallel tasks.
type Orchestration struct {
	Source      `json:"-"`
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	OnOverlap   OnOverlap  `json:"on_overlap"`
	Schedules   []Schedule `json:"schedule,omitempty"`
	Trigger     *Trigger   `json:"trigger,omitempty"`
	Notify      []Notify   `json:"notify,omitempty"`
	// LongRunning is when a job counts as long running (default
	// DefaultLongRunning); WaitingTooLong is how long it may wait to start
	// (default DefaultWaitingTooLong).
	LongRunning    Threshold `json:"long_running,omitzero"`
	WaitingTooLong Duration  `json:"waiting_too_long,omitempty"`
	Phases         []Phase   `json:"phase"`
}

// Schedule fires an orchestration at the times of a cron expression.
type Schedule struct {
	Source `json:"-"`
	Cron   string `json:"cron"`
	// Timezone is the IANA zone; empty means the project's zone, else UTC.
	Timezone string `json:"timezone,omitempty"`
}

// Zone is the IANA zone the schedule fires in: its own, else the project's
// (projectZone), else UTC.
func (s Schedule) Zone(projectZone string) string {
	switch {
	case s.Timezone != "":
		return s.Timezone
	case projectZone != "":
		return projectZone
	}
	return "UTC"
}

// Trigger fires an orchestration once all its tables were updated since its
// last execution, ignoring updates within Cooldown after that execution.
type Trigger struct {
	Source   `json:"-"`
	Tables   []string `json:"tables"`
	Cooldown Duration `json:"cooldown,omitempty"`
}

// Event is something about a job that a channel can be notified of.
type Event string

const (
	EventError       Event = "error"
	EventWarning     Event = "warning"
	EventSuccess     Event = "success"
	EventLongRunning Event = "long_running"
	// EventWaitingTooLong: a job waited to start longer than its
	// orchestration's waiting_too_long.
	EventWaitingTooLong Event = "waiting_too_long"
	// EventCancelled and EventTerminated are failures too: a notify block
	// that lists error hears of them as well.
	EventCancelled  Event = "cancelled"
	EventTerminated Event = "terminated"
)

// Events lists every notify event, in documentation order.
var Events = []Event{EventError, EventCancelled, EventTerminated, EventWarning, EventSuccess, EventLongRunning, EventWaitingTooLong}

// Hears reports whether a notify block listing on hears of event: the
// events it lists, and cancelled and terminated wherever error is listed.
func Hears(on []Event, event Event) bool {
	for _, e := range on {
		if e == event || e == EventError && (event == EventCancelled || event == EventTerminated) {
			return true
		}
	}
	return false
}

// Notify sends the listed events of unattended runs to the listed channels.
type Notify struct {
	Source `json:"-"`
	On     []Event  `json:"on"`
	To     []string `json:"to"`
}

// Phase is a group of tasks that run in parallel; phases run one after another.
type Phase struct {
	Source `json:"-"`
	Name   string `json:"name"`
	Tasks  []Task `json:"task"`
}

// Task runs a configuration or another orchestration.
type Task struct {
	Source            `json:"-"`
	Name              string         `json:"name"`
	Configuration     string         `json:"configuration,omitempty"`
	Orchestration     string         `json:"orchestration,omitempty"`
	Enabled           bool           `json:"enabled"`
	ContinueOnFailure bool           `json:"continue_on_failure"`
	Parameters        map[string]any `json:"parameters,omitempty"`
}
