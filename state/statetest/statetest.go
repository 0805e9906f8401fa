// Package statetest is the conformance suite of state backends: every
// backend's tests call Run with a way to make a new database, and so
// pass the same behaviour the executor, reconciler and server rely on.
package statetest

import (
	"testing"

	"github.com/baton-dev/baton/state"
)

// NewDB makes a new, empty database for one test and returns how to open
// a store on it. Each call of open is another handle on the same
// database, as another process would open it; Run closes them all.
type NewDB func(t *testing.T) (open func() state.Store)

// Run runs the suite against the backend newDB makes databases of.
func Run(t *testing.T, newDB NewDB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s state.Store)
	}{
		{"CreateJobWithTasks", testCreateJobWithTasks},
		{"UpdateJobIsACompareAndSetWithItsSideEffects", testUpdateJobIsACompareAndSetWithItsSideEffects},
		{"ListJobsFiltersAndPages", testListJobsFiltersAndPages},
		{"ListJobsFiltersByTriggerAndRetryOf", testListJobsFiltersByTriggerAndRetryOf},
		{"RequestCancel", testRequestCancel},
		{"CreateJobsIsAllOrNone", testCreateJobsIsAllOrNone},
		{"CreateJobsReturnsTheJobsAsStored", testCreateJobsReturnsTheJobsAsStored},
		{"UpdateJobsIsAllOrNone", testUpdateJobsIsAllOrNone},
		{"AlikeTransitionsAreAppliedAsEachAlone", testAlikeTransitionsAreAppliedAsEachAlone},
		{"AlikeTransitionsAreAllOrNone", testAlikeTransitionsAreAllOrNone},
		{"ActiveJobStatusesAreTheActiveJobsInShort", testActiveJobStatusesAreTheActiveJobsInShort},
		{"ReservedJobIDsAreNeverGivenAgain", testReservedJobIDsAreNeverGivenAgain},
		{"RecordRoundStoresJobsWithTheirStartAllOrNone", testRecordRoundStoresJobsWithTheirStartAllOrNone},
		{"ChildJobIsTheOrchestrationATaskStarted", testChildJobIsTheOrchestrationATaskStarted},
		{"LastSuccessfulDurationsCountsOnlySuccessfulRuns", testLastSuccessfulDurationsCountsOnlySuccessfulRuns},
		{"JobJSONShape", testJobJSONShape},
		{"OutboxIsDueRetriedAndNeverSentTwice", testOutboxIsDueRetriedAndNeverSentTwice},
		{"OutboxUndeliverableIsNeverDueAgain", testOutboxUndeliverableIsNeverDueAgain},
		{"RetentionKeepsLastRunningAndRetriedJobs", testRetentionKeepsLastRunningAndRetriedJobs},
		{"ApplyRevisionReplacesLiveObjectsAndKeepsHistory", testApplyRevisionReplacesLiveObjectsAndKeepsHistory},
		{"RecordFetchTracksStaleSince", testRecordFetchTracksStaleSince},
		{"TableUpdatesKeepTheLatest", testTableUpdatesKeepTheLatest},
		{"TimesKeepNanosecondsAndComeBackInUTC", testTimesKeepNanosecondsAndComeBackInUTC},
		{"RevisionsLimitZeroListsAll", testRevisionsLimitZeroListsAll},
		{"RefusedAttemptIsKeptBesideTheSourceStatus", testRefusedAttemptIsKeptBesideTheSourceStatus},
		{"OrchestrationsSinceCountsTheRecentlyDeleted", testOrchestrationsSinceCountsTheRecentlyDeleted},
		{"ObjectRevisionIsTheLastThatChangedIt", testObjectRevisionIsTheLastThatChangedIt},
		{"TokensAreStoredByHashAndRevokedNotDeleted", testTokensAreStoredByHashAndRevokedNotDeleted},
		{"OrchestrationTokensAreAddedOnlyWhereMissing", testOrchestrationTokensAreAddedOnlyWhereMissing},
		{"OrchestrationTokenRotationKeepsTheOldOneForRunningJobs", testOrchestrationTokenRotationKeepsTheOldOneForRunningJobs},
		{"OrchestrationTokensAreEachOrchestrationsCurrentOne", testOrchestrationTokensAreEachOrchestrationsCurrentOne},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, opener(t, newDB)())
		})
	}
	twoHandles := []struct {
		name string
		fn   func(t *testing.T, open func() state.Store)
	}{
		{"OneExecutorHoldsTheLease", testOneExecutorHoldsTheLease},
		{"WakeReachesAnotherHandle", testWakeReachesAnotherHandle},
		{"WritesAreSeenByAnotherHandle", testWritesAreSeenByAnotherHandle},
		{"NodesKeepTheirLatestHeartbeat", testNodesKeepTheirLatestHeartbeat},
		{"SuspensionsAreRecordedReplacedAndLifted", testSuspensionsAreRecordedReplacedAndLifted},
	}
	for _, tc := range twoHandles {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, opener(t, newDB))
		})
	}
}

// opener wraps newDB's open so that every store is closed when t ends.
func opener(t *testing.T, newDB NewDB) func() state.Store {
	open := newDB(t)
	return func() state.Store {
		s := open()
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	}
}
