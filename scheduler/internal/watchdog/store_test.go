package watchdog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
)

// A round's states go out in batches; each keeps its revision check. Of
// 2,500 new jobs one already has a state another replica wrote: its batch
// is refused, the others of that batch are stored one by one, and the
// conflicting state is read back instead of overwritten. The new jobs'
// states are quiet (ok, nothing counted): their trackers keep them without
// an activity.
func TestStoreWritesInBatchesAndKeepsTheRevisionCheck(t *testing.T) {
	t.Parallel()
	nc, js, topo := setup(t)
	kv, err := js.KeyValue(t.Context(), topo.Names().HealthBucket())
	require.NoError(t, err)

	now := time.Now().UTC().Truncate(time.Second)
	w := New(nc, js, Config{Topology: topo, Detector: "a", Clock: clock.NewFake(now)})
	w.health = kv

	theirs := health.State{Job: "j-0007", Health: alert.Failing, Since: now, ConsecutiveFailures: 3, Seq: 99, Detector: "b", Updated: now}
	data, err := health.Encode(theirs)
	require.NoError(t, err)
	theirRev, err := kv.Create(t.Context(), "j-0007", data)
	require.NoError(t, err)

	var writes []stateWrite
	for i := range 2500 {
		tr := newTracker(fmt.Sprintf("j-%04d", i))
		next := health.State{Job: tr.name, Health: alert.OK, Since: now, Detector: "a", Updated: now}
		data, err := health.Encode(next)
		require.NoError(t, err)
		writes = append(writes, stateWrite{t: tr, next: next, data: data})
	}
	w.store(t.Context(), writes)

	for _, sw := range writes {
		tr := sw.t
		ent, err := kv.Get(t.Context(), tr.name)
		require.NoError(t, err)
		require.Equal(t, ent.Revision(), tr.storedRev(), tr.name)
		stored, err := health.Decode(ent.Key(), ent.Value())
		require.NoError(t, err)
		if tr.name == "j-0007" {
			require.Equal(t, theirRev, tr.storedRev())
			require.Equal(t, "b", stored.Detector)
			require.Equal(t, alert.Failing, tr.act.stored.health, "read back, not overwritten")
			continue
		}
		require.Nil(t, tr.act, "a quiet state needs no activity")
		require.Equal(t, "a", stored.Detector, tr.name)
		require.Equal(t, alert.OK, stored.Health, tr.name)
	}

	// A second round writes over the revisions the trackers hold.
	for i := range writes {
		writes[i].next.ConsecutiveFailures = 1
		writes[i].data, err = health.Encode(writes[i].next)
		require.NoError(t, err)
	}
	w.store(t.Context(), writes)
	for _, sw := range writes {
		st, ok, err := health.Get(t.Context(), kv, sw.t.name)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 1, st.ConsecutiveFailures, sw.t.name) // j-0007's over the revision read back
	}
}

// drainHealth adopts what the health watch has ready and returns without
// waiting for more: states newer than a tracker's are kept, older ones,
// unknown jobs' and values that do not decode are not, and a closed watch
// is left for the loop to see.
func TestDrainHealthAdoptsWhatIsReady(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	w := New(nil, nil, Config{Detector: "a", Clock: clock.NewFake(now)})
	a, b := newTracker("a"), newTracker("b")
	w.trackers["a"], w.trackers["b"] = a, b
	b.keepStored(health.State{Job: "b", Health: alert.OK, Since: now}, 9, now)

	ch := make(chan catalog.Change[storedHealth], 5)
	w.healthCh = ch
	stored := func(s health.State) *storedHealth {
		data, err := health.Encode(s)
		require.NoError(t, err)
		return (*storedHealth)(&data)
	}
	ch <- catalog.Change[storedHealth]{Key: "a", Revision: 5, Value: stored(health.State{Job: "a", Health: alert.Failing, Since: now, ConsecutiveFailures: 2, Detector: "b"})}
	ch <- catalog.Change[storedHealth]{Key: "b", Revision: 7, Value: stored(health.State{Job: "b", Health: alert.Failing, Since: now})}
	ch <- catalog.Change[storedHealth]{Key: "gone", Revision: 8, Value: stored(health.State{Job: "gone", Health: alert.Failing, Since: now})}
	bad := storedHealth("{not json")
	ch <- catalog.Change[storedHealth]{Key: "b", Revision: 10, Value: &bad}
	w.drainHealth() // returns with the channel empty, not blocked on it
	require.Zero(t, len(ch))
	require.Equal(t, uint64(5), a.storedRev())
	require.Equal(t, alert.Failing, a.view().stored.health)
	require.Equal(t, uint64(9), b.storedRev(), "an older state is not adopted, nor one that does not decode")
	require.NotContains(t, w.trackers, "gone")

	close(ch)
	w.drainHealth()
	_, ok := <-w.healthCh
	require.False(t, ok, "the loop sees the closed watch and opens it again")

	w.healthCh = nil // before Start: nothing to drain
	w.drainHealth()
}

// awaitEchoes adopts what the health watch delivers until it has
// delivered the round's last write, and no further; a watch that does not
// get there gives up after the wait, and a closed one at once.
func TestAwaitEchoes(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clk := clock.NewFake(now)
	w := New(nil, nil, Config{Detector: "a", Clock: clk})
	a := newTracker("a")
	w.trackers["a"] = a
	stored := func(rev uint64) catalog.Change[storedHealth] {
		data, err := health.Encode(health.State{Job: "a", Health: alert.OK, Since: now, Seq: rev})
		require.NoError(t, err)
		return catalog.Change[storedHealth]{Key: "a", Revision: rev, Value: (*storedHealth)(&data)}
	}
	ch := make(chan catalog.Change[storedHealth], 5)
	w.healthCh = ch
	ch <- stored(3)
	ch <- catalog.Change[storedHealth]{Key: "other", Revision: 4} // a deletion counts too
	ch <- stored(5)
	ch <- stored(6)
	require.True(t, w.awaitEchoes(4, time.Second))
	require.Equal(t, uint64(4), w.healthRev)
	require.Equal(t, uint64(3), a.storedRev())
	require.Equal(t, 2, len(ch), "what comes after the round's writes is the loop's")

	require.True(t, w.awaitEchoes(6, time.Second))
	require.Equal(t, uint64(6), a.storedRev())

	done := make(chan bool)
	go func() { done <- w.awaitEchoes(9, echoWait) }()
	clk.BlockUntil(1)
	clk.Advance(echoWait)
	require.False(t, <-done, "the watch did not get there within the wait")

	ch <- stored(7)
	close(ch)
	require.False(t, w.awaitEchoes(9, time.Hour), "a closed watch ends the wait")
	require.Equal(t, uint64(7), w.healthRev)
}

// A round's alerts go out in batches before their states. Of 1,200 jobs
// that turn unaccounted, 100 were announced already (another replica, or
// this one before it died; their batch is refused and its alerts go one
// by one): the stream keeps one copy of each, every
// state is written after its alert, and a state whose alert cannot be
// appended (here: an invalid one) is not written.
func TestStoreAnnouncesInBatchesBeforeTheStates(t *testing.T) {
	t.Parallel()
	nc, js, topo := setup(t)
	names := topo.Names()
	kv, err := js.KeyValue(t.Context(), names.HealthBucket())
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	var logged bytes.Buffer
	w := New(nc, js, Config{Topology: topo, Detector: "a", Clock: clock.NewFake(now), Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	w.health = kv

	var writes []stateWrite
	for i := range 1200 {
		tr := newTracker(fmt.Sprintf("j-%04d", i))
		slot := now.Add(-time.Minute)
		al := &alert.Alert{Job: tr.name, Health: alert.Unaccounted, Previous: alert.OK, Slot: slot, Reason: "no start", Time: now, Detector: "a"}
		if i == 7 {
			al.Health = "bogus"
		}
		next := health.State{Job: tr.name, Health: alert.Unaccounted, Since: now, Slot: slot, Detector: "a", Updated: now}
		data, err := health.Encode(next)
		require.NoError(t, err)
		writes = append(writes, stateWrite{t: tr, next: next, data: data, alert: al})
	}
	for _, sw := range writes[1100:] {
		_, err := alert.Publish(t.Context(), js, names, *sw.alert)
		require.NoError(t, err)
	}
	w.store(t.Context(), writes)

	stream, err := js.Stream(t.Context(), names.AlertsStream())
	require.NoError(t, err)
	info, err := stream.Info(t.Context())
	require.NoError(t, err)
	require.Equal(t, uint64(1199), info.State.Msgs, "one alert each, the invalid one left out")
	// The log names a batch's first changes and counts the rest in a line
	// (a million jobs after an outage are not a million lines).
	require.Equal(t, logEach, strings.Count(logged.String(), `msg="job health changed"`))
	require.Contains(t, logged.String(), `msg="more jobs changed health" component=scheduler.watchdog jobs=1179`)
	for i, sw := range writes {
		st, ok, err := health.Get(t.Context(), kv, sw.t.name)
		require.NoError(t, err)
		if i == 7 {
			require.False(t, ok, "no state without its alert")
			continue
		}
		require.True(t, ok, sw.t.name)
		require.Equal(t, alert.Unaccounted, st.Health, sw.t.name)
		ent, err := kv.Get(t.Context(), sw.t.name)
		require.NoError(t, err)
		last, err := stream.GetLastMsgForSubject(t.Context(), names.AlertSubject(sw.t.name))
		require.NoError(t, err, sw.t.name)
		require.Less(t, last.Time, ent.Created(), "%s: the alert is stored before the state", sw.t.name)
	}
}
