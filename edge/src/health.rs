//! Each destination's health as the owner sees it (`GET
//! /v1/forms/{id}/health`, `destinations`): from the delivery ledger's
//! figures per destination, when it last delivered, since when it has been
//! failing, how many leads wait for it (pending or retrying) and how many it
//! dead-lettered, and whether a 410 disabled it; and the one-word state the
//! console shows for it.
//!
//! Pure: the platform reads the rows (`platform::destinations`) and passes
//! the clock's "now" in. It must not decide retries (that is
//! [`crate::backoff`] and the ledger's).

use serde_json::{json, Value};

/// One destination's figures, as the ledger query returns them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DestinationFigures {
    /// The destination key (`0:webhook`).
    pub destination: String,
    pub delivered: u64,
    /// Pending or failed and due again: still to be sent.
    pub queued: u64,
    /// Past the retry schedule (or dead-lettered by the queue).
    pub dead: u64,
    /// Refused for good (a 4xx other than 408/425/429) or in doubt.
    pub rejected: u64,
    /// The newest `delivered_at` (RFC 3339).
    pub last_success_at: Option<String>,
    /// The earliest first failure (`retry_from_ms`) among its unfinished
    /// failing deliveries, in ms.
    pub failing_since_ms: Option<u64>,
    /// When a 410 Gone disabled it (RFC 3339).
    pub disabled_at: Option<String>,
}

/// How a destination is doing, in one word.
pub fn state(figures: &DestinationFigures) -> &'static str {
    if figures.disabled_at.is_some() {
        "disabled"
    } else if figures.dead > 0 {
        "dead_letters"
    } else if figures.failing_since_ms.is_some() {
        "failing"
    } else if figures.delivered > 0 || figures.queued > 0 {
        "healthy"
    } else {
        "idle"
    }
}

/// The report's `destinations` array: every destination the form names
/// (`keys`, in the spec's order), those without deliveries as zeroes.
pub fn destinations_json(keys: &[String], rows: &[DestinationFigures]) -> Value {
    let entries: Vec<Value> = keys
        .iter()
        .map(|key| {
            let empty = DestinationFigures {
                destination: key.clone(),
                ..DestinationFigures::default()
            };
            let figures = rows
                .iter()
                .find(|r| &r.destination == key)
                .unwrap_or(&empty);
            json!({
                "destination": key,
                "state": state(figures),
                "delivered": figures.delivered,
                "queued": figures.queued,
                "dead": figures.dead,
                "rejected": figures.rejected,
                "last_success_at": figures.last_success_at,
                "failing_since": figures.failing_since_ms.map(crate::time::rfc3339_ms),
                "disabled_at": figures.disabled_at,
            })
        })
        .collect();
    Value::Array(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(
        delivered: u64,
        queued: u64,
        dead: u64,
        failing: bool,
        disabled: bool,
    ) -> DestinationFigures {
        DestinationFigures {
            destination: "0:webhook".into(),
            delivered,
            queued,
            dead,
            rejected: 0,
            last_success_at: (delivered > 0).then(|| "2026-12-02T10:00:00.000Z".to_owned()),
            failing_since_ms: failing.then_some(1_796_205_600_000),
            disabled_at: disabled.then(|| "2026-12-02T11:00:00.000Z".to_owned()),
        }
    }

    #[test]
    fn states() {
        let cases = [
            (figures(0, 0, 0, false, false), "idle"),
            (figures(3, 0, 0, false, false), "healthy"),
            (figures(0, 2, 0, false, false), "healthy"),
            (figures(3, 2, 0, true, false), "failing"),
            (figures(3, 0, 1, true, false), "dead_letters"),
            (figures(3, 0, 1, true, true), "disabled"),
        ];
        for (figures, expected) in cases {
            assert_eq!(state(&figures), expected, "{figures:?}");
        }
    }

    #[test]
    fn every_named_destination_is_reported() {
        let keys = ["0:webhook".to_owned(), "1:hubspot".to_owned()];
        let report = destinations_json(&keys, &[figures(3, 1, 2, true, false)]);
        assert_eq!(
            report,
            json!([
                {
                    "destination": "0:webhook", "state": "dead_letters", "delivered": 3, "queued": 1,
                    "dead": 2, "rejected": 0, "last_success_at": "2026-12-02T10:00:00.000Z",
                    "failing_since": "2026-12-02T10:00:00.000Z", "disabled_at": null,
                },
                {
                    "destination": "1:hubspot", "state": "idle", "delivered": 0, "queued": 0,
                    "dead": 0, "rejected": 0, "last_success_at": null, "failing_since": null,
                    "disabled_at": null,
                },
            ])
        );
    }
}
