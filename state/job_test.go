package state

import "testing"

func TestParseJobStatus(t *testing.T) {
	if s, err := ParseJobStatus("warning"); err != nil || s != JobWarning {
		t.Errorf("ParseJobStatus(warning) = %v %v", s, err)
	}
	if _, err := ParseJobStatus("failed"); err == nil {
		t.Error("unknown status accepted")
	}
	for _, s := range jobStatuses {
		if s.Terminal() == (s == JobCreated || s == JobWaiting || s == JobProcessing) {
			t.Errorf("%s.Terminal() = %v", s, s.Terminal())
		}
	}
}
