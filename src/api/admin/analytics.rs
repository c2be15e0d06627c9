//! `GET …/analytics`: request metrics per group over a time range. The
//! query is validated and written by `crate::analytics::aggregate`.

use super::support::Admin;
use crate::analytics::aggregate::Analytics;
use crate::core::error::GatewayResult;
use worker::Response;

pub async fn analytics(admin: &Admin, ws: &str, query: &[(String, String)]) -> GatewayResult<Response> {
    let a = Analytics::parse(query, admin.now)?;
    admin.require_workspace(ws).await?;
    let mut statements = vec![a.totals_statement(ws)];
    statements.extend(a.groups_statement(ws));
    let results = admin.query_all(&statements).await?;
    let totals = results.first().map(Vec::as_slice).unwrap_or_default();
    let groups = results.get(1).map(Vec::as_slice).unwrap_or_default();
    Ok(admin.ok(200, &a.response(ws, totals, groups)))
}
