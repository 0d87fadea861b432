package streamio

import (
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultAPIPrefix is where the JetStream API of the connection's own
// account answers.
const DefaultAPIPrefix = "$JS.API"

// APIPrefix is the JetStream API prefix of js, without the trailing dot:
// "$JS.<domain>.API" for a JetStream context in a domain (a role behind a
// leaf node), its custom prefix, or DefaultAPIPrefix. Raw API requests
// (DirectRequest.API) use it to reach the same JetStream as js.
func APIPrefix(js jetstream.JetStream) string {
	if js == nil {
		return DefaultAPIPrefix
	}
	o := js.Options()
	switch {
	case o.Domain != "":
		return "$JS." + o.Domain + ".API"
	case o.APIPrefix != "":
		return strings.TrimSuffix(o.APIPrefix, ".")
	}
	return DefaultAPIPrefix
}

func apiOrDefault(api string) string {
	if api == "" {
		return DefaultAPIPrefix
	}
	return api
}
