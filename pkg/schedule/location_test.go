package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestLoadLocation(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		zone    string
		want    string // Location.String()
		errText string // substring; empty means success
	}{
		{name: "EmptyIsUTC", zone: "", want: "UTC"},
		{name: "UTC", zone: "UTC", want: "UTC"},
		{name: "Berlin", zone: "Europe/Berlin", want: "Europe/Berlin"},
		{name: "LordHowe", zone: "Australia/Lord_Howe", want: "Australia/Lord_Howe"},
		{name: "Local", zone: "Local", errText: `invalid time zone "Local": the machine's local zone`},
		{name: "Unknown", zone: "Mars/Olympus_Mons", errText: `invalid time zone "Mars/Olympus_Mons": not in the IANA time zone database`},
		{name: "LowerCase", zone: "europe/berlin", errText: "not in the IANA time zone database"},
		{name: "PathTraversal", zone: "../../etc/passwd", errText: "not in the IANA time zone database"},
		{name: "Absolute", zone: "/etc/localtime", errText: "not in the IANA time zone database"},
		{name: "Whitespace", zone: " UTC", errText: "not in the IANA time zone database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := schedule.LoadLocation(tt.zone)
			if tt.errText == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, l.String())
				require.NotEqual(t, time.Local, l)
				return
			}
			require.ErrorIs(t, err, schedule.ErrInvalidZone)
			require.ErrorContains(t, err, tt.errText)
			require.Nil(t, l)
		})
	}
}
