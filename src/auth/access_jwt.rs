//! Cloudflare Access single sign-on: the `Cf-Access-Jwt-Assertion` header
//! Access adds to every request it lets through. Parsing and every claim
//! check are here (pure); the RS256 signature is checked with WebCrypto at
//! the edge (`store::access_keys`) against the team's published keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

pub const HEADER: &str = "cf-access-jwt-assertion";
/// Clock skew tolerated on `exp` / `nbf`, in seconds.
const LEEWAY_S: u64 = 60;
/// Longer than any real assertion; refuses junk before any decoding.
const MAX_JWT_BYTES: usize = 16 * 1024;

/// The team's origin: `ACCESS_TEAM_DOMAIN` as `myteam.cloudflareaccess.com`
/// (https is implied) or a full origin such as `http://127.0.0.1:8788` for a
/// self-hosted issuer or a local test.
pub fn team_origin(team_domain: &str) -> String {
    let d = team_domain.trim().trim_end_matches('/');
    if d.contains("://") { d.to_string() } else { format!("https://{d}") }
}

/// Where the team publishes its signing keys (a JWKS).
pub fn certs_url(team_domain: &str) -> String {
    format!("{}/cdn-cgi/access/certs", team_origin(team_domain))
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
    #[serde(default)]
    email: Option<String>,
}

/// A parsed assertion whose signature is still to be checked.
#[derive(Debug)]
pub struct Assertion {
    pub kid: Option<String>,
    /// `base64url(header).base64url(payload)`: the signed bytes.
    pub signing_input: String,
    pub signature: Vec<u8>,
    claims: Claims,
}

pub fn parse(jwt: &str) -> Result<Assertion, &'static str> {
    if jwt.len() > MAX_JWT_BYTES {
        return Err("the assertion is too long");
    }
    let mut parts = jwt.trim().split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("the assertion is not a JWT");
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| "the assertion is not base64url");
    let header: Header = serde_json::from_slice(&decode(h)?).map_err(|_| "the assertion's header is not JSON")?;
    if header.alg != "RS256" {
        return Err("the assertion is not signed with RS256");
    }
    let claims: Claims = serde_json::from_slice(&decode(p)?).map_err(|_| "the assertion's claims are not JSON")?;
    Ok(Assertion { kid: header.kid, signing_input: format!("{h}.{p}"), signature: decode(s)?, claims })
}

impl Assertion {
    /// The signed-in e-mail, once audience, issuer and lifetime hold.
    pub fn check(&self, audience: &str, team_domain: &str, now_s: u64) -> Result<&str, &'static str> {
        let aud_ok = match &self.claims.aud {
            Value::String(a) => a == audience,
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !aud_ok {
            return Err("the assertion is for another application (aud)");
        }
        if self.claims.iss.as_deref() != Some(team_origin(team_domain).as_str()) {
            return Err("the assertion is from another issuer (iss)");
        }
        match self.claims.exp {
            Some(exp) if exp + LEEWAY_S as f64 > now_s as f64 => {}
            Some(_) => return Err("the assertion has expired (exp)"),
            None => return Err("the assertion has no expiry (exp)"),
        }
        if self.claims.nbf.is_some_and(|nbf| nbf > (now_s + LEEWAY_S) as f64) {
            return Err("the assertion is not valid yet (nbf)");
        }
        self.claims.email.as_deref().filter(|e| !e.is_empty()).ok_or("the assertion names no e-mail")
    }
}

/// The JWK for `kid` in a JWKS document (`{"keys":[…]}`), RSA keys only; with
/// no `kid`, the only key. Returned as JSON for WebCrypto's `importKey("jwk")`.
pub fn find_key(jwks: &Value, kid: Option<&str>) -> Option<Value> {
    let keys = jwks.get("keys")?.as_array()?;
    let rsa = |k: &&Value| k.get("kty").and_then(Value::as_str) == Some("RSA") && k.get("n").is_some() && k.get("e").is_some();
    let key = match kid {
        Some(kid) => keys.iter().filter(rsa).find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))?,
        None => {
            let mut it = keys.iter().filter(rsa);
            let only = it.next()?;
            if it.next().is_some() {
                return None;
            }
            only
        }
    };
    Some(serde_json::json!({ "kty": "RSA", "n": key["n"], "e": key["e"], "alg": "RS256", "ext": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(header: Value, claims: Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{}", enc(&header), enc(&claims), URL_SAFE_NO_PAD.encode(b"sig"))
    }

    fn claims(exp: u64) -> Value {
        json!({ "aud": ["aud-1"], "iss": "https://team.cloudflareaccess.com", "exp": exp, "email": "ada@example.com" })
    }

    #[test]
    fn a_good_assertion_yields_its_email() {
        let a = parse(&jwt(json!({ "alg": "RS256", "kid": "k1" }), claims(2_000))).unwrap();
        assert_eq!(a.kid.as_deref(), Some("k1"));
        assert_eq!(a.signature, b"sig");
        assert_eq!(a.check("aud-1", "team.cloudflareaccess.com", 1_000), Ok("ada@example.com"));
    }

    #[test]
    fn every_claim_is_checked() {
        let a = parse(&jwt(json!({ "alg": "RS256" }), claims(2_000))).unwrap();
        assert!(a.check("aud-2", "team.cloudflareaccess.com", 1_000).unwrap_err().contains("aud"));
        assert!(a.check("aud-1", "other.cloudflareaccess.com", 1_000).unwrap_err().contains("iss"));
        assert!(a.check("aud-1", "team.cloudflareaccess.com", 2_061).unwrap_err().contains("exp"));
        let no_exp = parse(&jwt(json!({ "alg": "RS256" }), json!({ "aud": "aud-1", "iss": "https://t.example" }))).unwrap();
        assert!(no_exp.check("aud-1", "t.example", 1).unwrap_err().contains("exp"));
        let early = parse(&jwt(json!({ "alg": "RS256" }), json!({ "aud": "aud-1", "iss": "https://t.example", "exp": 9e9, "nbf": 5_000, "email": "a@b.co" }))).unwrap();
        assert!(early.check("aud-1", "t.example", 1_000).unwrap_err().contains("nbf"));
    }

    #[test]
    fn other_algorithms_and_junk_are_refused() {
        assert!(parse(&jwt(json!({ "alg": "none" }), claims(2_000)))
            .unwrap_err()
            .contains("RS256"));
        assert!(parse(&jwt(json!({ "alg": "HS256" }), claims(2_000))).is_err());
        assert!(parse("a.b").is_err());
        assert!(parse("a.b.c.d").is_err());
        assert!(parse(&"x".repeat(20_000)).is_err());
    }

    #[test]
    fn keys_are_found_by_kid() {
        let jwks = json!({ "keys": [
            { "kid": "a", "kty": "RSA", "n": "na", "e": "AQAB" },
            { "kid": "b", "kty": "RSA", "n": "nb", "e": "AQAB" },
            { "kid": "c", "kty": "EC", "x": "1", "y": "2" },
        ]});
        assert_eq!(find_key(&jwks, Some("b")).unwrap()["n"], "nb");
        assert_eq!(find_key(&jwks, Some("c")), None);
        assert_eq!(find_key(&jwks, None), None, "two keys and no kid: ambiguous");
        assert_eq!(find_key(&json!({ "keys": [{ "kty": "RSA", "n": "n", "e": "e" }] }), None).unwrap()["e"], "e");
    }

    #[test]
    fn the_team_domain_may_be_an_origin() {
        assert_eq!(certs_url("team.cloudflareaccess.com"), "https://team.cloudflareaccess.com/cdn-cgi/access/certs");
        assert_eq!(team_origin("http://127.0.0.1:9/"), "http://127.0.0.1:9");
    }
}
