package jobdef

import (
	"encoding/json"
	"hash/maphash"
	"reflect"
	"sync"
	"time"
	"weak"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
)

// Store hands out the Defs of a process: one per revision, sharing shapes
// (see the package documentation). It is safe for concurrent use.
type Store struct {
	mu sync.Mutex
	// defs are the Defs handed out, by the hash of the job's name: the
	// newest revision asked for of each. (A hash, not the name: a million
	// jobs' entries take 16 bytes each instead of 24. Two names with one
	// hash only share less: a Def is checked before it is handed out.)
	defs map[uint64]weak.Pointer[Def]
	seed maphash.Seed
	// shapes are the shapes in use, by key.
	shapes map[string]weak.Pointer[shape]
	// recent are the shapes used last, compared first: jobs come in runs
	// of one shape (a bucket is loaded in key order, jobs are made in
	// batches), and a comparison costs less than encoding the key.
	recent [4]*shape
	// sweepAt is the size of a map at which the collected entries are
	// dropped.
	defsSweepAt, shapesSweepAt int
}

// minSweep is the smallest map a sweep is worth.
const minSweep = 1024

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{defs: map[uint64]weak.Pointer[Def]{}, seed: maphash.MakeSeed(), shapes: map[string]weak.Pointer[shape]{},
		defsSweepAt: minSweep, shapesSweepAt: minSweep}
}

// Grow makes room for n jobs (the jobs bucket's keys, before a watch
// loads them: a million-job load would grow the map twenty times).
func (st *Store) Grow(n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n <= len(st.defs) {
		return
	}
	defs := make(map[uint64]weak.Pointer[Def], n)
	for k, v := range st.defs {
		defs[k] = v
	}
	st.defs = defs
	st.defsSweepAt = max(st.defsSweepAt, 2*n)
}

// Decode returns the Def of a jobs bucket entry: the one another role
// holds of the same revision, without decoding it again, or else the
// definition decoded and checked (catalog.DecodeSpec) and shared.
func (st *Store) Decode(ent jetstream.KeyValueEntry) (*Def, error) {
	if d := st.held(ent.Key(), ent.Revision(), ent.Created().UnixNano()); d != nil {
		return d, nil
	}
	s, err := catalog.DecodeSpec(ent.Key(), ent.Value())
	if err != nil {
		return nil, err
	}
	return st.Def(*s, ent.Revision(), ent.Created()), nil
}

// held returns the Def of key's revision stored at `at` that a role holds,
// if any.
func (st *Store) held(key string, revision uint64, at int64) *Def {
	h := maphash.String(st.seed, key)
	st.mu.Lock()
	defer st.mu.Unlock()
	if d := st.defs[h].Value(); d != nil && d.is(key, revision, at) {
		return d
	}
	return nil
}

// Def returns the Def of s, the definition stored at revision in the jobs
// bucket at the instant at: the Def another role holds of the same
// revision, if any, else a new one that shares its shape with the jobs
// that have the same.
func (st *Store) Def(s job.Spec, revision uint64, at time.Time) *Def {
	h := maphash.String(st.seed, s.Name)
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.defs[h]
	if d := p.Value(); d != nil && d.is(s.Name, revision, at.UnixNano()) {
		return d
	}
	own, rest := split(s)
	d := &Def{own: own, shape: st.shape(&rest), revision: revision, at: at.UnixNano()}
	if !ok && len(st.defs) >= st.defsSweepAt {
		st.sweepDefs()
	}
	st.defs[h] = weak.Make(d)
	return d
}

// shape returns the shape equal to rest, made if none is in use.
func (st *Store) shape(rest *job.Spec) *shape {
	sh := st.lookup(rest)
	if sh == nil {
		data, err := json.Marshal(rest)
		if err != nil {
			return &shape{spec: *rest}
		}
		key := string(data)
		if sh = st.shapes[key].Value(); sh == nil {
			sh = &shape{key: key, spec: *rest}
			if len(st.shapes) >= st.shapesSweepAt {
				st.sweepShapes()
			}
			st.shapes[key] = weak.Make(sh)
		}
	}
	copy(st.recent[1:], st.recent[:len(st.recent)-1])
	st.recent[0] = sh
	return sh
}

// lookup returns the recent shape equal to rest, if any. (Compared by
// pointer: a job.Spec passed to DeepEqual by value would be copied to the
// heap at every comparison.)
func (st *Store) lookup(rest *job.Spec) *shape {
	for i, sh := range st.recent {
		if sh != nil && reflect.DeepEqual(&sh.spec, rest) {
			copy(st.recent[1:i+1], st.recent[:i])
			return sh
		}
	}
	return nil
}

// sweepDefs drops the entries of the Defs no role holds any longer, and
// sweeps again once the map has doubled.
func (st *Store) sweepDefs() {
	for h, p := range st.defs {
		if p.Value() == nil {
			delete(st.defs, h)
		}
	}
	st.defsSweepAt = max(minSweep, 2*len(st.defs))
}

// sweepShapes drops the entries of the shapes no Def holds any longer.
func (st *Store) sweepShapes() {
	for key, p := range st.shapes {
		if p.Value() == nil {
			delete(st.shapes, key)
		}
	}
	st.shapesSweepAt = max(minSweep, 2*len(st.shapes))
}

// sizes returns how many Defs and shapes the Store knows, collected ones
// included until a sweep (tests).
func (st *Store) sizes() (defs, shapes int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.defs), len(st.shapes)
}
