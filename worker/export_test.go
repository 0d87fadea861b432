package worker

// SetScriptVerified sets the hook called once a script's bytes are
// verified, until the returned function resets it.
func SetScriptVerified(f func(path string)) (reset func()) {
	scriptVerified = f
	return func() { scriptVerified = nil }
}
