// Package hostcheck defends servers that listen on loopback against DNS
// rebinding.
//
// A web page on evil.example can make its own name resolve to 127.0.0.1
// after the page has loaded. The browser then sends the page's requests to
// a local server as same-origin requests: Host is evil.example:PORT, and
// Origin, when there is one, matches it. A local server that answers such
// requests lets any web page use it, and whatever credentials it adds.
// The defence is to answer only requests whose Host header names the local
// machine: a rebinding page cannot choose the name the browser puts in
// Host, since that name is the page's own.
//
// A Checker accepts loopback hosts (see [Loopback]) and the names it was
// given, and refuses everything else, including a missing Host:
//
//	hc, err := hostcheck.New(opts.AllowedHosts) // nil: loopback names only
//	…
//	if err := hc.Check(r.Host); err != nil {
//		http.Error(w, err.Error(), http.StatusForbidden)
//		return
//	}
//
// The port in Host is not looked at: a rebinding page uses the server's own
// port.
package hostcheck

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Loopback reports whether host, a Host header value with or without a
// port, names the loopback interface: "localhost" and names under
// ".localhost" (RFC 6761 reserves them for loopback, and browsers resolve
// them so without asking DNS), 127.0.0.0/8, ::1, and IPv4 loopback written
// as IPv6 (::ffff:127.0.0.1). A trailing dot and letter case do not matter.
func Loopback(host string) bool {
	name := hostname(host)
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(name)
	return err == nil && ip.Unmap().IsLoopback()
}

// hostname is the host of a Host header value, lower case, without port,
// brackets or a trailing dot.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// Checker accepts Host headers that name the loopback interface or one of
// the names it was made with. A nil or zero Checker accepts loopback only. A
// Checker never changes, so goroutines may share it.
type Checker struct {
	any      bool
	names    map[string]bool
	suffixes []string // ".example.com" for "*.example.com"
}

// New returns a Checker that accepts, besides loopback hosts, each of
// allowed: a host name or IP address ("rec.internal", "192.168.1.5",
// "::1"), or "*.example.com" for every name under example.com, or "*" for
// any host at all (which turns the defence off). Ports are not given:
// "host:8081" is an error.
func New(allowed []string) (*Checker, error) {
	c := &Checker{names: map[string]bool{}}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "" || a == ".":
			return nil, errors.New("allowed host: empty name")
		case a == "*":
			c.any = true
		case strings.HasPrefix(a, "*."):
			domain := strings.TrimSuffix(a[2:], ".")
			if domain == "" || strings.ContainsAny(domain, "*:/[] ") {
				return nil, fmt.Errorf("allowed host %q: want *.domain", a)
			}
			c.suffixes = append(c.suffixes, "."+domain)
		default:
			a = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(a, "."), "["), "]")
			if _, err := netip.ParseAddr(a); err != nil && strings.ContainsAny(a, "*:/[] ") {
				return nil, fmt.Errorf("allowed host %q: want a host name or IP address without a port", a)
			}
			c.names[a] = true
		}
	}
	return c, nil
}

// Allowed reports whether host, a Host header value, is accepted.
func (c *Checker) Allowed(host string) bool {
	if host == "" {
		return false
	}
	if Loopback(host) {
		return true
	}
	if c == nil {
		return false
	}
	if c.any {
		return true
	}
	name := hostname(host)
	if c.names[name] {
		return true
	}
	if ip, err := netip.ParseAddr(name); err == nil && c.names[ip.Unmap().String()] {
		return true
	}
	for _, s := range c.suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// Check returns nil for an accepted host and otherwise an error that names
// it, quoted and cut to 100 bytes: it comes from the request.
func (c *Checker) Check(host string) error {
	if c.Allowed(host) {
		return nil
	}
	if host == "" {
		return errors.New("the request has no Host header")
	}
	q := strconv.Quote(host)
	if len(q) > 100 {
		q = q[:100] + "…"
	}
	return fmt.Errorf("the Host header %s names neither a loopback address nor an allowed host (a web page may be using DNS rebinding)", q)
}
