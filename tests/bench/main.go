package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		if err := runChild(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", childCommand+":", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
	if o.Summary != "" {
		if err := rep.writeSummary(o.Summary); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

// run measures the selected phases, each on a fresh server, and returns the
// figures; progress receives a line per step.
func run(ctx context.Context, o options, progress io.Writer) (report, error) {
	rep := report{
		Machine: currentMachine(),
		Command: strings.TrimSpace("go run ./tests/bench " + strings.Join(o.Args, " ")),
		Setup:   o.Setup,
		NoSync:  o.NoSync,
	}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "jetcron-bench-")
		if err != nil {
			return rep, fmt.Errorf("data dir: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	log := slog.New(slog.DiscardHandler)
	if o.Verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	for _, phase := range []string{phaseBatch, phaseNoBatch} {
		if !o.has(phase) {
			continue
		}
		res, err := measureDispatch(ctx, o, filepath.Join(dir, phase), phase == phaseNoBatch, log, progress)
		if err != nil {
			return rep, err
		}
		rep.Dispatch = append(rep.Dispatch, res)
	}
	for _, phase := range []string{phaseLateness, phaseLatenessNoBatch} {
		if !o.has(phase) {
			continue
		}
		res, err := measureLateness(ctx, o, filepath.Join(dir, phase), phase == phaseLatenessNoBatch, log, progress)
		if err != nil {
			return rep, err
		}
		rep.Lateness = append(rep.Lateness, res)
	}
	for _, phase := range e2ePhases {
		if !o.has(phase) {
			continue
		}
		res, err := measureE2E(ctx, o, filepath.Join(dir, phase), phase, log, progress)
		if err != nil {
			return rep, err
		}
		rep.E2E = append(rep.E2E, res)
	}
	if o.has(phaseScale) {
		res, err := measureScale(ctx, o, filepath.Join(dir, phaseScale), log, progress)
		if err != nil {
			return rep, err
		}
		rep.Scale = &res
	}
	return rep, nil
}
