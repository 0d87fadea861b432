package job

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// decodeDurationSlowly is what Duration.UnmarshalJSON did before its fast
// path for plain strings: json.Unmarshal of the string, then ParseDuration.
func decodeDurationSlowly(b []byte) (Duration, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, err
	}
	v, err := ParseDuration(s)
	return Duration(v), err
}

func TestDurationFastPathAgrees(t *testing.T) {
	t.Parallel()
	for _, lit := range []string{
		`"10s"`, `"5m"`, `"1h30m"`, `"7d"`, `"1d2h"`, `" 90s "`, `""`, `"5x"`, `"-3s"`, `"213504d"`,
		`"1.5s"`, `"\u0031s"`, `"\t2s"`, `"2µs"`, `"2\u00b5s"`, `"\"1s"`, `"1s\\"`,
	} {
		var got Duration
		gotErr := got.UnmarshalJSON([]byte(lit))
		want, wantErr := decodeDurationSlowly([]byte(lit))
		if wantErr != nil {
			require.Error(t, gotErr, lit)
			continue
		}
		require.NoError(t, gotErr, lit)
		require.Equal(t, want, got, lit)
	}
}

func FuzzDurationFastPathAgrees(f *testing.F) {
	for _, s := range []string{"10s", "7d", "1h30m", `a"b`, `\u0031s`, "2µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit, _ := json.Marshal(s)
		var got Duration
		gotErr := got.UnmarshalJSON(lit)
		want, wantErr := decodeDurationSlowly(lit)
		if (gotErr == nil) != (wantErr == nil) || got != want && wantErr == nil {
			t.Fatalf("%s: got %v, %v; want %v, %v", lit, got, gotErr, want, wantErr)
		}
	})
}

func TestDurationEncodesAsItsString(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, time.Nanosecond, 1500 * time.Microsecond, 90 * time.Second, 5 * time.Minute, 26*time.Hour + time.Second, -3 * time.Second, math.MaxInt64} {
		got, err := json.Marshal(struct {
			D Duration `json:"d"`
			P *Duration
		}{D: Duration(d), P: (*Duration)(&d)})
		require.NoError(t, err)
		s, err := json.Marshal(Duration(d).String())
		require.NoError(t, err)
		require.Equal(t, `{"d":`+string(s)+`,"P":`+string(s)+`}`, string(got))
		var back struct{ D Duration }
		require.NoError(t, json.Unmarshal([]byte(`{"D":`+string(s)+`}`), &back))
		require.Equal(t, Duration(d), back.D)
	}
}
