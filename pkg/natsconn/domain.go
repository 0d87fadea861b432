package natsconn

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A role that connects to a leaf node whose JetStream lives in the hub (or
// in another domain) reaches it through the domain's API prefix,
// $JS.<domain>.API, as `nats --js-domain` does. The domain is a setting of
// the JetStream context, not of the connection: every role builds its
// JetStream context with JetStream(nc, domain).

// ValidateJSDomain refuses a domain that cannot be a subject token: empty
// is allowed (no domain).
func ValidateJSDomain(d string) error {
	if d == "" {
		return nil
	}
	if strings.ContainsAny(d, ".*> \t\r\n") {
		return fmt.Errorf("--js-domain: %q is not a JetStream domain (one subject token: no '.', '*', '>' or spaces)", d)
	}
	return nil
}

// JetStream returns the JetStream context of nc in domain (empty: the
// JetStream of the account the connection is in).
func JetStream(nc *nats.Conn, domain string) (jetstream.JetStream, error) {
	if err := ValidateJSDomain(domain); err != nil {
		return nil, err
	}
	if domain == "" {
		return jetstream.New(nc)
	}
	return jetstream.NewWithDomain(nc, domain)
}

// APIPrefix is the API prefix of domain's JetStream, "$JS.<domain>.API.",
// or "" without a domain. A write to a bucket's subject from another
// domain goes through it, as the client's key-value writes do.
func APIPrefix(domain string) string {
	if domain == "" {
		return ""
	}
	return "$JS." + domain + ".API."
}
