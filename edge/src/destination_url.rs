//! Which destination URLs the Worker may send a lead to: `https` to a public
//! host only, so a form spec cannot point the Worker at internal services
//! (loopback, private, link-local, unique-local IPv6, `localhost`, `.local`,
//! `.internal`, numeric hosts written in other forms than a dotted quad).
//!
//! The only exception is a URL produced by one of the deployment's
//! `DESTINATION_URL_REWRITES` (the owner's own configuration, e.g. the local
//! test servers): the caller does not check those. Host names are checked as
//! written; the Workers runtime has no DNS lookup, so a public name that
//! resolves to a private address is not caught here (Cloudflare's `fetch`
//! does not reach private networks from the edge).
//!
//! Pure: std only, no I/O, so `build.rs` can use it too.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a destination URL is refused; each has a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not `https://`.
    NotHttps,
    /// No host, or a host that cannot be read.
    Malformed,
    /// `user:password@` in the URL.
    Userinfo,
    /// `localhost`, `*.localhost`, `*.local`, `*.internal`.
    LocalName,
    /// A loopback, private, link-local, unique-local or otherwise
    /// non-public address (or a number that a URL parser reads as one).
    PrivateAddress,
}

impl UrlRefusal {
    /// The stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            UrlRefusal::NotHttps => "destination.url_not_https",
            UrlRefusal::Malformed => "destination.url_malformed",
            UrlRefusal::Userinfo => "destination.url_userinfo",
            UrlRefusal::LocalName => "destination.url_local_name",
            UrlRefusal::PrivateAddress => "destination.url_private_address",
        }
    }
}

impl std::fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self {
            UrlRefusal::NotHttps => "not https",
            UrlRefusal::Malformed => "no readable host",
            UrlRefusal::Userinfo => "credentials in the URL",
            UrlRefusal::LocalName => "a local host name",
            UrlRefusal::PrivateAddress => "a private or local address",
        };
        write!(f, "destination URL refused: {why} ({})", self.code())
    }
}

/// Checks that `url` is `https` to a public host.
pub fn check(url: &str) -> Result<(), UrlRefusal> {
    let scheme_end = url.find("://").ok_or(UrlRefusal::Malformed)?;
    if !url[..scheme_end].eq_ignore_ascii_case("https") {
        return Err(UrlRefusal::NotHttps);
    }
    let rest = &url[scheme_end + 3..];
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(UrlRefusal::Userinfo);
    }
    check_host(&host_of(authority)?)
}

/// Whether `url` names a loopback host (allowed in a spec at build time,
/// since only a deployment's rewrites can make it reachable; refused at
/// delivery time unless a rewrite produced it).
pub fn is_loopback(url: &str) -> bool {
    let Some(scheme_end) = url.find("://") else {
        return false;
    };
    let authority = url[scheme_end + 3..]
        .split(['/', '?', '#', '\\'])
        .next()
        .unwrap_or_default();
    match host_of(authority) {
        Ok(host) if host == "localhost" => true,
        Ok(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        Err(_) => false,
    }
}

/// The lower-cased host of an authority (`host[:port]`, `[v6][:port]`),
/// without a trailing dot.
fn host_of(authority: &str) -> Result<String, UrlRefusal> {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']').ok_or(UrlRefusal::Malformed)?;
        format!("[{}]", &v6[..end])
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _port)| host)
            .to_owned()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.contains('%') {
        return Err(UrlRefusal::Malformed);
    }
    Ok(host)
}

fn check_host(host: &str) -> Result<(), UrlRefusal> {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ip: Ipv6Addr = v6.parse().map_err(|_| UrlRefusal::Malformed)?;
        return if public_v6(ip) {
            Ok(())
        } else {
            Err(UrlRefusal::PrivateAddress)
        };
    }
    if host == "localhost"
        || [".localhost", ".local", ".internal", ".home.arpa"]
            .iter()
            .any(|suffix| host.ends_with(suffix))
    {
        return Err(UrlRefusal::LocalName);
    }
    // A URL parser reads a host whose last label is a number (decimal, octal
    // or hex) as an IPv4 address: only a canonical public dotted quad passes.
    let last = host.rsplit('.').next().unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || (last.starts_with("0x") && last[2..].bytes().all(|b| b.is_ascii_hexdigit())));
    if numeric {
        let ip: Ipv4Addr = host.parse().map_err(|_| UrlRefusal::PrivateAddress)?;
        if ip.to_string() != host || !public_v4(ip) {
            return Err(UrlRefusal::PrivateAddress);
        }
    }
    Ok(())
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments and benchmarking, 192.0.0.0/24, 198.18.0.0/15.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10.
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
        // IPv4-compatible (::a.b.c.d, deprecated) and documentation 2001:db8::/32.
        || segments[..6] == [0; 6]
        || (segments[0] == 0x2001 && segments[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_urls_table() {
        use UrlRefusal::*;
        let cases: &[(&str, Result<(), UrlRefusal>)] = &[
            ("https://hooks.example.com/leads", Ok(())),
            ("HTTPS://api.hsforms.com/submissions/v3", Ok(())),
            ("https://webto.salesforce.com:443/servlet", Ok(())),
            ("https://203.0.113.7/x", Err(PrivateAddress)),
            ("https://8.8.8.8/x", Ok(())),
            ("https://[2606:4700:4700::1111]/x", Ok(())),
            ("http://hooks.example.com/leads", Err(NotHttps)),
            ("ftp://hooks.example.com/", Err(NotHttps)),
            ("hooks.example.com/leads", Err(Malformed)),
            ("https:///path", Err(Malformed)),
            ("https://user:pw@hooks.example.com/", Err(Userinfo)),
            ("https://localhost/", Err(LocalName)),
            ("https://LOCALHOST./", Err(LocalName)),
            ("https://api.localhost/", Err(LocalName)),
            ("https://printer.local/", Err(LocalName)),
            ("https://metadata.google.internal/", Err(LocalName)),
            ("https://127.0.0.1/", Err(PrivateAddress)),
            ("https://127.1/", Err(PrivateAddress)),
            ("https://2130706433/", Err(PrivateAddress)),
            ("https://0x7f000001/", Err(PrivateAddress)),
            ("https://0177.0.0.1/", Err(PrivateAddress)),
            ("https://10.1.2.3:8443/", Err(PrivateAddress)),
            ("https://172.16.0.1/", Err(PrivateAddress)),
            ("https://192.168.1.1/", Err(PrivateAddress)),
            (
                "https://169.254.169.254/latest/meta-data",
                Err(PrivateAddress),
            ),
            ("https://100.64.0.1/", Err(PrivateAddress)),
            ("https://0.0.0.0/", Err(PrivateAddress)),
            ("https://[::1]/", Err(PrivateAddress)),
            ("https://[::]/", Err(PrivateAddress)),
            ("https://[fe80::1%25eth0]/", Err(Malformed)),
            ("https://[fe80::1]/", Err(PrivateAddress)),
            ("https://[fd00::1]:8080/", Err(PrivateAddress)),
            ("https://[::ffff:127.0.0.1]/", Err(PrivateAddress)),
            ("https://[::ffff:8.8.8.8]/", Ok(())),
            ("https://[64:ff9b::a00:1]/", Err(PrivateAddress)),
            ("https://[::1/", Err(Malformed)),
            ("https://hooks.example.com\\@127.0.0.1/", Ok(())),
        ];
        for (url, expected) in cases {
            assert_eq!(check(url), *expected, "{url}");
        }
        assert_eq!(
            UrlRefusal::PrivateAddress.to_string(),
            "destination URL refused: a private or local address (destination.url_private_address)"
        );
    }

    #[test]
    fn loopback_urls() {
        for (url, loopback) in [
            ("http://127.0.0.1:9/hooks", true),
            ("http://localhost:8789/", true),
            ("http://[::1]:9/", true),
            ("https://hooks.example.com/", false),
            ("http://10.0.0.1/", false),
            ("nonsense", false),
        ] {
            assert_eq!(is_loopback(url), loopback, "{url}");
        }
    }
}
