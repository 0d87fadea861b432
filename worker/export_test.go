package worker

// SetScriptVerified sets the hook called once a script's bytes are
// verified, until the returned function resets it.
func SetScriptVerified(f func(path string)) (reset func()) {
	scriptVerified = f
	return func() { scriptVerified = nil }
}

// GroupCommitting reports whether the worker's events and claim writes go
// through its committers (decided once its stores are open).
func (w *Worker) GroupCommitting() bool { return w.claimWrites != w.claims }
