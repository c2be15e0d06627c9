//! Stage 0: what the client's headers say about the request (session,
//! properties, user, country, referer, IP). Pure over a header list.

use super::context::ClientMeta;
use crate::api::client_ip;
use std::net::IpAddr;

const MAX_PROPERTIES: usize = 32;
const MAX_VALUE_CHARS: usize = 256;

fn clip(v: &str) -> String {
    v.trim().chars().take(MAX_VALUE_CHARS).collect()
}

impl ClientMeta {
    /// `headers` are (lower-case name, value) pairs.
    pub fn from_headers(headers: &[(String, String)], trusted: &[(IpAddr, u8)]) -> ClientMeta {
        let get = |name: &str| {
            headers.iter().find(|(k, _)| k == name).map(|(_, v)| clip(v)).filter(|v| !v.is_empty())
        };
        let properties = headers
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("alephant-property-").map(|p| (p.to_string(), clip(v))))
            .filter(|(k, _)| !k.is_empty())
            .take(MAX_PROPERTIES)
            .collect();
        ClientMeta {
            session_id: get("alephant-session-id"),
            session_path: get("alephant-session-path"),
            session_name: get("alephant-session-name"),
            properties,
            user_id: get("alephant-user-id"),
            country: get("cf-ipcountry").or_else(|| get("x-alephant-country-code")),
            referer: get("referer"),
            client_ip: client_ip::client_ip(
                get("cf-connecting-ip").as_deref(),
                get("x-forwarded-for").as_deref(),
                trusted,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_gateway_headers() {
        let m = ClientMeta::from_headers(
            &h(&[
                ("alephant-session-id", "s1"),
                ("alephant-session-path", "/plan/search"),
                ("alephant-property-team", "growth"),
                ("alephant-property-env", "prod"),
                ("x-alephant-country-code", "DE"),
                ("referer", "https://app.example"),
                ("cf-connecting-ip", "203.0.113.1"),
            ]),
            &[],
        );
        assert_eq!(m.session_id.as_deref(), Some("s1"));
        assert_eq!(m.session_path.as_deref(), Some("/plan/search"));
        assert_eq!(m.properties, vec![("team".into(), "growth".into()), ("env".into(), "prod".into())]);
        assert_eq!(m.country.as_deref(), Some("DE"));
        assert_eq!(m.client_ip.as_deref(), Some("203.0.113.1"));
    }

    #[test]
    fn cloudflare_country_wins_and_values_are_bounded() {
        let long = "x".repeat(1000);
        let m = ClientMeta::from_headers(
            &h(&[("cf-ipcountry", "FR"), ("x-alephant-country-code", "DE"), ("alephant-session-name", &long)]),
            &[],
        );
        assert_eq!(m.country.as_deref(), Some("FR"));
        assert_eq!(m.session_name.unwrap().len(), 256);
    }
}
