package web

import "net/http"

// user names the web user of a request that passed the authenticator, for
// the job history: the basic-auth user, "token" for a bearer token or a
// session signed in with it, or "" when no authentication is configured
// (the history then names the web role's NATS user).
func (a *authenticator) user(r *http.Request) string {
	if !a.enabled() {
		return ""
	}
	if a.basic != nil {
		if user, pass, found := r.BasicAuth(); found && a.basic.Verify(user, pass) {
			return user
		}
	}
	return "token"
}
