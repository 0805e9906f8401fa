package ui

import (
	"context"
	"net/http"
	"slices"
	"sort"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

// appliedSpec is the applied revision's desired state.
func (u *UI) appliedSpec(ctx context.Context) (*spec.Spec, error) {
	objs, err := u.cfg.Store.AppliedObjects(ctx)
	if err != nil {
		return nil, err
	}
	return spec.FromObjects(objs)
}

type tableRow struct {
	state.TableState
	// ReadBy lists the orchestrations whose trigger waits for the table;
	// WrittenBy the configurations that name it as an output.
	ReadBy    []string
	WrittenBy []string
}

func (u *UI) tablesPage(w http.ResponseWriter, r *http.Request, s *session) {
	tables, err := u.cfg.Store.Tables(r.Context())
	if err != nil {
		u.internal(w, err)
		return
	}
	sp, err := u.appliedSpec(r.Context())
	if err != nil {
		u.internal(w, err)
		return
	}
	rows := map[string]*tableRow{}
	row := func(id string) *tableRow {
		if rows[id] == nil {
			rows[id] = &tableRow{TableState: state.TableState{ID: id}}
		}
		return rows[id]
	}
	for _, t := range tables {
		row(t.ID).TableState = t
	}
	for _, o := range sp.Orchestrations {
		if o.Trigger != nil && token.Allows(s.Token, token.ScopeJobsRead, o.Name) {
			for _, t := range o.Trigger.Tables {
				row(t).ReadBy = append(row(t).ReadBy, o.Name)
			}
		}
	}
	for _, c := range sp.Configurations {
		for _, t := range c.Outputs {
			row(t).WrittenBy = append(row(t).WrittenBy, c.Name)
		}
	}
	for _, t := range sp.Tables {
		row(t.ID)
	}
	out := make([]tableRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	u.render(w, r, http.StatusOK, "tables", page{Title: "Tables", Nav: "tables", Session: s, Data: out})
}

type revisionsData struct {
	Revisions []state.Revision
	Source    state.SourceStatus
}

func (u *UI) revisionsPage(w http.ResponseWriter, r *http.Request, s *session) {
	revs, err := u.cfg.Store.Revisions(r.Context(), 100)
	if err != nil {
		u.internal(w, err)
		return
	}
	st, err := u.cfg.Store.SourceStatus(r.Context())
	if err != nil {
		u.internal(w, err)
		return
	}
	u.render(w, r, http.StatusOK, "revisions", page{Title: "Revisions", Nav: "revisions", Session: s, Data: revisionsData{Revisions: revs, Source: st}})
}

// visibleOrchestrations are the applied orchestrations the session may see.
func visibleOrchestrations(sp *spec.Spec, s *session) []*spec.Orchestration {
	return slices.DeleteFunc(slices.Clone(sp.Orchestrations), func(o *spec.Orchestration) bool {
		return !token.Allows(s.Token, token.ScopeJobsRead, o.Name)
	})
}
