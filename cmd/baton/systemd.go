package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/baton-dev/baton/clock"
)

// sdNotifier tells systemd how baton watch is doing (Type=notify or
// notify-reload units): READY=1 once it watches, RELOADING=1 on SIGHUP and
// READY=1 again after that reconcile, STOPPING=1 on SIGTERM, and WATCHDOG=1
// pings at half of WatchdogSec. Without $NOTIFY_SOCKET every call does
// nothing.
type sdNotifier struct {
	logger *slog.Logger
	clock  clock.Clock
	// reloading is set between a SIGHUP and the end of its reconcile.
	reloading atomic.Bool
}

func (n *sdNotifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.logger.Warn("tell systemd", "state", state, "error", err)
	}
}

// ready says the watcher runs; MAINPID lets a supervisor that did not
// start baton itself signal it.
func (n *sdNotifier) ready() {
	n.send(fmt.Sprintf("%s\nMAINPID=%d\nSTATUS=watching", daemon.SdNotifyReady, os.Getpid()))
}

func (n *sdNotifier) stopping() {
	n.send(daemon.SdNotifyStopping + "\nSTATUS=stopping: running tasks get the grace period")
}

// reload says a reconcile was asked for (SIGHUP); reconciled says when it
// is done. systemd's notify-reload needs the monotonic time with it.
func (n *sdNotifier) reload() {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	n.reloading.Store(true)
	n.send(fmt.Sprintf("%s\nMONOTONIC_USEC=%d\nSTATUS=reconciling on request", daemon.SdNotifyReloading, ts.Nano()/1000))
}

func (n *sdNotifier) reconciled() {
	if n.reloading.CompareAndSwap(true, false) {
		n.ready()
	}
}

// watchdog pings at half of the unit's WatchdogSec until ctx ends; it does
// nothing when the unit has no watchdog.
func (n *sdNotifier) watchdog(ctx context.Context) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.logger.Warn("read the systemd watchdog settings", "error", err)
	}
	if every <= 0 {
		return
	}
	for {
		n.send(daemon.SdNotifyWatchdog)
		t := n.clock.NewTimer(every / 2)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// forwardReconciles drains the controller's reconcile outcomes: the first
// makes baton ready (whether or not the source could be applied, the last
// applied revision runs), later ones end a requested reload.
func (n *sdNotifier) forwardReconciles(ctx context.Context, in <-chan error) {
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-in:
			if first {
				first = false
				n.reloading.Store(false)
				n.ready()
				continue
			}
			n.reconciled()
		}
	}
}
