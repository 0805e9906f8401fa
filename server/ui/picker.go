package ui

import (
	"strings"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// picker is the task selection of the run and retry forms, by phase.
type picker struct {
	Phases []pickerPhase
	// Params shows a parameter override field per task (run form).
	Params bool
}

type pickerPhase struct {
	Name  string
	Tasks []pickerTask
}

type pickerTask struct {
	Name    string
	Checked bool
	Note    string
	// Parameters is the task's effective parameters as JSON, shown as the
	// placeholder of its override field.
	Parameters string
}

// retryPicker lists a job's tasks with the default retry selection checked.
func retryPicker(tasks []state.Job, checked map[string]bool) picker {
	var p picker
	for i, t := range tasks {
		if i == 0 || t.PhaseIndex != tasks[i-1].PhaseIndex {
			p.Phases = append(p.Phases, pickerPhase{Name: t.Phase})
		}
		note := string(t.Status)
		if strings.Contains(t.Message, "inactive") {
			note = "inactive"
		}
		ph := &p.Phases[len(p.Phases)-1]
		ph.Tasks = append(ph.Tasks, pickerTask{Name: t.Task, Checked: checked[t.Task], Note: note})
	}
	return p
}

// runPicker lists an orchestration's tasks with the active ones checked.
func runPicker(o *spec.Orchestration, params map[string]string) picker {
	p := picker{Params: true}
	for _, ph := range o.Phases {
		pp := pickerPhase{Name: ph.Name}
		for _, t := range ph.Tasks {
			pt := pickerTask{Name: t.Name, Checked: t.Enabled, Parameters: params[t.Name]}
			if !t.Enabled {
				pt.Note = "inactive"
			}
			pp.Tasks = append(pp.Tasks, pt)
		}
		p.Phases = append(p.Phases, pp)
	}
	return p
}
