package apiservice

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// nameIndex keeps the job names of the jobs bucket in order, so that
// job_list reads only the definitions of the page it answers: with a
// million jobs, reading every definition for each list took tens of
// seconds. It follows the bucket's keys (a watch without values); a
// replica holds the names only, about 40 bytes each.
//
// The names are a sorted slice that is never changed in place: changes
// gather in a set and are merged into a new slice when a list needs them
// (or when many have gathered), so a page taken from one slice stays valid
// while the index moves on.
type nameIndex struct {
	mu      sync.Mutex
	sorted  []string
	changes map[string]bool // name -> present, since the last merge
	synced  bool
	ready   chan struct{} // closed at the first sync
}

// maxChanges is how many changes gather before they are merged.
const maxChanges = 10_000

func newNameIndex() *nameIndex {
	return &nameIndex{changes: map[string]bool{}, ready: make(chan struct{})}
}

// follow keeps the index up to date with kv's keys until ctx ends,
// watching again (and starting over) when a watch ends.
func (x *nameIndex) follow(ctx context.Context, kv jetstream.KeyValue) {
	for ctx.Err() == nil {
		x.watchOnce(ctx, kv)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (x *nameIndex) watchOnce(ctx context.Context, kv jetstream.KeyValue) {
	w, err := kv.WatchAll(ctx, jetstream.MetaOnly())
	if err != nil {
		return
	}
	defer w.Stop()
	var fresh []string // the names of the initial values
	loading := true
	for ent := range w.Updates() {
		switch {
		case ent == nil && loading:
			slices.Sort(fresh)
			fresh = slices.Compact(fresh)
			x.mu.Lock()
			x.sorted, x.changes = fresh, map[string]bool{}
			if !x.synced {
				x.synced = true
				close(x.ready)
			}
			x.mu.Unlock()
			loading, fresh = false, nil
		case ent == nil:
		case loading:
			// The initial values are the keys' latest operations; a
			// deleted key's marker is left out.
			if ent.Operation() == jetstream.KeyValuePut {
				// A key is a part of its message's subject: a copy keeps
				// only the key.
				fresh = append(fresh, strings.Clone(ent.Key()))
			}
		default:
			x.mu.Lock()
			x.changes[strings.Clone(ent.Key())] = ent.Operation() == jetstream.KeyValuePut
			if len(x.changes) >= maxChanges {
				x.merge()
			}
			x.mu.Unlock()
		}
	}
}

// merge folds the gathered changes into a new sorted slice. x.mu is held.
func (x *nameIndex) merge() {
	if len(x.changes) == 0 {
		return
	}
	var adds []string
	for name, present := range x.changes {
		if _, found := slices.BinarySearch(x.sorted, name); present && !found {
			adds = append(adds, name)
		}
	}
	slices.Sort(adds)
	out := make([]string, 0, len(x.sorted)+len(adds))
	i := 0
	for _, name := range x.sorted {
		for i < len(adds) && adds[i] < name {
			out = append(out, adds[i])
			i++
		}
		if present, changed := x.changes[name]; !changed || present {
			out = append(out, name)
		}
	}
	out = append(out, adds[i:]...)
	x.sorted, x.changes = out, map[string]bool{}
}

// from returns, in order, the names that start with prefix and sort after
// after, as the index holds them now. It waits for the index's first sync.
func (x *nameIndex) from(ctx context.Context, prefix, after string) ([]string, error) {
	select {
	case <-x.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("job names not loaded yet: %w", ctx.Err())
	}
	x.mu.Lock()
	x.merge()
	names := x.sorted
	x.mu.Unlock()
	lo := sort.SearchStrings(names, prefix)
	if after >= prefix {
		lo = sort.SearchStrings(names, after)
		if lo < len(names) && names[lo] == after {
			lo++
		}
	}
	hi := len(names)
	if prefix != "" {
		hi = lo + sort.Search(len(names)-lo, func(i int) bool { return !strings.HasPrefix(names[lo+i], prefix) && names[lo+i] > prefix })
	}
	return names[lo:hi:hi], nil
}
