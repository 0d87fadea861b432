package worker

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// An http task must not become a way into the worker's own network (SSRF):
// a job author could otherwise read cloud metadata (169.254.169.254),
// local admin ports or internal services. The guard refuses every address
// that is not a public unicast address, unless the worker allows it
// (Config.HTTPAllow, --http-allow CIDR). It checks the address the dialer
// is about to connect to, after name resolution (so a name that resolves,
// or rebinds, to a private address is refused too), for every connection
// including those of redirects; redirects to an address literal are
// refused before dialing, with the same message.

// blockedNets are refused unless allowed, with the reason reported.
var blockedNets = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (cloud metadata lives there)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address (RFC 6890)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address (RFC 5737)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address (RFC 6666)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address (RFC 3849)"},
	{netip.MustParsePrefix("fc00::/7"), "a unique local address (ULA, RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// Prefixes of IPv6 addresses that embed an IPv4 address (NAT64, 6to4):
// the embedded address is checked as well.
var (
	nat64Prefix    = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local     = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFourRange = netip.MustParsePrefix("2002::/16")
)

// ErrHTTPBlocked means an http task tried to reach an address the worker
// refuses (see Config.HTTPAllow).
var ErrHTTPBlocked = errors.New("address refused")

// blockedError names the refused address and why it is refused.
type blockedError struct {
	addr   netip.Addr
	reason string
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: it is %s (a worker reaches such addresses only when started with --http-allow)", e.addr, e.reason)
}

func (e *blockedError) Is(target error) bool { return target == ErrHTTPBlocked }

// httpGuard decides which addresses http tasks may connect to.
type httpGuard struct {
	allow []netip.Prefix
}

// check returns a *blockedError if addr may not be reached.
func (g *httpGuard) check(addr netip.Addr) error {
	addr = addr.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if !addr.IsValid() {
		return &blockedError{addr: addr, reason: "not an IP address"}
	}
	for _, b := range blockedNets {
		if b.prefix.Contains(addr) {
			return &blockedError{addr: addr, reason: b.reason}
		}
	}
	if v4, ok := embeddedIPv4(addr); ok {
		if err := g.check(v4); err != nil {
			return &blockedError{addr: addr, reason: "an IPv6 address that embeds " + v4.String()}
		}
	}
	return nil
}

// embeddedIPv4 returns the IPv4 address inside a NAT64 or 6to4 address.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a), nat64Local.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFourRange.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// control is a net.Dialer Control function: it runs after name resolution,
// just before connecting, with the literal address.
func (g *httpGuard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &blockedError{reason: fmt.Sprintf("not an IP address and port (%q on %s)", address, network)}
	}
	return g.check(ap.Addr())
}

// checkHost refuses a host that is an address literal the guard refuses;
// names are checked when they are resolved and dialed.
func (g *httpGuard) checkHost(host string) error {
	addr, err := netip.ParseAddr(host)
	if err != nil {
		if ip := net.ParseIP(host); ip != nil { // forms netip rejects, e.g. "::ffff:127.0.0.1" variants
			addr, _ = netip.AddrFromSlice(ip)
		} else {
			return nil
		}
	}
	return g.check(addr)
}
