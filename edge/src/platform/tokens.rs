//! Owner tokens and the audit log (migration 0008), on D1: who is calling
//! ([`authorize`]: the `ADMIN_TOKEN` and `QUARANTINE_TOKEN` secrets, or a
//! minted token looked up by its SHA-256), the admin endpoints that mint,
//! list and revoke tokens and read the audit log ([`serve_admin`]), and
//! [`audit`], which every export, erasure, replay, release and discard
//! writes before it answers.
//!
//! Decisions (scopes per route, token shapes) are [`crate::auth`]'s. A
//! token is shown once, when minted; only its hash is stored. The audit log
//! holds ids and counts, never a lead's values.

use super::store::{number, storage, text};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request, Response};

use crate::auth::{self, Grant, Scope};
use crate::error::EdgeError;
use crate::routes::{query_param, Route};
use crate::{ids, time};

use super::http::{header, json_response};
use super::{config, names, now_ms};

type Result<T> = std::result::Result<T, EdgeError>;

const AUDIT_LIMIT_MAX: u32 = 500;

/// Who is calling, and whether they may call `route` (401, 403
/// `auth.invalid`, 403 `auth.scope_missing`, 503 `auth.not_configured`).
pub(crate) async fn authorize(req: &Request, env: &Env, route: &Route) -> Result<Grant> {
    let authorization = header(req, "Authorization");
    let admin = config(env, names::ADMIN_TOKEN);
    let reviewer = config(env, names::QUARANTINE_TOKEN);
    let given = auth::bearer(authorization.as_deref())?;
    let grant = if auth::matches_secret(given, admin.as_deref()) {
        Grant::admin()
    } else if auth::matches_secret(given, reviewer.as_deref()) && route.is_quarantine() {
        Grant::quarantine_reviewer()
    } else if auth::is_owner_token(given) {
        let db = env.d1(names::DB).map_err(storage)?;
        minted(&db, given).await?.ok_or(EdgeError::AuthInvalid)?
    } else if admin.is_none() {
        return Err(EdgeError::AuthNotConfigured);
    } else {
        return Err(EdgeError::AuthInvalid);
    };
    grant.allows(route)?;
    Ok(grant)
}

#[derive(Debug, Deserialize, serde::Serialize)]
struct TokenRow {
    token_id: String,
    name: String,
    scopes: String,
    created_at: String,
    created_by: String,
    revoked_at: Option<String>,
}

impl TokenRow {
    fn json(&self) -> Value {
        json!({
            "token_id": self.token_id,
            "name": self.name,
            "scopes": self.scopes.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "created_at": self.created_at,
            "created_by": self.created_by,
            "revoked_at": self.revoked_at,
        })
    }
}

const TOKEN_COLUMNS: &str = "token_id, name, scopes, created_at, created_by, revoked_at";

/// The live minted token `given`, as a grant.
async fn minted(db: &D1Database, given: &str) -> Result<Option<Grant>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM owner_tokens WHERE token_sha256 = ?1 AND revoked_at IS NULL"
    );
    let row: Option<TokenRow> = db
        .prepare(&sql)
        .bind(&[text(&auth::token_sha256(given))])
        .map_err(storage)?
        .first(None)
        .await
        .map_err(storage)?;
    Ok(row.map(|row| Grant {
        actor: row.token_id,
        scopes: row.scopes.split(' ').filter_map(Scope::parse).collect(),
        quarantine_only: false,
    }))
}

/// Appends one entry to the audit log. Callers write it before they answer:
/// an export whose entry cannot be written is not sent (503); an erasure or
/// replay already done answers 503 too, and repeating it writes the entry.
pub(crate) async fn audit(
    db: &D1Database,
    actor: &str,
    action: &str,
    form_id: Option<&str>,
    detail: &Value,
) -> Result<()> {
    let now = now_ms();
    db.prepare(
        "INSERT INTO audit_log (at, at_ms, actor, action, form_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        text(&time::rfc3339_ms(now)),
        number(now),
        text(actor),
        text(action),
        form_id.map(text).unwrap_or(JsValue::NULL),
        text(&detail.to_string()),
    ])
    .map_err(storage)?
    .run()
    .await
    .map_err(storage)?;
    Ok(())
}

/// The admin endpoints: tokens and the audit log; `None` for other routes.
pub(crate) async fn serve_admin(
    req: &mut Request,
    env: &Env,
    route: &Route,
    grant: &Grant,
) -> Option<Result<Response>> {
    let served = match route {
        Route::CreateToken => create(req, env, grant).await,
        Route::ListTokens => list(env).await,
        Route::RevokeToken(id) => revoke(env, id, grant).await,
        Route::Audit => read_audit(req, env).await,
        _ => return None,
    };
    Some(served)
}

fn db(env: &Env) -> Result<D1Database> {
    env.d1(names::DB).map_err(storage)
}

fn respond(status: u16, body: &Value) -> Result<Response> {
    json_response(status, body, None).map_err(storage)
}

async fn create(req: &mut Request, env: &Env, grant: &Grant) -> Result<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ask {
        name: String,
        scopes: Vec<String>,
    }
    let body = req
        .text()
        .await
        .map_err(|_| EdgeError::TokenRequestInvalid)?;
    let ask: Ask = serde_json::from_str(&body).map_err(|_| EdgeError::TokenRequestInvalid)?;
    let name = ask.name.trim();
    if name.is_empty() || name.chars().count() > auth::MAX_TOKEN_NAME_LEN {
        return Err(EdgeError::TokenRequestInvalid);
    }
    let scopes = auth::parse_scopes(&ask.scopes).ok_or(EdgeError::TokenRequestInvalid)?;
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random)
        .map_err(|_| EdgeError::StorageUnavailable("no randomness".into()))?;
    let token = auth::format_token(random);
    let token_id = ids::new_id(auth::TOKEN_ID_PREFIX)
        .ok_or_else(|| EdgeError::StorageUnavailable("no randomness".into()))?;
    let scopes_text = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let row = TokenRow {
        token_id: token_id.clone(),
        name: name.to_owned(),
        scopes: scopes_text,
        created_at: time::rfc3339_ms(now_ms()),
        created_by: grant.actor.clone(),
        revoked_at: None,
    };
    let db = db(env)?;
    db.prepare(
        "INSERT INTO owner_tokens (token_id, token_sha256, name, scopes, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        text(&row.token_id),
        text(&auth::token_sha256(&token)),
        text(&row.name),
        text(&row.scopes),
        text(&row.created_at),
        text(&row.created_by),
    ])
    .map_err(storage)?
    .run()
    .await
    .map_err(storage)?;
    let mut body = row.json();
    audit(&db, &grant.actor, "token.create", None, &body).await?;
    // Shown this once: only its hash is kept.
    body["token"] = json!(token);
    respond(201, &body)
}

async fn list(env: &Env) -> Result<Response> {
    let db = db(env)?;
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM owner_tokens ORDER BY created_at, token_id");
    let rows: Vec<TokenRow> = db
        .prepare(&sql)
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    let tokens: Vec<Value> = rows.iter().map(TokenRow::json).collect();
    respond(200, &json!({ "tokens": tokens }))
}

async fn revoke(env: &Env, id: &str, grant: &Grant) -> Result<Response> {
    let db = db(env)?;
    let at = time::rfc3339_ms(now_ms());
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM owner_tokens WHERE token_id = ?1");
    let row: TokenRow = db
        .prepare(&sql)
        .bind(&[text(id)])
        .map_err(storage)?
        .first(None)
        .await
        .map_err(storage)?
        .ok_or(EdgeError::TokenNotFound)?;
    let revoked_at = match row.revoked_at {
        Some(earlier) => earlier,
        None => {
            db.prepare(
                "UPDATE owner_tokens SET revoked_at = ?2 WHERE token_id = ?1 AND revoked_at IS NULL",
            )
            .bind(&[text(id), text(&at)])
            .map_err(storage)?
            .run()
            .await
            .map_err(storage)?;
            audit(
                &db,
                &grant.actor,
                "token.revoke",
                None,
                &json!({ "token_id": id }),
            )
            .await?;
            at
        }
    };
    respond(200, &json!({ "token_id": id, "revoked_at": revoked_at }))
}

#[derive(Debug, Deserialize)]
struct AuditRow {
    id: f64,
    at: String,
    actor: String,
    action: String,
    form_id: Option<String>,
    detail: String,
}

/// `GET /v1/audit?since=&action=&limit=&cursor=`: oldest first; the
/// cursor is the last entry's id.
async fn read_audit(req: &Request, env: &Env) -> Result<Response> {
    let query = req
        .url()
        .map(|u| u.query().unwrap_or("").to_owned())
        .unwrap_or_default();
    let since_ms = match query_param(&query, "since") {
        Some(since) => time::parse_rfc3339(&since).ok_or(EdgeError::BadQuery("since"))?,
        None => 0,
    };
    let limit = match query_param(&query, "limit") {
        Some(limit) => limit
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=AUDIT_LIMIT_MAX).contains(l))
            .ok_or(EdgeError::BadQuery("limit"))?,
        None => 100,
    };
    let after = match query_param(&query, "cursor") {
        Some(cursor) => cursor
            .parse::<u64>()
            .map_err(|_| EdgeError::BadQuery("cursor"))?,
        None => 0,
    };
    let action = query_param(&query, "action").unwrap_or_default();
    let db = db(env)?;
    let rows: Vec<AuditRow> = db
        .prepare(
            "SELECT id, at, actor, action, form_id, detail FROM audit_log \
             WHERE at_ms >= ?1 AND id > ?2 AND (?3 = '' OR action = ?3) ORDER BY id LIMIT ?4",
        )
        .bind(&[
            number(since_ms),
            number(after),
            text(&action),
            number(u64::from(limit)),
        ])
        .map_err(storage)?
        .all()
        .await
        .map_err(storage)?
        .results()
        .map_err(storage)?;
    let next_cursor = rows
        .last()
        .filter(|_| rows.len() as u32 == limit)
        .map(|r| (r.id as u64).to_string());
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id as u64,
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "form_id": r.form_id,
                "detail": serde_json::from_str::<Value>(&r.detail).unwrap_or(Value::Null),
            })
        })
        .collect();
    respond(
        200,
        &json!({ "entries": entries, "next_cursor": next_cursor }),
    )
}
