package clock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

// received returns the value waiting on t's channel, if any, without blocking.
func received(t Timer) (time.Time, bool) {
	select {
	case v := <-t.C():
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestFakeTimersFireWhenTheirDeadlinePasses(t *testing.T) {
	f := NewFake(start)
	a, b := f.NewTimer(time.Minute), f.NewTimer(time.Hour)
	f.Advance(59 * time.Second)
	if _, ok := received(a); ok {
		t.Fatal("the 1-minute timer fired early")
	}
	f.Advance(time.Second)
	if v, ok := received(a); !ok || !v.Equal(start.Add(time.Minute)) {
		t.Fatalf("1-minute timer: got %v %v, want a fire at %v", v, ok, start.Add(time.Minute))
	}
	if _, ok := received(b); ok {
		t.Fatal("the 1-hour timer fired early")
	}
	if got := f.Pending(); got != 1 {
		t.Errorf("Pending = %d, want 1", got)
	}
	f.Set(start.Add(2 * time.Hour))
	if _, ok := received(b); !ok {
		t.Error("Set past the deadline did not fire the timer")
	}
	if got := f.Now(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("Now = %v, want %v", got, start.Add(2*time.Hour))
	}
	if got := f.Pending(); got != 0 {
		t.Errorf("Pending = %d after every timer fired, want 0", got)
	}
}

func TestOneAdvanceFiresEveryDueTimerWithItsOwnDeadline(t *testing.T) {
	f := NewFake(start)
	durations := []time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute, time.Hour}
	timers := make([]Timer, len(durations))
	for i, d := range durations {
		timers[i] = f.NewTimer(d)
	}
	f.Advance(5 * time.Minute)
	for i, d := range durations {
		v, ok := received(timers[i])
		if d > 5*time.Minute {
			if ok {
				t.Errorf("the %v timer fired after 5m", d)
			}
			continue
		}
		if !ok || !v.Equal(start.Add(d)) {
			t.Errorf("the %v timer: got %v %v, want a fire at its deadline %v", d, v, ok, start.Add(d))
		}
	}
	if got := f.Pending(); got != 1 {
		t.Errorf("Pending = %d, want 1", got)
	}
}

func TestTimerWithNonPositiveDurationFiresAtOnce(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		t.Run(d.String(), func(t *testing.T) {
			f := NewFake(start)
			tm := f.NewTimer(d)
			if v, ok := received(tm); !ok || !v.Equal(start) {
				t.Errorf("NewTimer(%v): got %v %v, want a fire at now", d, v, ok)
			}
			if got := f.Pending(); got != 0 {
				t.Errorf("Pending = %d, want 0", got)
			}
			tm.Reset(d)
			if _, ok := received(tm); !ok {
				t.Errorf("Reset(%v) did not fire at once", d)
			}
		})
	}
}

func TestStopPreventsTheFire(t *testing.T) {
	f := NewFake(start)
	tm := f.NewTimer(time.Minute)
	if !tm.Stop() {
		t.Error("Stop of an armed timer = false, want true")
	}
	if got := f.Pending(); got != 0 {
		t.Errorf("Pending = %d after Stop, want 0", got)
	}
	f.Advance(time.Hour)
	if _, ok := received(tm); ok {
		t.Error("a stopped timer fired")
	}
	if tm.Stop() {
		t.Error("Stop of a stopped timer = true, want false")
	}
}

// Since Go 1.23 a time.Timer never delivers a value from before a Stop or
// Reset; the fake keeps that promise so tests see what production sees.
func TestStopAndResetDiscardAFireNobodyReceived(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(Timer) bool
	}{
		{"Stop", Timer.Stop},
		{"Reset", func(tm Timer) bool { return tm.Reset(time.Minute) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFake(start)
			tm := f.NewTimer(time.Minute)
			f.Advance(time.Minute)
			if !tc.call(tm) {
				t.Errorf("%s of a fired, unreceived timer = false, want true", tc.name)
			}
			if v, ok := received(tm); ok {
				t.Errorf("a stale fire at %v came through after %s", v, tc.name)
			}
		})
	}
}

func TestResetOfAFiredTimerArmsItAgain(t *testing.T) {
	f := NewFake(start)
	tm := f.NewTimer(time.Minute)
	f.Advance(time.Minute)
	if _, ok := received(tm); !ok {
		t.Fatal("the timer did not fire")
	}
	if tm.Reset(10 * time.Minute) {
		t.Error("Reset of a fired, received timer = true, want false")
	}
	if got := f.Pending(); got != 1 {
		t.Errorf("Pending = %d after Reset, want 1", got)
	}
	f.Advance(9 * time.Minute)
	if _, ok := received(tm); ok {
		t.Fatal("the reset timer fired early")
	}
	f.Advance(time.Minute)
	if v, ok := received(tm); !ok || !v.Equal(start.Add(11*time.Minute)) {
		t.Errorf("reset timer: got %v %v, want a fire at %v", v, ok, start.Add(11*time.Minute))
	}
}

func TestResetOfAnArmedTimerMovesItsDeadline(t *testing.T) {
	f := NewFake(start)
	tm := f.NewTimer(time.Minute)
	if !tm.Reset(time.Hour) {
		t.Error("Reset of an armed timer = false, want true")
	}
	f.Advance(time.Minute)
	if _, ok := received(tm); ok {
		t.Error("the timer fired at its old deadline")
	}
	if got := f.Pending(); got != 1 {
		t.Errorf("Pending = %d, want 1 (Reset must not arm a timer twice)", got)
	}
}

func TestWaitForTimersWakesWhenCodeUnderTestSleeps(t *testing.T) {
	f := NewFake(start)
	done := make(chan time.Time)
	go func() {
		tm := f.NewTimer(10 * time.Minute)
		done <- <-tm.C()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.WaitForTimers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(10 * time.Minute)
	if got := <-done; !got.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("timer delivered %v, want %v", got, start.Add(10*time.Minute))
	}
}

func TestWaitForTimersReturnsTheContextError(t *testing.T) {
	f := NewFake(start)
	f.NewTimer(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := f.WaitForTimers(ctx, 2)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 armed") {
		t.Errorf("WaitForTimers = %v, want context.Canceled naming the 1 armed timer", err)
	}
	if err := f.WaitForTimers(ctx, 1); err != nil {
		t.Errorf("WaitForTimers with enough timers armed = %v, want nil", err)
	}
}

func TestTimeNeverGoesBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		move func(*Fake)
	}{
		{"Set", func(f *Fake) { f.Set(start.Add(-time.Second)) }},
		{"Advance", func(f *Fake) { f.Advance(-time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFake(start)
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, "cannot move time back") {
					t.Errorf("panic = %q, want one saying time cannot move back", msg)
				}
				if !f.Now().Equal(start) {
					t.Errorf("Now = %v after the refused move, want %v", f.Now(), start)
				}
			}()
			tc.move(f)
		})
	}
}

func TestFakeIsSafeForConcurrentUse(t *testing.T) {
	f := NewFake(start)
	const workers = 4
	done := make(chan struct{})
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				tm := f.NewTimer(time.Second)
				tm.Reset(2 * time.Second)
				tm.Stop()
				_ = f.Now()
			}
		}()
	}
	for range 100 {
		f.Advance(time.Second)
		_ = f.Pending()
	}
	for range workers {
		<-done
	}
}

func TestRealClock(t *testing.T) {
	c := Real()
	before := time.Now()
	if c.Now().Before(before) {
		t.Error("Real().Now() is behind time.Now")
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Error("Stop of an armed real timer = false")
	}
	tm.Reset(0)
	<-tm.C()
}
