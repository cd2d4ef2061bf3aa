//! The client's real address behind a reverse proxy. `X-Forwarded-For` is believed only when
//! the peer is a listed proxy, so that nobody can pick their own address (and escape the login
//! throttle) by sending the header themselves.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    network: IpAddr,
    prefix: u8,
}

impl Range {
    fn parse(text: &str) -> Option<Range> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Range {
            network: addr,
            prefix,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<Range>,
}

impl TrustedProxies {
    pub fn parse(entries: &[String]) -> anyhow::Result<TrustedProxies> {
        let mut ranges = Vec::new();
        for e in entries.iter().filter(|e| !e.trim().is_empty()) {
            ranges.push(Range::parse(e).ok_or_else(|| {
                anyhow::anyhow!(
                    "trusted_proxies 中的地址无法识别：{e}（应为 IP 地址或 CIDR，如 10.0.0.0/8） / \
                     unreadable trusted proxy address {e}"
                )
            })?);
        }
        Ok(TrustedProxies { ranges })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.ranges.iter().any(|r| r.contains(ip))
    }

    /// The client: walking `X-Forwarded-For` from the right (the entries our proxies added),
    /// the first address that is not one of our proxies. An untrusted peer is the client.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // An unreadable entry: stop at the last address we could trust.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// Replaces the connection's peer address with the client's, before anything reads it.
pub async fn real_client(
    State(state): State<AppState>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = state.proxies.client_ip(peer.ip(), &forwarded);
        if ip != peer.ip() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, peer.port())));
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_listed_proxies() {
        let p = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.168.1.5".into()]).unwrap();
        // A client sending the header itself is still itself.
        assert_eq!(
            p.client_ip(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Through our proxy: the address it saw.
        assert_eq!(
            p.client_ip(ip("10.1.2.3"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // A forged first entry is skipped: the rightmost untrusted hop is the client.
        assert_eq!(
            p.client_ip(ip("192.168.1.5"), &["1.1.1.1, 198.51.100.7, 10.9.9.9"]),
            ip("198.51.100.7")
        );
        // Nothing forwarded: the proxy itself.
        assert_eq!(p.client_ip(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        // IPv4-mapped IPv6 peers match IPv4 ranges.
        assert_eq!(
            p.client_ip(ip("::ffff:10.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
        let none = TrustedProxies::parse(&[]).unwrap();
        assert_eq!(
            none.client_ip(ip("10.1.2.3"), &["198.51.100.7"]),
            ip("10.1.2.3")
        );
    }
}
