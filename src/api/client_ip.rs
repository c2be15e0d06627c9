//! The client's IP address for logs and IP-scoped limits.
//!
//! At the edge, `cf-connecting-ip` is the address Cloudflare saw. When that
//! address is one of the deployment's own trusted proxies (a load balancer
//! in front of the gateway), the leftmost `x-forwarded-for` entry is the
//! real client. A header from anyone else is never trusted: it is free to forge.

use std::net::IpAddr;

/// Parses `TRUSTED_PROXIES`: comma-separated IPs or CIDRs.
pub fn parse_trusted(list: &str) -> Vec<(IpAddr, u8)> {
    list.split(',')
        .filter_map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return None;
            }
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
                None => {
                    let a = item.parse::<IpAddr>().ok()?;
                    (a, if a.is_ipv4() { 32 } else { 128 })
                }
            };
            Some((addr, bits))
        })
        .collect()
}

fn in_cidr(ip: IpAddr, (net, bits): (IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.min(32);
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.min(128);
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

pub fn client_ip(connecting_ip: Option<&str>, forwarded_for: Option<&str>, trusted: &[(IpAddr, u8)]) -> Option<String> {
    let direct = connecting_ip.map(str::trim).filter(|s| !s.is_empty())?;
    let direct_ip: Option<IpAddr> = direct.parse().ok();
    let from_trusted = direct_ip.is_some_and(|ip| trusted.iter().any(|&net| in_cidr(ip, net)));
    if from_trusted {
        if let Some(first) = forwarded_for.and_then(|v| v.split(',').next()).map(str::trim) {
            if first.parse::<IpAddr>().is_ok() {
                return Some(first.to_string());
            }
        }
    }
    Some(direct.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_peers_cannot_forge_their_address() {
        let trusted = parse_trusted("10.0.0.0/8");
        assert_eq!(client_ip(Some("203.0.113.9"), Some("1.2.3.4"), &trusted).as_deref(), Some("203.0.113.9"));
    }

    #[test]
    fn trusted_proxy_passes_the_leftmost_forwarded_address() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.1");
        assert_eq!(client_ip(Some("10.1.2.3"), Some("1.2.3.4, 10.1.2.3"), &trusted).as_deref(), Some("1.2.3.4"));
        assert_eq!(client_ip(Some("192.168.1.1"), Some("2001:db8::1"), &trusted).as_deref(), Some("2001:db8::1"));
        assert_eq!(client_ip(Some("192.168.1.2"), Some("1.2.3.4"), &trusted).as_deref(), Some("192.168.1.2"));
    }

    #[test]
    fn garbage_forwarded_values_are_ignored() {
        let trusted = parse_trusted("10.0.0.1");
        assert_eq!(client_ip(Some("10.0.0.1"), Some("not-an-ip"), &trusted).as_deref(), Some("10.0.0.1"));
        assert_eq!(client_ip(None, Some("1.2.3.4"), &trusted), None);
    }

    #[test]
    fn ipv6_cidrs() {
        let trusted = parse_trusted("2001:db8::/32,bogus,1.2.3.4/99");
        assert_eq!(trusted.len(), 2);
        assert_eq!(client_ip(Some("2001:db8:1::5"), Some("9.9.9.9"), &trusted).as_deref(), Some("9.9.9.9"));
    }
}
