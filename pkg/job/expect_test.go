package job

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestExpectValidationNamesTheField(t *testing.T) {
	t.Parallel()
	for field, e := range map[string]Expect{
		"expect.start_within":         {StartWithin: Duration(-time.Second)},
		"expect.max_runtime":          {MaxRuntime: Duration(-time.Second)},
		"expect.min_runtime":          {MinRuntime: Duration(-time.Second)},
		"expect.alert_after_failures": {AlertAfterFailures: -1},
	} {
		s := validSpec()
		s.Expect = e
		err := s.Validate()
		require.ErrorIs(t, err, ErrInvalid, field)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), field)
		require.Equal(t, field, fe.Field)
	}
	s := validSpec()
	s.Expect = Expect{MinRuntime: Duration(time.Minute), MaxRuntime: Duration(time.Second)}
	var fe *FieldError
	require.ErrorAs(t, s.Validate(), &fe)
	require.Equal(t, "expect.min_runtime", fe.Field)

	s.Expect = Expect{StartWithin: Duration(time.Second), MinRuntime: Duration(time.Second), MaxRuntime: Duration(time.Minute), AlertAfterFailures: 3}
	require.NoError(t, s.Validate())
}

func TestExpectDefaultsAndWireForm(t *testing.T) {
	t.Parallel()
	var zero Expect
	require.Equal(t, time.Minute, zero.Grace())
	require.Equal(t, 1, zero.FailureThreshold())
	e := Expect{StartWithin: Duration(5 * time.Second), AlertAfterFailures: 3}
	require.Equal(t, 5*time.Second, e.Grace())
	require.Equal(t, 3, e.FailureThreshold())

	s := validSpec()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	require.NotContains(t, string(b), "expect", "an unset expectation is left out")
	s.Expect = Expect{MaxRuntime: Duration(90 * time.Second), AlertAfterFailures: 2}
	b, err = json.Marshal(s)
	require.NoError(t, err)
	require.Contains(t, string(b), `"expect":{"max_runtime":"1m30s","alert_after_failures":2}`)

	var y Spec
	require.NoError(t, yaml.Unmarshal([]byte("expect:\n  start_within: 30s\n  min_runtime: 2s\n  alert_after_failures: 3\n"), &y))
	require.Equal(t, Expect{StartWithin: Duration(30 * time.Second), MinRuntime: Duration(2 * time.Second), AlertAfterFailures: 3}, y.Expect)
}
