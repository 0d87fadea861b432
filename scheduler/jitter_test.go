package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJitterIsBoundedAndStable(t *testing.T) {
	t.Parallel()
	require.Zero(t, jitterOf("any", 0))
	distinct := map[time.Duration]bool{}
	for i := range 1000 {
		name := fmt.Sprintf("job-%d", i)
		j := jitterOf(name, 30*time.Second)
		require.GreaterOrEqual(t, j, time.Duration(0))
		require.Less(t, j, 30*time.Second)
		require.Equal(t, j, jitterOf(name, 30*time.Second), "the same every time")
		distinct[j] = true
	}
	require.Greater(t, len(distinct), 900, "jobs are spread")
}
