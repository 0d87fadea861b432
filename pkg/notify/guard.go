package notify

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// A webhook is a request the scheduler makes, from the scheduler's network,
// to a URL whoever may call the API chose. Internal webhooks (a chat server
// or an incident tool inside the network) are legitimate, so private
// addresses are allowed; link-local addresses are not: cloud metadata
// services live there (169.254.169.254, fd00:ec2::254), and no webhook
// does. The check is on the address dialed, after name resolution, so a
// name that resolves there is refused too. The answer's body is never
// shown, only its status.

var refusedNets = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("ff00::/8"),
}

// ErrRefusedAddress means a webhook resolved to an address sinks may not
// reach (link-local, where cloud metadata lives; unspecified; multicast).
var ErrRefusedAddress = errors.New("address refused for webhooks")

// checkDial is a net.Dialer's Control: it refuses the addresses above.
func checkDial(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	for _, p := range refusedNets {
		if p.Contains(ip) {
			return fmt.Errorf("%w: %s is link-local, unspecified or multicast (cloud metadata lives at 169.254.169.254)", ErrRefusedAddress, ip)
		}
	}
	return nil
}
