package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/controller"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/health"
	"github.com/baton-dev/baton/notify"
	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/retention"
	"github.com/baton-dev/baton/server"
	"github.com/baton-dev/baton/server/ui"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newWatchCommand(g *globals) *cobra.Command {
	var (
		interval       time.Duration
		grace          time.Duration
		logFormat      string
		listen         string
		urlFile        string
		publicMetrics  bool
		connsPerClient int
		staleAfter     time.Duration
		node           string
		slots          int
		lease          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Reconcile, fire schedules and triggers, and run jobs until SIGTERM",
		Long: `Watch is the long-running baton. It polls a Git source every --interval (and
at once on SIGHUP) or watches a directory source, applies good revisions (a bad
one changes nothing and is logged), fires schedules and event triggers, and
runs the jobs. The source being down never stops schedules already applied.
SIGTERM stops firing, lets running tasks finish for --grace, then terminates
them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(g.stderr, logFormat)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// systemd hears of every step until this command returns.
			sd := &sdNotifier{logger: logger, clock: clock.Real()}
			sdctx, stopSD := context.WithCancel(context.WithoutCancel(ctx))
			defer stopSD()
			go func() { <-ctx.Done(); sd.stopping() }()
			reload := make(chan struct{}, 1)
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go forward(ctx, hup, reload, sd.reload)

			// A SIGTERM while it starts is a stop, not a failure.
			failed := func(err error) error {
				if ctx.Err() != nil {
					logger.Info("stopped while starting")
					return nil
				}
				return &exitError{code: exitFailure, err: err}
			}
			rec, done, err := g.newReconciler(ctx)
			if err != nil {
				return failed(err)
			}
			defer done()
			var listener net.Listener
			if listen != "" {
				// A bare port listens on the loopback interface only; all
				// interfaces take an explicit 0.0.0.0.
				if host, port, err := net.SplitHostPort(listen); err == nil && host == "" {
					listen = net.JoinHostPort("127.0.0.1", port)
				}
				if listener, err = net.Listen("tcp", listen); err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("listen on %s: %w", listen, err)}
				}
				defer listener.Close()
				g.apiURL = "http://" + listener.Addr().String()
				if urlFile != "" {
					// With --listen 127.0.0.1:0 the port is known only now.
					if err := os.WriteFile(urlFile, []byte(g.apiURL+"\n"), 0o600); err != nil {
						return &exitError{code: exitFailure, err: fmt.Errorf("write --api-url-file: %w", err)}
					}
				}
			}
			tablesUpdated := make(chan struct{}, 1)
			g.slots = slots
			metrics := server.NewMetrics()
			g.observer = metrics
			if node == "" && g.stateIsURL() {
				// A database is shared by nature: a watcher on one is a
				// node, so that it rides out the database restarting
				// instead of exiting.
				node = defaultNodeName()
			}
			if node != "" {
				if err := spec.CheckName(node); err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("--node %q: %w", terminal.Escape(node), err)}
				}
				if lease <= 0 {
					return &exitError{code: exitFailure, err: fmt.Errorf("--lease %s: give a positive duration such as 30s", lease)}
				}
				if as, ok := rec.Store.(state.AssignmentStore); ok {
					// Tasks run on every node with a free slot.
					g.cluster = &executor.Cluster{Store: as, Node: node, Process: controller.ProcessName(), Lease: lease}
				}
			}
			ex := g.newExecutorWith(rec.Store, rec.Source, logger, func() {
				select {
				case tablesUpdated <- struct{}{}:
				default:
				}
			})
			if node == "" {
				running, err := executor.LeaseHeld(ctx, rec.Store)
				if err != nil {
					return failed(err)
				}
				if running {
					return &exitError{code: exitFailure, err: fmt.Errorf("%w; stop it before starting baton watch, or give each watcher its own --node to share the state", executor.ErrBusy)}
				}
			}
			wake, stopWake, err := rec.Store.WatchWake(ctx)
			if err != nil {
				return failed(err)
			}
			defer stopWake()
			tokens, err := g.tokens(rec.Store)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			deliveries := notify.NewDeliveryCounter()
			var background sync.WaitGroup
			defer background.Wait()
			bgctx, stopBackground := context.WithCancel(ctx)
			defer stopBackground()
			sweeper := &retention.Sweeper{Store: rec.Store, JobsDir: g.jobsDir(), Clock: clock.Real(), Logger: logger, Unstored: ex.Unstored}
			background.Add(1)
			go func() { defer background.Done(); sweeper.Run(bgctx, time.Minute, time.Hour) }()
			if listener != nil {
				web, err := ui.New(ui.Config{Store: rec.Store, Executor: ex, Tokens: tokens, Clock: clock.Real(), Logger: logger})
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				srv := server.NewHTTPServer((&server.Server{
					Store: rec.Store, Executor: ex, Tokens: tokens, Clock: clock.Real(), Logger: logger, PublicMetrics: publicMetrics,
					Ready:         &health.Checker{Store: rec.Store, Executor: ex, Clock: clock.Real(), StaleAfter: staleAfter},
					TablesUpdated: func() { _ = rec.Store.Wake(context.WithoutCancel(ctx)) },
					UI:            web,
					Collectors:    append(metrics.Collectors(), deliveries),
				}).Handler())
				srv.RegisterOnShutdown(web.Close)
				background.Add(1)
				go func() {
					defer background.Done()
					if err := srv.Serve(server.LimitPerClient(listener, connsPerClient)); err != nil && !errors.Is(err, http.ErrServerClosed) {
						logger.Error("API server", "error", err)
					}
				}()
				defer func() {
					sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_ = srv.Shutdown(sctx)
				}()
				logger.Info("serving the API and the web UI", "url", g.apiURL)
			}
			reconciled := make(chan error, 1)
			notifier := g.notifier(rec.Store, logger)
			notifier.Observe = func(channel, outcome string) { deliveries.WithLabelValues(channel, outcome).Inc() }
			w := &controller.Controller{
				AfterApply:    func(ctx context.Context) error { return g.ensureTokens(ctx, rec.Store) },
				Notifier:      notifier,
				Reconciler:    rec,
				Executor:      ex,
				Clock:         clock.Real(),
				Interval:      interval,
				Grace:         grace,
				Reload:        reload,
				Reconciled:    reconciled,
				Wake:          wake,
				TablesUpdated: tablesUpdated,
				Logger:        logger,
				Observer:      metrics,
			}
			if node != "" {
				w.Node = &controller.Node{Name: node, Slots: slots}
			}
			go sd.forwardReconciles(sdctx, reconciled)
			go sd.watchdog(sdctx)
			logger.Info("watching", "source", redact.URL(rec.Source.String()), "state", g.stateName(), "interval", interval)
			if err := w.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				return &exitError{code: exitFailure, err: err}
			}
			logger.Info("stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.DurationVar(&interval, "interval", 60*time.Second, "how often to poll a Git source")
	f.DurationVar(&grace, "grace", 30*time.Second, "on SIGTERM, how long running tasks may finish before they are terminated")
	f.StringVar(&logFormat, "log-format", "", "log format: text or json (default: text on a terminal, json otherwise)")
	f.StringVar(&listen, "listen", "", "serve the HTTP API on this address, e.g. 127.0.0.1:8080; a bare :PORT means 127.0.0.1 (default: off)")
	f.BoolVar(&publicMetrics, "public-metrics", false, "serve /metrics without a token")
	f.IntVar(&connsPerClient, "max-conns-per-client", server.DefaultMaxConnsPerClient, "connections one client address may hold open to the API at once (raise it behind a reverse proxy)")
	f.DurationVar(&staleAfter, "stale-after", 0, "how long fetching the source may fail before /readyz answers 503 (default: at the first failed fetch)")
	f.StringVar(&node, "node", "", "run as this node of several watchers sharing one state: it stands by while another node leads and takes over when that one is lost")
	f.IntVar(&slots, "slots", 0, "at most this many task processes on this node (default: the project's max_parallel_jobs)")
	f.DurationVar(&lease, "lease", executor.DefaultLease, "a node not heard of for this long is lost: its running tasks end terminated and its work runs elsewhere")
	f.StringVar(&urlFile, "api-url-file", "", "write the API's URL to this file once listening (useful with --listen 127.0.0.1:0)")
	return cmd
}

// defaultNodeName is the host's name, or "node" when that is not a valid
// name.
func defaultNodeName() string {
	host, err := os.Hostname()
	if err != nil || spec.CheckName(host) != nil {
		return "node"
	}
	return host
}

func forward(ctx context.Context, in <-chan os.Signal, out chan<- struct{}, onSignal func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-in:
			onSignal()
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}
}
