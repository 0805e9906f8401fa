package clock

import (
	"context"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

func fired(t Timer) bool {
	select {
	case <-t.C():
		return true
	default:
		return false
	}
}

func TestFakeTimersFireWhenTheirTimeComes(t *testing.T) {
	f := NewFake(start)
	a, b := f.NewTimer(time.Minute), f.NewTimer(time.Hour)
	f.Advance(59 * time.Second)
	if fired(a) || fired(b) {
		t.Fatal("a timer fired early")
	}
	f.Advance(time.Second)
	if !fired(a) || fired(b) {
		t.Fatal("want exactly the 1-minute timer fired")
	}
	if f.Pending() != 1 {
		t.Errorf("pending = %d, want 1", f.Pending())
	}
	f.Set(start.Add(2 * time.Hour))
	if !fired(b) {
		t.Error("Set past the deadline did not fire the timer")
	}
	if got := f.Now(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("Now = %v", got)
	}
}

func TestFakeTimerStopAndReset(t *testing.T) {
	f := NewFake(start)
	tm := f.NewTimer(time.Minute)
	if !tm.Stop() {
		t.Error("Stop of an armed timer = false")
	}
	f.Advance(time.Hour)
	if fired(tm) {
		t.Error("a stopped timer fired")
	}
	if tm.Reset(time.Minute) {
		t.Error("Reset of a stopped timer reported it armed")
	}
	f.Advance(time.Minute)
	if !fired(tm) {
		t.Error("a reset timer did not fire")
	}
	tm.Reset(0)
	if !fired(tm) {
		t.Error("a zero duration did not fire at once")
	}
}

func TestWaitForTimersWakesWhenCodeUnderTestSleeps(t *testing.T) {
	f := NewFake(start)
	done := make(chan time.Time)
	go func() {
		tm := f.NewTimer(10 * time.Minute)
		done <- <-tm.C()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.WaitForTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(10 * time.Minute)
	if got := <-done; !got.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("timer delivered %v", got)
	}
	short, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	if err := f.WaitForTimers(short, 5); err == nil {
		t.Error("WaitForTimers returned without the timers")
	}
}

func TestSetBackwardsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Set into the past did not panic")
		}
	}()
	NewFake(start).Set(start.Add(-time.Second))
}

func TestRealClock(t *testing.T) {
	c := Real()
	before := time.Now()
	if c.Now().Before(before) {
		t.Error("Real().Now() is behind time.Now")
	}
	tm := c.NewTimer(0)
	<-tm.C()
}
