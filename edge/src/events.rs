//! Beacons from the loader: `POST /v1/forms/{id}/events` with
//! `{"event": "mount_failed", "cause": "..."}`, sent when the wasm widget
//! could not start and the basic form was shown instead. The edge counts them
//! per form and cause; the owner reads the counts at
//! `GET /v1/forms/{id}/health`.
//!
//! This module parses and bounds the beacon and renders the health body; it
//! must not store anything (the platform layer does) and a beacon carries no
//! personal data: only the form id (in the path) and a cause from
//! [`MountFailure::ALL`].

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::EdgeError;

/// Largest beacon body accepted, in bytes (a real one is under 60).
pub const MAX_EVENT_BYTES: usize = 512;

/// The only event the loader sends.
pub const MOUNT_FAILED: &str = "mount_failed";

/// Why the widget could not start (the loader's cause codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountFailure {
    /// The browser has no `WebAssembly` global (disabled or very old).
    NoWebassembly,
    /// The page's Content-Security-Policy lacks `'wasm-unsafe-eval'`.
    CspWasmBlocked,
    /// The glue or the wasm could not be downloaded (404, network).
    WasmFetchFailed,
    /// The wasm downloaded but did not compile or instantiate.
    InstantiateFailed,
    /// The widget did not start within the loader's time limit.
    Timeout,
    /// The widget started but mounting the form threw.
    MountError,
}

impl MountFailure {
    pub const ALL: &'static [MountFailure] = &[
        MountFailure::NoWebassembly,
        MountFailure::CspWasmBlocked,
        MountFailure::WasmFetchFailed,
        MountFailure::InstantiateFailed,
        MountFailure::Timeout,
        MountFailure::MountError,
    ];

    /// The stable code the loader sends and the health report lists.
    pub const fn as_str(self) -> &'static str {
        match self {
            MountFailure::NoWebassembly => "no_webassembly",
            MountFailure::CspWasmBlocked => "csp_wasm_blocked",
            MountFailure::WasmFetchFailed => "wasm_fetch_failed",
            MountFailure::InstantiateFailed => "instantiate_failed",
            MountFailure::Timeout => "timeout",
            MountFailure::MountError => "mount_error",
        }
    }

    pub fn from_code(code: &str) -> Option<MountFailure> {
        MountFailure::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == code)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Beacon {
    event: String,
    cause: String,
}

/// Reads a beacon body: at most [`MAX_EVENT_BYTES`], exactly `event` and
/// `cause`, a known event and cause.
pub fn parse_beacon(bytes: &[u8]) -> Result<MountFailure, EdgeError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(EdgeError::PayloadTooLarge {
            limit: MAX_EVENT_BYTES,
        });
    }
    let beacon: Beacon = serde_json::from_slice(bytes).map_err(|_| EdgeError::EventMalformed)?;
    if beacon.event != MOUNT_FAILED {
        return Err(EdgeError::EventUnknown);
    }
    MountFailure::from_code(&beacon.cause).ok_or(EdgeError::EventUnknown)
}

/// The health report of a form from its stored `(cause, count)` rows: every
/// known cause (0 when none), their total, and when the last one arrived.
pub fn health_json(form_id: &str, rows: &[(String, u64)], last_at: Option<&str>) -> Value {
    let mut causes = serde_json::Map::new();
    let mut total = 0;
    for cause in MountFailure::ALL {
        let count: u64 = rows
            .iter()
            .filter(|(code, _)| code == cause.as_str())
            .map(|(_, n)| n)
            .sum();
        total += count;
        causes.insert(cause.as_str().to_owned(), json!(count));
    }
    json!({
        "form_id": form_id,
        "mount_failed": { "total": total, "by_cause": causes, "last_at": last_at },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expected: Result<MountFailure, &str>) {
        let got = parse_beacon(body.as_bytes()).map_err(|e| e.code());
        assert_eq!(got, expected, "{body}");
    }

    #[test]
    fn beacons_table() {
        let long = format!(
            r#"{{"event":"mount_failed","cause":"timeout","x":"{}"}}"#,
            "a".repeat(600)
        );
        let cases: Vec<(&str, Result<MountFailure, &str>)> = vec![
            (
                r#"{"event":"mount_failed","cause":"csp_wasm_blocked"}"#,
                Ok(MountFailure::CspWasmBlocked),
            ),
            (
                r#"{"cause":"no_webassembly","event":"mount_failed"}"#,
                Ok(MountFailure::NoWebassembly),
            ),
            (
                r#"{"event":"mount_failed","cause":"wasm_fetch_failed"}"#,
                Ok(MountFailure::WasmFetchFailed),
            ),
            (
                r#"{"event":"mount_failed","cause":"instantiate_failed"}"#,
                Ok(MountFailure::InstantiateFailed),
            ),
            (
                r#"{"event":"mount_failed","cause":"timeout"}"#,
                Ok(MountFailure::Timeout),
            ),
            (
                r#"{"event":"mount_failed","cause":"mount_error"}"#,
                Ok(MountFailure::MountError),
            ),
            (
                r#"{"event":"mount_failed","cause":"gremlins"}"#,
                Err("event.unknown"),
            ),
            (
                r#"{"event":"page_view","cause":"timeout"}"#,
                Err("event.unknown"),
            ),
            (
                r#"{"event":"mount_failed","cause":"timeout","email":"a@b.example"}"#,
                Err("event.malformed"),
            ),
            (r#"{"event":"mount_failed"}"#, Err("event.malformed")),
            (
                r#"{"event":"mount_failed","cause":7}"#,
                Err("event.malformed"),
            ),
            ("not json", Err("event.malformed")),
            ("", Err("event.malformed")),
            (&long, Err("envelope.too_large")),
        ];
        for (body, expected) in cases {
            check(body, expected);
        }
    }

    #[test]
    fn codes_round_trip() {
        for &cause in MountFailure::ALL {
            assert_eq!(MountFailure::from_code(cause.as_str()), Some(cause));
        }
        assert_eq!(MountFailure::from_code("Timeout"), None);
    }

    #[test]
    fn health_lists_every_cause() {
        let rows = vec![
            ("csp_wasm_blocked".to_owned(), 3),
            ("timeout".to_owned(), 1),
            ("retired_cause".to_owned(), 9),
        ];
        let body = health_json("contact", &rows, Some("2026-12-01T00:00:00.000Z"));
        assert_eq!(body["form_id"], "contact");
        let report = &body["mount_failed"];
        assert_eq!(report["total"], 4, "{body}");
        assert_eq!(report["by_cause"]["csp_wasm_blocked"], 3);
        assert_eq!(report["by_cause"]["timeout"], 1);
        assert_eq!(report["by_cause"]["no_webassembly"], 0);
        assert_eq!(
            report["by_cause"].as_object().map(|m| m.len()),
            Some(MountFailure::ALL.len())
        );
        assert_eq!(report["last_at"], "2026-12-01T00:00:00.000Z");
        let empty = health_json("contact", &[], None);
        assert_eq!(empty["mount_failed"]["total"], 0);
        assert_eq!(empty["mount_failed"]["last_at"], Value::Null);
    }
}
