package schedule_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCronDescribe(t *testing.T) {
	t.Parallel()

	tests := []struct {
		spec string
		want string
	}{
		{spec: "30 2 * * *", want: "at 02:30 every day"},
		{spec: "*/15 * * * *", want: "every 15 minutes"},
		{spec: "0 9 * * 1-5", want: "at 09:00 on Monday through Friday"},
		{spec: "0 9 * * MON-FRI", want: "at 09:00 on Monday through Friday"},
		{spec: "* * * * * *", want: "every second"},
		{spec: "* * * * *", want: "every minute"},
		{spec: "*/10 * * * * *", want: "every 10 seconds"},
		{spec: "30 * * * * *", want: "every minute at second 30"},
		{spec: "0 * * * *", want: "every hour"},
		{spec: "@hourly", want: "every hour"},
		{spec: "5 * * * *", want: "every hour at minute 5"},
		{spec: "0 */2 * * *", want: "every 2 hours"},
		{spec: "30 */6 * * *", want: "every 6 hours at minute 30"},
		{spec: "@daily", want: "at 00:00 every day"},
		{spec: "@midnight", want: "at 00:00 every day"},
		{spec: "@weekly", want: "at 00:00 on Sunday"},
		{spec: "@monthly", want: "at 00:00 on day 1 of every month"},
		{spec: "@yearly", want: "at 00:00 on January 1"},
		{spec: "@annually", want: "at 00:00 on January 1"},
		{spec: "15 30 2 * * *", want: "at 02:30:15 every day"},
		{spec: "0 9,17 * * *", want: "at 09:00 and 17:00 every day"},
		{spec: "0 9 * * 6,0", want: "at 09:00 on Sunday and Saturday"},
		{spec: "0 9 * * 1,3,5", want: "at 09:00 on Monday, Wednesday and Friday"},
		{spec: "0 0 1,15 * *", want: "at 00:00 on days 1 and 15 of every month"},
		{spec: "0 0 1-7 * *", want: "at 00:00 on days 1 through 7 of every month"},
		{spec: "0 0 * 1,7 *", want: "at 00:00 every day in January and July"},
		{spec: "0 0 1 JAN,JUL *", want: "at 00:00 on day 1 of January and July"},
		{spec: "0 12 25 12 *", want: "at 12:00 on December 25"},
		{spec: "*/5 * * 12 *", want: "every 5 minutes in December"},
		{spec: "0 0 13 * FRI", want: "at 00:00 on day 13 of every month and on every Friday"},
		{spec: "0 0 13 * ?", want: "at 00:00 on day 13 of every month"},
		{spec: "0 0 1-31 * 1", want: "at 00:00 every day"}, // OR with every day of the month
		{spec: "*/15 9-17 * * 1-5", want: "every 15 minutes from 09:00 to 17:45 on Monday through Friday"},
		{spec: "* 9-17 * * *", want: "every minute from 09:00 to 17:59"},
		{spec: "0 9-17 * * *", want: "every hour from 09:00 to 17:00"},
		// No phrase fits: the spec itself.
		{spec: "*/7 * * * *", want: "*/7 * * * *"},
		{spec: "0 0 */2 * *", want: "0 0 */2 * *"},
		{spec: "1,2,3,5,8,13 9 * * *", want: "1,2,3,5,8,13 9 * * *"},
		{spec: "0 0 13 JAN FRI", want: "0 0 13 JAN FRI"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, parse(t, tt.spec, "UTC").Describe())
		})
	}
}
