//! AWS Signature Version 4, pure: canonical request, string to sign,
//! signing key, `Authorization` header. No clock: the caller passes the time.
//!
//! The canonical URI follows the rule for every service except S3: the path
//! *as sent* (its segments already percent-encoded once) is encoded a second
//! time. A Bedrock model id such as `anthropic.claude-3-haiku-20240307-v1:0`
//! travels as `…-v1%3A0` and is signed as `…-v1%253A0`; signing the
//! once-encoded path is the classic cause of `SignatureDoesNotMatch`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// An AWS access key, with the session token of temporary credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// What a signature is scoped to.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDD'T'HHMMSS'Z'`
    pub amz_date: &'a str,
}

impl Scope<'_> {
    fn date(&self) -> &str {
        self.amz_date.get(..8).unwrap_or(self.amz_date)
    }

    /// `<date>/<region>/<service>/aws4_request`
    pub fn credential_scope(&self) -> String {
        format!("{}/{}/{}/aws4_request", self.date(), self.region, self.service)
    }
}

/// The parts of an HTTP request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct Signable<'a> {
    pub method: &'a str,
    /// The path as it goes on the wire (already percent-encoded once).
    pub path: &'a str,
    /// The query string without `?` (empty when there is none).
    pub query: &'a str,
    /// Every header to sign, `host` included; names in any case.
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the body.
    pub payload_hash: &'a str,
}

/// The computed signature and the `Authorization` header carrying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    pub authorization: String,
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; the error branch cannot happen.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/`
/// when `keep_slash`), upper-case hex, as SigV4 requires.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

use crate::util::url_path::percent_decode;

/// The canonical URI of a non-S3 service: the wire path encoded again.
pub fn canonical_uri(wire_path: &str) -> String {
    if wire_path.is_empty() {
        return "/".to_string();
    }
    uri_encode(wire_path, true)
}

/// Parameters decoded, encoded strictly, sorted by name then value.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Lower-cased names, sorted; values trimmed with inner runs of spaces
/// collapsed; repeated names joined with commas. Returns the canonical
/// header block and the signed-headers list.
fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut list: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match list.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => list.push((name, value)),
        }
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let block: String = list.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed = list.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
    (block, signed)
}

/// Signs a request: the canonical request, the string to sign, the
/// signature and the `Authorization` header value.
pub fn sign(req: &Signable, creds: &Credentials, scope: &Scope) -> Signature {
    let (header_block, signed_headers) = canonical_headers(req.headers);
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        canonical_query(req.query),
        header_block,
        signed_headers,
        req.payload_hash
    );
    let credential_scope = scope.credential_scope();
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{credential_scope}\n{}",
        scope.amz_date,
        sha256_hex(canonical_request.as_bytes())
    );
    let key = signing_key(creds.secret_access_key, scope.date(), scope.region, scope.service);
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    );
    Signature { canonical_request, string_to_sign, signature, authorization }
}

/// Milliseconds since the Unix epoch → `YYYYMMDD'T'HHMMSS'Z'`.
pub fn amz_date(now_ms: u64) -> String {
    let secs = now_ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = crate::util::time::civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published AWS SigV4 test suite's credentials and scope.
    const CREDS: Credentials = Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
    };
    const SCOPE: Scope = Scope { region: "us-east-1", service: "service", amz_date: "20150830T123600Z" };
    const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn suite(method: &str, query: &str, extra: &[(&str, &str)]) -> Signature {
        let mut h = headers(&[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]);
        h.extend(headers(extra));
        sign(&Signable { method, path: "/", query, headers: &h, payload_hash: EMPTY_HASH }, &CREDS, &SCOPE)
    }

    #[test]
    fn aws_suite_get_vanilla() {
        let s = suite("GET", "", &[]);
        assert_eq!(s.canonical_request, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(
            s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn aws_suite_post_vanilla_and_query() {
        assert_eq!(suite("POST", "", &[]).signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
        let q = suite("POST", "Param1=value1", &[]);
        assert!(q.canonical_request.starts_with("POST\n/\nParam1=value1\n"));
        assert_eq!(q.signature, "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
    }

    #[test]
    fn aws_suite_header_sorting_and_case() {
        assert_eq!(
            suite("POST", "", &[("My-Header1", "value1")]).signature,
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"
        );
        assert_eq!(
            suite("POST", "", &[("My-Header1", "VALUE1")]).signature,
            "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"
        );
    }

    #[test]
    fn aws_suite_session_token() {
        let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
        let s = suite("POST", "", &[("X-Amz-Security-Token", token)]);
        assert!(s.authorization.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"));
        assert_eq!(s.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    }

    #[test]
    fn documented_iam_example() {
        // The IAM ListUsers example of the AWS General Reference (2011-09-09).
        let body = b"Action=ListUsers&Version=2010-05-08";
        let h = headers(&[
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20110909T233600Z"),
        ]);
        let hash = sha256_hex(body);
        assert_eq!(hash, "b6359072c78d70ebee1e81adcbab4f01bf2c23245fa365ef83fe8f1f955085e2");
        let scope = Scope { region: "us-east-1", service: "iam", amz_date: "20110909T233600Z" };
        let s = sign(&Signable { method: "POST", path: "/", query: "", headers: &h, payload_hash: &hash }, &CREDS, &scope);
        assert_eq!(sha256_hex(s.canonical_request.as_bytes()), "3511de7e95d28ecd39e9513b642aee07e54f4941150d8df8bf94b328ef7e55e2");
        assert_eq!(s.signature, "ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c");
    }

    #[test]
    fn documented_signing_key() {
        let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex(&key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }

    #[test]
    fn bedrock_paths_are_encoded_twice() {
        assert_eq!(
            canonical_uri("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"),
            "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse"
        );
        assert_eq!(
            canonical_uri("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/converse"),
            "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A1%253Ainference-profile%252Fus.x/converse"
        );
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn query_is_sorted_and_strictly_encoded() {
        assert_eq!(canonical_query("b=2&a=x%20y&a=1"), "a=1&a=x%20y&b=2");
        assert_eq!(canonical_query("k=a+b:c"), "k=a%2Bb%3Ac");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn dates_without_a_calendar_crate() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_440_938_160_000), "20150830T123600Z");
        assert_eq!(amz_date(951_782_400_000), "20000229T000000Z");
        assert_eq!(amz_date(4_102_444_799_999), "20991231T235959Z");
        assert_eq!(amz_date(4_107_542_400_000), "21000301T000000Z");
        assert_eq!(amz_date(1_709_164_800_000), "20240229T000000Z");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%3Ab%2f%zz%"), "a:b/%zz%");
    }
}
