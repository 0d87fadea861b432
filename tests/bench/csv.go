package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"time"
)

// appendCSV appends one row per slot to file (creating it with a header):
// phase, execution, slot, stored, woke, and the two latenesses in ms.
func appendCSV(file, phase string, rows []stored, woke map[string]time.Time) (err error) {
	_, statErr := os.Stat(file)
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("-csv: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("-csv: %w", cerr)
		}
	}()
	w := csv.NewWriter(f)
	if os.IsNotExist(statErr) {
		_ = w.Write([]string{"phase", "execution_id", "slot", "stored", "woke", "stored_late_ms", "woke_late_ms"})
	}
	msf := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
	for _, r := range rows {
		wk, wl := "", ""
		if t, ok := woke[r.ID]; ok {
			wk, wl = t.Format(time.RFC3339Nano), msf(t.Sub(r.ScheduledAt))
		}
		_ = w.Write([]string{phase, r.ID, r.ScheduledAt.Format(time.RFC3339Nano), r.Stored.Format(time.RFC3339Nano), wk, msf(r.Stored.Sub(r.ScheduledAt)), wl})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("-csv: %w", err)
	}
	return nil
}
