//! The cron handler (`[triggers] crons` in wrangler.toml): the quarantine's
//! TTL purge. Every held submission past its form's retention becomes an
//! `expired` audit stub (signals, times and seal kept, personal data gone).
//!
//! It must stay idempotent: a run twice, or a missed run, changes nothing
//! but when a stub is written.

use worker::Env;

use crate::time;

use super::{names, now_ms, store};

pub(crate) async fn handle(env: Env) {
    let now = now_ms();
    let db = match env.d1(names::DB) {
        Ok(db) => db,
        Err(error) => {
            worker::console_error!("cron: no D1 binding: {error}");
            return;
        }
    };
    match store::expire_quarantine(&db, now, &time::rfc3339_ms(now)).await {
        Ok(expired) => worker::console_log!("cron: {expired} quarantined submissions expired"),
        Err(error) => worker::console_error!("cron: quarantine purge failed: {error}"),
    }
}
