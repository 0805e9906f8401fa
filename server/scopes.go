package server

import "github.com/baton-dev/baton/token"

// The scopes the API's routes require.
const (
	ScopeRun         = token.ScopeRun
	ScopeJobsRead    = token.ScopeJobsRead
	ScopeTablesWrite = token.ScopeTablesWrite
	ScopeAdmin       = token.ScopeAdmin
)
