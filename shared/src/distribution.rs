//! Lead distribution to buyers (ping-post): the spec's `[[buyers]]` (ping
//! and post URLs, the named auth secret, timeout, caps, schedule, exclusive
//! or shared sale, floor price, return window), the `distribution`
//! destination's checks, and the [`Ping`]: the one payload a buyer sees
//! before it has bought the lead.
//!
//! Server-side only, like destinations and scoring: [`crate::FormSpec::public`]
//! drops the buyers, and without the `destinations` feature (the widget) the
//! key is neither read nor checked. This module describes, checks and builds
//! the ping; the auction, the keyed dedup hashes and the bid tokens are the
//! edge's (`leadform_edge::distribution`), the pings and posts its platform's.
//!
//! A [`Ping`] cannot carry personal data by construction: its fields are
//! private and [`Ping::build`] fills them only from an allow-list. Answers
//! come from the owner's `ping_fields` (choice fields, whose values are copied
//! from the spec's options, never from the visitor; numbers, re-rendered from
//! their parsed value; ticks), the postal code only as its area (a US ZIP's
//! five digits, a UK/Canadian code's outward part), score/tier/grade, the
//! consent channels given and the lead's age. Names, emails, phones, street
//! addresses and free text have no field to go in; the buyer's duplicate
//! check gets [`MatchHash`]es, which can only hold 32-byte digests (the edge
//! computes them as HMACs with a per-buyer key).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::consent::ConsentChannel;
use crate::routing::{Cap, Window};
use crate::scoring::{Grade, Qualification};
use crate::spec::{FieldKind, FormSpec};
use crate::validate::FieldValue;
use crate::FieldMap;
#[cfg(feature = "destinations")]
use crate::{
    routing::Period,
    spec::{is_http_url, is_valid_id, SpecError},
};

/// A ping's timeout when the buyer names none (ms).
pub const DEFAULT_TIMEOUT_MS: u32 = 1_500;
/// The shortest and longest timeout a buyer may have (ms).
pub const TIMEOUT_RANGE_MS: (u32, u32) = (100, 30_000);
/// Days a buyer may return a lead when the spec names none.
pub const DEFAULT_RETURN_WINDOW_DAYS: u32 = 7;
/// The longest return window (days).
pub const MAX_RETURN_WINDOW_DAYS: u32 = 90;
/// Most buyers a shared lead may be sold to.
pub const MAX_SHARED_BUYERS: u32 = 10;
/// How long a distribution may post and cascade after its pings (ms), unless
/// the destination names its own `auction_ms`.
pub const DEFAULT_AUCTION_MS: u32 = 10_000;
/// Most buyers a form may declare.
pub const MAX_BUYERS: usize = 50;

/// One buyer of a form's leads (`[[buyers]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buyer {
    pub id: String,
    /// Where the ping (no contact data) goes; the buyer answers with a bid.
    pub ping_url: String,
    /// Where the full lead goes once the buyer has won.
    pub post_url: String,
    /// Name of the Worker secret shared with this buyer: it signs pings and
    /// posts, keys the buyer's dedup hashes and bid tokens, and is the
    /// buyer's credential for returns. Never the secret itself.
    pub auth_secret: String,
    /// How long a ping waits for the bid; a later bid is ignored and logged.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u32,
    /// Ties between equal bids go to the lower priority (then to the buyer
    /// declared first).
    #[serde(default)]
    pub priority: u32,
    /// At most this many leads bought per period (in `time_zone`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<Cap>,
    /// The time zone of `caps` periods and `hours`; UTC when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// When the buyer is pinged at all; always when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<Window>,
    /// `exclusive`: the buyer takes only leads sold to it alone; `shared`: it
    /// takes a lead sold to at most `max_buyers` buyers (itself included).
    #[serde(default)]
    pub sale: Sale,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_buyers: Option<u32>,
    /// Bids below this (in cents) are not bids.
    #[serde(default)]
    pub min_price_cents: u32,
    /// Days after the sale within which the buyer may return the lead.
    #[serde(default = "default_return_window_days")]
    pub return_window_days: u32,
    /// Pings per minute this buyer accepts; past it the buyer is not pinged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pings_per_minute: Option<u32>,
}

fn default_timeout_ms() -> u32 {
    DEFAULT_TIMEOUT_MS
}

fn default_return_window_days() -> u32 {
    DEFAULT_RETURN_WINDOW_DAYS
}

impl Buyer {
    /// How many buyers a sale this buyer takes part in may have: 1 for
    /// exclusive, `max_buyers` (default 3) for shared.
    pub fn sale_limit(&self) -> u32 {
        match self.sale {
            Sale::Exclusive => 1,
            Sale::Shared => self.max_buyers.unwrap_or(3),
        }
    }
}

/// How a buyer takes a lead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sale {
    #[default]
    Exclusive,
    Shared,
}

impl Sale {
    pub const fn as_str(self) -> &'static str {
        match self {
            Sale::Exclusive => "exclusive",
            Sale::Shared => "shared",
        }
    }
}

/// Why a buyer returns a lead: the fixed list `POST /v1/leads/{id}/returns`
/// accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// The phone number or email does not reach the person.
    InvalidContact,
    /// The person says they never asked.
    NotRequested,
    /// The buyer already had this person.
    Duplicate,
    /// Outside the buyer's service area.
    OutOfArea,
    /// Answers that are plainly false.
    Fraud,
}

impl ReturnReason {
    pub const ALL: &'static [ReturnReason] = &[
        ReturnReason::InvalidContact,
        ReturnReason::NotRequested,
        ReturnReason::Duplicate,
        ReturnReason::OutOfArea,
        ReturnReason::Fraud,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReturnReason::InvalidContact => "invalid_contact",
            ReturnReason::NotRequested => "not_requested",
            ReturnReason::Duplicate => "duplicate",
            ReturnReason::OutOfArea => "out_of_area",
            ReturnReason::Fraud => "fraud",
        }
    }

    pub fn parse(text: &str) -> Option<ReturnReason> {
        ReturnReason::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == text)
    }
}

/// The field kinds whose answers an owner may put in a ping: choices (the
/// value is one of the spec's options), numbers and ticks. Text, email,
/// phone, postal (only as its area, see [`postal_area`]) and hidden fields
/// never are.
pub const PING_FIELD_KINDS: &[FieldKind] = &[
    FieldKind::Select,
    FieldKind::MultiSelect,
    FieldKind::Checkbox,
    FieldKind::Number,
];

/// What is wrong with a spec's buyers or distribution destinations. Each
/// names its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistributionError {
    /// A buyer id that is not a slug.
    InvalidId(String),
    /// Two buyers share an id.
    DuplicateId(String),
    /// More than [`MAX_BUYERS`] buyers.
    TooManyBuyers(usize),
    /// A ping or post URL that is not http(s) with a host.
    InvalidUrl { buyer: String, url: String },
    /// An empty `auth_secret` name.
    SecretMissing(String),
    /// A timeout outside [`TIMEOUT_RANGE_MS`].
    TimeoutOutOfRange { buyer: String, timeout_ms: u32 },
    /// A cap of 0, or one period capped twice.
    InvalidCap(String),
    /// A time zone not in `shared::routing::TIME_ZONES`.
    UnknownTimeZone { buyer: String, zone: String },
    /// A window with bad `HH:MM`, no days, or `from` equal to `to`.
    InvalidWindow(String),
    /// `max_buyers` on an exclusive buyer, or outside 2..=[`MAX_SHARED_BUYERS`].
    SaleMismatch(String),
    /// A return window of 0 or over [`MAX_RETURN_WINDOW_DAYS`].
    ReturnWindowOutOfRange { buyer: String, days: u32 },
    /// `pings_per_minute = 0`.
    PingLimitZero(String),
    /// A distribution destination names an undeclared buyer.
    UnknownBuyer { destination: usize, buyer: String },
    /// A distribution destination with no buyer to ping (none declared).
    NoBuyers(usize),
    /// A `ping_fields` entry that is not a field of the form.
    PingFieldUnknown { destination: usize, field: String },
    /// A `ping_fields` entry whose kind may not go in a ping, or an
    /// identity field.
    PingFieldNotAllowed { destination: usize, field: String },
    /// An `auction_ms` shorter than the longest buyer timeout, or above 60 s.
    AuctionWindowOutOfRange { destination: usize, auction_ms: u32 },
    /// A `fallback` that is no destination, a distribution, or a routing
    /// recipient's destination.
    FallbackInvalid { destination: usize, fallback: usize },
}

impl DistributionError {
    pub fn code(&self) -> &'static str {
        match self {
            DistributionError::InvalidId(_) => "spec.buyer_invalid_id",
            DistributionError::DuplicateId(_) => "spec.buyer_duplicate_id",
            DistributionError::TooManyBuyers(_) => "spec.buyer_too_many",
            DistributionError::InvalidUrl { .. } => "spec.buyer_invalid_url",
            DistributionError::SecretMissing(_) => "spec.buyer_secret_missing",
            DistributionError::TimeoutOutOfRange { .. } => "spec.buyer_timeout_out_of_range",
            DistributionError::InvalidCap(_) => "spec.buyer_invalid_cap",
            DistributionError::UnknownTimeZone { .. } => "spec.buyer_unknown_time_zone",
            DistributionError::InvalidWindow(_) => "spec.buyer_invalid_window",
            DistributionError::SaleMismatch(_) => "spec.buyer_sale_mismatch",
            DistributionError::ReturnWindowOutOfRange { .. } => {
                "spec.buyer_return_window_out_of_range"
            }
            DistributionError::PingLimitZero(_) => "spec.buyer_ping_limit_zero",
            DistributionError::UnknownBuyer { .. } => "spec.distribution_unknown_buyer",
            DistributionError::NoBuyers(_) => "spec.distribution_no_buyers",
            DistributionError::PingFieldUnknown { .. } => "spec.distribution_ping_field_unknown",
            DistributionError::PingFieldNotAllowed { .. } => {
                "spec.distribution_ping_field_not_allowed"
            }
            DistributionError::AuctionWindowOutOfRange { .. } => {
                "spec.distribution_auction_out_of_range"
            }
            DistributionError::FallbackInvalid { .. } => "spec.distribution_invalid_fallback",
        }
    }
}

impl fmt::Display for DistributionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (min_timeout, max_timeout) = TIMEOUT_RANGE_MS;
        match self {
            DistributionError::InvalidId(id) => write!(
                f,
                "buyer id `{id}` must be 1-64 characters of a-z, 0-9, `_` or `-`, starting with a letter"
            ),
            DistributionError::DuplicateId(id) => write!(f, "buyer id `{id}` is used twice"),
            DistributionError::TooManyBuyers(n) => {
                write!(f, "{n} buyers; a form may have at most {MAX_BUYERS}")
            }
            DistributionError::InvalidUrl { buyer, url } => write!(
                f,
                "buyer `{buyer}`: `{url}` is not an http(s) URL with a host"
            ),
            DistributionError::SecretMissing(buyer) => write!(
                f,
                "buyer `{buyer}` needs `auth_secret`, the name of the Worker secret shared with it"
            ),
            DistributionError::TimeoutOutOfRange { buyer, timeout_ms } => write!(
                f,
                "buyer `{buyer}`: timeout_ms is {timeout_ms}; it must be {min_timeout} to {max_timeout}"
            ),
            DistributionError::InvalidCap(buyer) => write!(
                f,
                "buyer `{buyer}` has a cap of 0 or caps one period twice"
            ),
            DistributionError::UnknownTimeZone { buyer, zone } => write!(
                f,
                "buyer `{buyer}`: time zone `{zone}` is not one of the known zones (shared::routing::TIME_ZONES)"
            ),
            DistributionError::InvalidWindow(buyer) => write!(
                f,
                "buyer `{buyer}`: a window needs days and HH:MM times with `from` different from `to`"
            ),
            DistributionError::SaleMismatch(buyer) => write!(
                f,
                "buyer `{buyer}`: max_buyers goes only with sale = \"shared\", and is 2 to {MAX_SHARED_BUYERS}"
            ),
            DistributionError::ReturnWindowOutOfRange { buyer, days } => write!(
                f,
                "buyer `{buyer}`: return_window_days is {days}; it must be 1 to {MAX_RETURN_WINDOW_DAYS}"
            ),
            DistributionError::PingLimitZero(buyer) => {
                write!(f, "buyer `{buyer}`: pings_per_minute must be above 0")
            }
            DistributionError::UnknownBuyer { destination, buyer } => write!(
                f,
                "destinations[{destination}] (distribution) names unknown buyer `{buyer}`"
            ),
            DistributionError::NoBuyers(destination) => write!(
                f,
                "destinations[{destination}] (distribution) has no buyers: declare [[buyers]]"
            ),
            DistributionError::PingFieldUnknown { destination, field } => write!(
                f,
                "destinations[{destination}] (distribution): ping field `{field}` is not a field of the form"
            ),
            DistributionError::PingFieldNotAllowed { destination, field } => write!(
                f,
                "destinations[{destination}] (distribution): field `{field}` may not go in a ping (only select, multi_select, checkbox and number fields that are not identity fields)"
            ),
            DistributionError::AuctionWindowOutOfRange {
                destination,
                auction_ms,
            } => write!(
                f,
                "destinations[{destination}] (distribution): auction_ms is {auction_ms}; it must be at least the longest buyer timeout and at most 60000"
            ),
            DistributionError::FallbackInvalid {
                destination,
                fallback,
            } => write!(
                f,
                "destinations[{destination}] (distribution): fallback {fallback} must be the index of another destination that is not a distribution and no recipient's"
            ),
        }
    }
}

/// Checks the buyers and every distribution destination against the form.
#[cfg(feature = "destinations")]
pub(crate) fn check(spec: &FormSpec, errors: &mut Vec<SpecError>) {
    let mut found = Vec::new();
    check_buyers(spec, &mut found);
    for (index, destination) in spec.destinations.iter().enumerate() {
        if let crate::spec::Destination::Distribution {
            buyers,
            ping_fields,
            auction_ms,
            fallback,
        } = destination
        {
            check_destination(spec, index, buyers, ping_fields, *auction_ms, &mut found);
            let valid = fallback.is_none_or(|to| {
                spec.destinations.get(to).is_some_and(|d| {
                    !matches!(d, crate::spec::Destination::Distribution { .. })
                        && !spec.recipients.iter().any(|r| r.destination == to)
                })
            });
            if !valid {
                found.push(DistributionError::FallbackInvalid {
                    destination: index,
                    fallback: fallback.unwrap_or_default(),
                });
            }
        }
    }
    errors.extend(found.into_iter().map(SpecError::Distribution));
}

#[cfg(feature = "destinations")]
fn check_buyers(spec: &FormSpec, errors: &mut Vec<DistributionError>) {
    if spec.buyers.len() > MAX_BUYERS {
        errors.push(DistributionError::TooManyBuyers(spec.buyers.len()));
    }
    let mut ids: Vec<&str> = Vec::new();
    for buyer in &spec.buyers {
        let id = || buyer.id.clone();
        if !is_valid_id(&buyer.id) {
            errors.push(DistributionError::InvalidId(id()));
        }
        if ids.contains(&buyer.id.as_str()) {
            errors.push(DistributionError::DuplicateId(id()));
        }
        ids.push(&buyer.id);
        for url in [&buyer.ping_url, &buyer.post_url] {
            if !is_http_url(url) {
                errors.push(DistributionError::InvalidUrl {
                    buyer: id(),
                    url: url.clone(),
                });
            }
        }
        if buyer.auth_secret.trim().is_empty() {
            errors.push(DistributionError::SecretMissing(id()));
        }
        let (min, max) = TIMEOUT_RANGE_MS;
        if !(min..=max).contains(&buyer.timeout_ms) {
            errors.push(DistributionError::TimeoutOutOfRange {
                buyer: id(),
                timeout_ms: buyer.timeout_ms,
            });
        }
        let mut periods: Vec<Period> = Vec::new();
        for cap in &buyer.caps {
            if cap.max == 0 || periods.contains(&cap.per) {
                errors.push(DistributionError::InvalidCap(id()));
            }
            periods.push(cap.per);
        }
        if let Some(zone) = &buyer.time_zone {
            if crate::routing::posix_rule(zone).is_none() {
                errors.push(DistributionError::UnknownTimeZone {
                    buyer: id(),
                    zone: zone.clone(),
                });
            }
        }
        for window in &buyer.hours {
            let valid = !window.days.is_empty()
                && window
                    .minutes()
                    .is_some_and(|(from, to)| from != to && from < 24 * 60);
            if !valid {
                errors.push(DistributionError::InvalidWindow(id()));
            }
        }
        let sale_ok = match (buyer.sale, buyer.max_buyers) {
            (Sale::Exclusive, None) | (Sale::Shared, None) => true,
            (Sale::Exclusive, Some(_)) => false,
            (Sale::Shared, Some(n)) => (2..=MAX_SHARED_BUYERS).contains(&n),
        };
        if !sale_ok {
            errors.push(DistributionError::SaleMismatch(id()));
        }
        if !(1..=MAX_RETURN_WINDOW_DAYS).contains(&buyer.return_window_days) {
            errors.push(DistributionError::ReturnWindowOutOfRange {
                buyer: id(),
                days: buyer.return_window_days,
            });
        }
        if buyer.pings_per_minute == Some(0) {
            errors.push(DistributionError::PingLimitZero(id()));
        }
    }
}

#[cfg(feature = "destinations")]
fn check_destination(
    spec: &FormSpec,
    index: usize,
    buyers: &[String],
    ping_fields: &[String],
    auction_ms: u32,
    errors: &mut Vec<DistributionError>,
) {
    if spec.buyers.is_empty() {
        errors.push(DistributionError::NoBuyers(index));
    }
    for name in buyers {
        if !spec.buyers.iter().any(|b| &b.id == name) {
            errors.push(DistributionError::UnknownBuyer {
                destination: index,
                buyer: name.clone(),
            });
        }
    }
    for id in ping_fields {
        match spec.field(id) {
            None => errors.push(DistributionError::PingFieldUnknown {
                destination: index,
                field: id.clone(),
            }),
            Some(field) if !PING_FIELD_KINDS.contains(&field.kind) || field.is_identity() => {
                errors.push(DistributionError::PingFieldNotAllowed {
                    destination: index,
                    field: id.clone(),
                });
            }
            Some(_) => {}
        }
    }
    // Timeouts out of range have their own error.
    let (_, max_timeout) = TIMEOUT_RANGE_MS;
    let longest = selected_buyers(spec, buyers)
        .map(|b| b.timeout_ms)
        .filter(|t| *t <= max_timeout)
        .max()
        .unwrap_or(0);
    if auction_ms < longest || auction_ms > 60_000 {
        errors.push(DistributionError::AuctionWindowOutOfRange {
            destination: index,
            auction_ms,
        });
    }
}

/// The destinations that are some distribution's `fallback`: they get a
/// lead only when its auction sold nothing.
#[cfg(feature = "destinations")]
pub fn fallback_targets(spec: &FormSpec) -> Vec<usize> {
    spec.destinations
        .iter()
        .filter_map(|d| match d {
            crate::spec::Destination::Distribution { fallback, .. } => *fallback,
            _ => None,
        })
        .collect()
}

#[cfg(feature = "destinations")]
/// The buyers a distribution destination pings: those it names, in the
/// spec's order, or every buyer when it names none.
pub fn selected_buyers<'a>(
    spec: &'a FormSpec,
    names: &'a [String],
) -> impl Iterator<Item = &'a Buyer> + 'a {
    spec.buyers
        .iter()
        .filter(move |b| names.is_empty() || names.contains(&b.id))
}

/// A keyed duplicate-check hash: 32 bytes as lower-case hex. Only a digest
/// can make one (the edge's HMAC with the buyer's key), so no value of the
/// lead can pass through it in the clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchHash(String);

impl MatchHash {
    pub fn from_digest(digest: [u8; 32]) -> MatchHash {
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        MatchHash(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The buyer's duplicate check: keyed hashes of the lead's email and phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Matches {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<MatchHash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<MatchHash>,
}

impl Matches {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none()
    }
}

/// An answer a ping may carry: option values copied from the spec, a number
/// re-rendered from its parsed value, or a tick.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PingValue {
    Choice(String),
    Choices(Vec<String>),
    Number(f64),
    Flag(bool),
}

/// What a buyer sees before it buys: no name, email, phone, street address
/// or free text (see the module doc). Built only by [`Ping::build`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ping {
    form_id: String,
    /// Seconds since the lead was received.
    lead_age_s: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
    /// The owner's `ping_fields`, by field id, in the spec's order.
    answers: FieldMap<PingValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grade: Option<Grade>,
    /// The channels the visitor consented to, sorted, each once.
    consent_channels: Vec<ConsentChannel>,
    #[serde(skip_serializing_if = "Matches::is_empty")]
    matches: Matches,
}

/// What [`Ping::build`] reads from a stored lead.
pub struct PingFacts<'a> {
    pub values: &'a FieldMap<FieldValue>,
    /// The channels of every consent the visitor gave.
    pub consent_channels: &'a [ConsentChannel],
    pub qualification: Option<&'a Qualification>,
    pub received_ms: u64,
    pub now_ms: u64,
}

impl Ping {
    /// The ping of a lead for one buyer: `ping_fields` are the distribution
    /// destination's, `matches` the buyer's keyed hashes. A value that is not
    /// what its field allows (an answer not among the options, a number that
    /// does not parse, a postal code that is not one) is left out.
    pub fn build(
        spec: &FormSpec,
        ping_fields: &[String],
        facts: &PingFacts<'_>,
        matches: Matches,
    ) -> Ping {
        let mut answers = FieldMap::new();
        for field in spec.fields.iter().filter(|f| ping_fields.contains(&f.id)) {
            if field.is_identity() {
                continue;
            }
            let Some(value) = facts.values.get(&field.id) else {
                continue;
            };
            // The spec's own option text, never the submitted one.
            let option = |text: &str| {
                field
                    .options
                    .iter()
                    .find(|o| o.value == text)
                    .map(|o| o.value.clone())
            };
            let ping_value = match (field.kind, value) {
                (FieldKind::Select, FieldValue::Text(text)) => option(text).map(PingValue::Choice),
                (FieldKind::MultiSelect, FieldValue::List(items)) => {
                    let chosen: Option<Vec<String>> = items.iter().map(|i| option(i)).collect();
                    chosen.map(PingValue::Choices)
                }
                (FieldKind::Checkbox, FieldValue::Bool(ticked)) => Some(PingValue::Flag(*ticked)),
                (FieldKind::Number, FieldValue::Text(text)) => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(PingValue::Number),
                _ => None,
            };
            if let Some(ping_value) = ping_value {
                answers.insert(field.id.clone(), ping_value);
            }
        }
        let postal_code = spec
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::PostalCode)
            .find_map(|f| match facts.values.get(&f.id) {
                Some(FieldValue::Text(text)) => postal_area(text),
                _ => None,
            });
        let mut consent_channels = facts.consent_channels.to_vec();
        consent_channels.sort();
        consent_channels.dedup();
        let qualification = facts.qualification;
        Ping {
            form_id: spec.id.clone(),
            lead_age_s: facts.now_ms.saturating_sub(facts.received_ms) / 1000,
            postal_code,
            answers,
            score: qualification.map(|q| q.score),
            // The spec's tier id, not whatever the record says.
            tier: qualification
                .and_then(|q| q.tier.as_deref())
                .and_then(|t| spec.tiers.iter().find(|tier| tier.id == t))
                .map(|t| t.id.clone()),
            grade: qualification.and_then(|q| q.grade),
            consent_channels,
            matches,
        }
    }

    /// The JSON body of the ping.
    pub fn to_json(&self) -> String {
        // Strings, numbers and enums only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    pub fn answers(&self) -> &FieldMap<PingValue> {
        &self.answers
    }
}

/// A postal code as the area a ping may name: a US ZIP's five digits (of
/// `12345` or `12345-6789`), or the outward part of a code with a space
/// (`SW1A 1AA` → `SW1A`, `K1A 0B6` → `K1A`), upper-case ASCII letters and
/// digits of 2 to 5 characters; anything else is no area.
pub fn postal_area(code: &str) -> Option<String> {
    let code = code.trim();
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((zip, plus4)) = code.split_once('-') {
        let ok = digits(zip) && plus4.len() == 4 && plus4.bytes().all(|b| b.is_ascii_digit());
        return ok.then(|| zip.to_owned());
    }
    if digits(code) {
        return Some(code.to_owned());
    }
    let (outward, inward) = code.split_once(' ')?;
    let alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    let ok = (2..=5).contains(&outward.len())
        && alnum(outward)
        && (2..=4).contains(&inward.len())
        && alnum(inward);
    ok.then(|| outward.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_areas() {
        for (code, area) in [
            ("12345", Some("12345")),
            ("12345-6789", Some("12345")),
            ("1234", None),
            ("12345-678", None),
            ("SW1A 1AA", Some("SW1A")),
            ("K1A 0B6", Some("K1A")),
            ("10115", Some("10115")),
            ("1 Main Street", None),
            ("sw1a 1aa", None),
            ("", None),
            ("<b>1 2</b>", None),
        ] {
            assert_eq!(postal_area(code).as_deref(), area, "{code}");
        }
    }

    #[test]
    fn match_hash_is_hex_of_the_digest() {
        let mut digest = [0u8; 32];
        digest[0] = 0xab;
        digest[31] = 0x01;
        let hash = MatchHash::from_digest(digest);
        assert_eq!(hash.as_str().len(), 64);
        assert!(hash.as_str().starts_with("ab00"));
        assert!(hash.as_str().ends_with("01"));
    }

    /// The widget (no `destinations` feature) does not even know the key:
    /// a spec carrying buyers is refused, not read (run with
    /// `cargo test -p leadform-shared --no-default-features --lib`).
    #[cfg(not(feature = "destinations"))]
    #[test]
    fn the_widget_never_reads_buyers() {
        let json = r#"{"id":"w","fields":[{"id":"e","kind":"email","label":"E"}],
            "buyers":[{"id":"x","ping_url":"https://x.example/p","post_url":"https://x.example/q","auth_secret":"S"}]}"#;
        let read: Result<FormSpec, _> = serde_json::from_str(json);
        let error = read.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("unknown field `buyers`"), "{error}");
    }

    #[test]
    fn reasons_round_trip() {
        for reason in ReturnReason::ALL {
            assert_eq!(ReturnReason::parse(reason.as_str()), Some(*reason));
        }
        assert_eq!(ReturnReason::parse("changed_my_mind"), None);
    }
}
