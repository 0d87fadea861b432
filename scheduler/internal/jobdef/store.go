package jobdef

import (
	"encoding/json"
	"reflect"
	"sync"
	"time"
	"weak"

	"github.com/jetcron/jetcron/pkg/job"
)

// Store hands out the Defs of a process: one per revision, sharing shapes
// (see the package documentation). It is safe for concurrent use.
type Store struct {
	mu sync.Mutex
	// defs are the Defs handed out, by job name: the newest revision
	// asked for of each.
	defs map[string]held
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

// held is a Def handed out, and what identifies its revision.
type held struct {
	revision uint64
	at       int64 // the UnixNano the bucket stored it at
	def      weak.Pointer[Def]
}

// minSweep is the smallest map a sweep is worth.
const minSweep = 1024

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{defs: map[string]held{}, shapes: map[string]weak.Pointer[shape]{},
		defsSweepAt: minSweep, shapesSweepAt: minSweep}
}

// Grow makes room for n more jobs (the jobs bucket's keys, before a watch
// loads them: a million-job load would grow the map twenty times).
func (st *Store) Grow(n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n <= len(st.defs) {
		return
	}
	defs := make(map[string]held, n)
	for k, v := range st.defs {
		defs[k] = v
	}
	st.defs = defs
	st.defsSweepAt = max(st.defsSweepAt, 2*n)
}

// Def returns the Def of s, the definition stored at revision in the jobs
// bucket at the instant at: the Def another role holds of the same
// revision, if any, else a new one that shares its shape with the jobs
// that have the same.
func (st *Store) Def(s job.Spec, revision uint64, at time.Time) *Def {
	st.mu.Lock()
	defer st.mu.Unlock()
	h, ok := st.defs[s.Name]
	if ok && h.revision == revision && h.at == at.UnixNano() {
		if d := h.def.Value(); d != nil {
			return d
		}
	}
	own, rest := split(s)
	d := &Def{own: own, shape: st.shape(&rest), revision: revision}
	if !ok && len(st.defs) >= st.defsSweepAt {
		st.sweepDefs()
	}
	st.defs[d.own.Name] = held{revision: revision, at: at.UnixNano(), def: weak.Make(d)}
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
	for name, h := range st.defs {
		if h.def.Value() == nil {
			delete(st.defs, name)
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
