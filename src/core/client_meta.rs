//! What a client's headers say about a request (session, properties, user,
//! country, referer, IP): read once at intake, attributed in the log, and
//! used by the limits of user, IP and property scopes.

/// Facts about the client request, read from its headers at the start.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub session_id: Option<String>,
    pub session_path: Option<String>,
    pub session_name: Option<String>,
    /// `alephant-property-<name>: <value>` pairs, name lower-cased.
    pub properties: Vec<(String, String)>,
    pub user_id: Option<String>,
    pub country: Option<String>,
    pub referer: Option<String>,
    pub client_ip: Option<String>,
}
