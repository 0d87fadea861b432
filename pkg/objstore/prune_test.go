package objstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/miniotest"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// Both stores list a prefix with the objects' times, and delete (a missing
// object is no error); an S3 view lists and deletes under its own prefix only.
func TestPruner(t *testing.T) {
	t.Parallel()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	js := natstest.JetStream(t, nc)
	topo := natstest.Topology(t)
	natstest.Ensure(t, js, topo)
	nstore, err := objstore.OpenNATS(t.Context(), js, topo.Names().LogsStore())
	require.NoError(t, err)
	m := miniotest.Start(t)
	base := m.Open(t, "prune")
	other := base.Sub("other/logs")
	_, err = other.Put(t.Context(), "a/a-20260101T000000Z/1.log", strings.NewReader("x"), 1)
	require.NoError(t, err)

	for name, store := range map[string]interface {
		objstore.Store
		objstore.Pruner
	}{"nats": nstore, "s3": base.Sub("team/logs")} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			before := time.Now().Add(-time.Minute)
			for _, k := range []string{"a/a-20260101T000000Z/1.log", "a/a-20260101T000000Z/2.log", "ab/ab-20260101T000000Z/1.log"} {
				_, err := store.Put(ctx, k, strings.NewReader("log"), 3)
				require.NoError(t, err)
			}
			objs, err := store.List(ctx, "a/")
			require.NoError(t, err)
			require.Len(t, objs, 2)
			for _, o := range objs {
				require.True(t, strings.HasPrefix(o.Key, "a/a-"), o.Key)
				require.True(t, o.Modified.After(before), "%s: %s", o.Key, o.Modified)
				require.Equal(t, int64(3), o.Size)
			}
			require.NoError(t, store.Delete(ctx, "a/a-20260101T000000Z/1.log"))
			require.NoError(t, store.Delete(ctx, "a/a-20260101T000000Z/1.log"), "deleting again is no error")
			_, err = store.Get(ctx, "a/a-20260101T000000Z/1.log")
			require.ErrorIs(t, err, objstore.ErrNotFound)
			objs, err = store.List(ctx, "a/")
			require.NoError(t, err)
			require.Len(t, objs, 1)
			require.Error(t, store.Delete(ctx, "../x"))
		})
	}
	objs, err := other.List(t.Context(), "a/")
	require.NoError(t, err)
	require.Len(t, objs, 1, "another view's objects are untouched")
}
