package worker

// Slots returns how many executions the worker runs at once (its
// concurrency, after defaults).
func (w *Worker) Slots() int { return cap(w.slots) }
