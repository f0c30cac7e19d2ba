//! Lead routing and speed-to-lead rules of a form spec: ordered `[[routes]]`
//! (a condition and a group of recipients), `[[recipients]]` (a destination
//! with its caps, delivery hours and time zone) and `[[channels]]` (where
//! notifications and SLA escalations go), and their checks.
//!
//! Server-side only, like destinations: [`crate::FormSpec::public`] leaves it
//! all out, and without the `destinations` feature (the widget) none of it is
//! read or checked. This module describes and checks; the decision (which
//! route, which recipient, caps, local time) is the edge's
//! (`leadform_edge::routing`), since it needs the clock and counters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::scoring::{Grade, Match};
use crate::spec::{FormSpec, SpecError};

/// One ordered route: the first whose `when` holds takes the lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub id: String,
    /// Every condition set must hold; an empty `when` always holds.
    #[serde(default, skip_serializing_if = "When::is_empty")]
    pub when: When,
    /// Recipient ids, in priority order.
    pub to: Vec<String>,
    #[serde(default)]
    pub method: Method,
    /// When every recipient is capped or closed.
    #[serde(default)]
    pub overflow: Overflow,
    /// The recipient of `overflow = "default"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow_to: Option<String>,
    /// Channel ids told at once of each lead this route takes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Minutes within which a "contacted" status must arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_minutes: Option<u32>,
    /// Channel ids told when the SLA passes without contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<String>,
}

/// A route's condition. Each part that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Tests on the answers (and attribution, consents, time to fill), the
    /// scoring rules' [`Match`]: each must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Match>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<PostalRule>,
    /// ISO 3166-1 alpha-2 codes of the visitor's country (the request's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// Local time of arrival within one of these windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_time: Option<LocalTime>,
    /// The lead's score at least / at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_max: Option<i32>,
    /// The lead's tier is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// The lead's grade is at least this (`A+` .. `F`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_min: Option<Grade>,
}

impl When {
    pub fn is_empty(&self) -> bool {
        *self == When::default()
    }
}

/// A postal-code field starting with one of `prefixes` or within one of
/// `ranges` (compared on the code's first `from.len()` characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalRule {
    pub field: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<PostalRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalRange {
    pub from: String,
    pub to: String,
}

/// Windows of local time in a time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalTime {
    pub time_zone: String,
    pub hours: Vec<Window>,
}

/// Days of the week and a time span `from`..`to` (`HH:MM`, `to` exclusive;
/// `to` before `from` runs past midnight into the next day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub days: Vec<Weekday>,
    pub from: String,
    pub to: String,
}

impl Window {
    /// `from` and `to` in minutes after midnight (`24:00` is 1440).
    pub fn minutes(&self) -> Option<(u16, u16)> {
        Some((parse_hhmm(&self.from)?, parse_hhmm(&self.to)?))
    }
}

/// `HH:MM` as minutes after midnight; `24:00` is 1440.
pub fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    let minutes = h * 60 + m;
    (m < 60 && minutes <= 24 * 60).then_some(minutes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Monday is 0.
    pub const fn index(self) -> u8 {
        self as u8
    }
}

/// How a route picks among its recipients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The first open recipient in `to` order.
    #[default]
    Priority,
    /// Each lead to the next recipient in turn (skipping capped or closed ones).
    RoundRobin,
    /// At random in proportion to each recipient's `weight`.
    Weighted,
    /// Every open recipient.
    All,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Priority => "priority",
            Method::RoundRobin => "round_robin",
            Method::Weighted => "weighted",
            Method::All => "all",
        }
    }
}

/// What happens when no recipient of a route is open and under its caps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// No routed delivery (the lead is kept; unrouted destinations get it).
    #[default]
    None,
    /// To `overflow_to`, whatever its caps and hours.
    Default,
    /// To the recipient whose delivery hours open first, at that time.
    Hold,
}

/// A destination as a route recipient: its caps and delivery hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub id: String,
    /// Index into the form's `[[destinations]]` (0 is the first).
    pub destination: usize,
    /// The time zone of `caps` periods and `hours`; UTC when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Relative share under `method = "weighted"`.
    #[serde(default = "default_weight")]
    pub weight: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<Cap>,
    /// Delivery schedule; always open when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<Window>,
}

fn default_weight() -> u32 {
    1
}

/// At most `max` leads per calendar `per` (in the recipient's time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    pub max: u32,
    pub per: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

impl Period {
    pub const fn as_str(self) -> &'static str {
        match self {
            Period::Minute => "minute",
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// Where a notification goes. Secrets are named, never written here; base
/// URLs are the providers' (rewritable with `DESTINATION_URL_REWRITES`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// A Slack-compatible incoming webhook; its URL is a secret.
    Slack { id: String, url_secret: String },
    /// An SMS through Twilio's Messages API.
    TwilioSms {
        id: String,
        account_sid: String,
        auth_token_secret: String,
        from: String,
        to: Vec<String>,
    },
    /// An email through Resend's `POST /emails` API.
    Email {
        id: String,
        api_key_secret: String,
        from: String,
        to: Vec<String>,
    },
}

impl Channel {
    pub fn id(&self) -> &str {
        match self {
            Channel::Slack { id, .. }
            | Channel::TwilioSms { id, .. }
            | Channel::Email { id, .. } => id,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Slack { .. } => "slack",
            Channel::TwilioSms { .. } => "twilio_sms",
            Channel::Email { .. } => "email",
        }
    }
}

/// The time zones a spec may name, as POSIX TZ rules (their current rules:
/// routing looks at the present and the next days, not at history). A short
/// table instead of the whole tz database keeps the Worker small.
pub const TIME_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC0"),
    ("America/New_York", "EST5EDT,M3.2.0,M11.1.0"),
    ("America/Chicago", "CST6CDT,M3.2.0,M11.1.0"),
    ("America/Denver", "MST7MDT,M3.2.0,M11.1.0"),
    ("America/Phoenix", "MST7"),
    ("America/Los_Angeles", "PST8PDT,M3.2.0,M11.1.0"),
    ("America/Anchorage", "AKST9AKDT,M3.2.0,M11.1.0"),
    ("Pacific/Honolulu", "HST10"),
    ("America/Toronto", "EST5EDT,M3.2.0,M11.1.0"),
    ("America/Vancouver", "PST8PDT,M3.2.0,M11.1.0"),
    ("America/Halifax", "AST4ADT,M3.2.0,M11.1.0"),
    ("America/Winnipeg", "CST6CDT,M3.2.0,M11.1.0"),
    ("America/Edmonton", "MST7MDT,M3.2.0,M11.1.0"),
    ("America/Mexico_City", "CST6"),
    ("America/Sao_Paulo", "<-03>3"),
    ("Europe/London", "GMT0BST,M3.5.0/1,M10.5.0"),
    ("Europe/Dublin", "GMT0IST,M3.5.0/1,M10.5.0"),
    ("Europe/Lisbon", "WET0WEST,M3.5.0/1,M10.5.0"),
    ("Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Madrid", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Rome", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Amsterdam", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Brussels", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Vienna", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Zurich", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Stockholm", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Oslo", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Copenhagen", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Warsaw", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Prague", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ("Europe/Athens", "EET-2EEST,M3.5.0/3,M10.5.0/4"),
    ("Europe/Helsinki", "EET-2EEST,M3.5.0/3,M10.5.0/4"),
    ("Europe/Bucharest", "EET-2EEST,M3.5.0/3,M10.5.0/4"),
    ("Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3"),
    ("Australia/Melbourne", "AEST-10AEDT,M10.1.0,M4.1.0/3"),
    ("Australia/Brisbane", "AEST-10"),
    ("Australia/Adelaide", "ACST-9:30ACDT,M10.1.0,M4.1.0/3"),
    ("Australia/Perth", "AWST-8"),
    ("Pacific/Auckland", "NZST-12NZDT,M9.5.0,M4.1.0/3"),
    ("Asia/Tokyo", "JST-9"),
    ("Asia/Singapore", "<+08>-8"),
    ("Asia/Hong_Kong", "HKT-8"),
    ("Asia/Shanghai", "CST-8"),
    ("Asia/Kolkata", "IST-5:30"),
    ("Asia/Dubai", "<+04>-4"),
];

/// The POSIX TZ rule of a zone [`TIME_ZONES`] knows.
pub fn posix_rule(time_zone: &str) -> Option<&'static str> {
    TIME_ZONES
        .iter()
        .find(|(name, _)| *name == time_zone)
        .map(|(_, rule)| *rule)
}

/// What is wrong with a spec's routing. Each names its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingError {
    /// Two routes, recipients or channels share an id.
    DuplicateId(String),
    /// A route names a recipient (in `to` or `overflow_to`) that is not declared.
    UnknownRecipient { route: String, recipient: String },
    /// A route has no recipients.
    NoRecipients(String),
    /// A recipient's `destination` index is past the form's destinations.
    UnknownDestination { recipient: String, index: usize },
    /// A route's condition names a field the form does not have.
    UnknownField { route: String, field: String },
    /// A route's `tiers` names a tier the form does not have.
    UnknownTier { route: String, tier: String },
    /// A condition that can never hold or says nothing (empty lists,
    /// min above max, a postal range whose ends differ in length or are
    /// inverted).
    ImpossibleCondition { route: String, what: &'static str },
    /// A time zone not in [`TIME_ZONES`].
    UnknownTimeZone(String),
    /// A window with a bad `HH:MM`, no days, or `from` equal to `to`.
    InvalidWindow { place: String },
    /// A cap of 0, or the same period capped twice.
    InvalidCap { recipient: String },
    /// `method = "weighted"` over a recipient of weight 0.
    ZeroWeight { route: String, recipient: String },
    /// `overflow = "default"` without `overflow_to`, or `overflow_to` with
    /// another overflow.
    OverflowMismatch(String),
    /// A route names a channel that is not declared.
    UnknownChannel { route: String, channel: String },
    /// A tier's `notify` names a channel that is not declared.
    TierUnknownChannel { tier: String, channel: String },
    /// `sla_minutes` without `escalate`, or an SLA of 0 minutes.
    SlaMismatch(String),
    /// A channel's phone number is not E.164, or its email address has no `@`.
    InvalidChannelAddress { channel: String, address: String },
    /// The same destination is the recipient of two recipients.
    DestinationTwice(usize),
}

impl RoutingError {
    pub fn code(&self) -> &'static str {
        match self {
            RoutingError::DuplicateId(_) => "spec.route_duplicate_id",
            RoutingError::UnknownRecipient { .. } => "spec.route_unknown_recipient",
            RoutingError::NoRecipients(_) => "spec.route_no_recipients",
            RoutingError::UnknownDestination { .. } => "spec.route_unknown_destination",
            RoutingError::UnknownField { .. } => "spec.route_unknown_field",
            RoutingError::UnknownTier { .. } => "spec.route_unknown_tier",
            RoutingError::ImpossibleCondition { .. } => "spec.route_impossible_condition",
            RoutingError::UnknownTimeZone(_) => "spec.route_unknown_time_zone",
            RoutingError::InvalidWindow { .. } => "spec.route_invalid_window",
            RoutingError::InvalidCap { .. } => "spec.route_invalid_cap",
            RoutingError::ZeroWeight { .. } => "spec.route_zero_weight",
            RoutingError::OverflowMismatch(_) => "spec.route_overflow_mismatch",
            RoutingError::UnknownChannel { .. } => "spec.route_unknown_channel",
            RoutingError::TierUnknownChannel { .. } => "spec.tier_unknown_channel",
            RoutingError::SlaMismatch(_) => "spec.route_sla_mismatch",
            RoutingError::InvalidChannelAddress { .. } => "spec.channel_invalid_address",
            RoutingError::DestinationTwice(_) => "spec.route_destination_twice",
        }
    }
}

impl fmt::Display for RoutingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutingError::DuplicateId(id) => {
                write!(f, "route, recipient or channel id `{id}` is used twice")
            }
            RoutingError::UnknownRecipient { route, recipient } => {
                write!(f, "route `{route}` names unknown recipient `{recipient}`")
            }
            RoutingError::NoRecipients(route) => write!(f, "route `{route}` has no recipients"),
            RoutingError::UnknownDestination { recipient, index } => write!(
                f,
                "recipient `{recipient}` names destination {index}, which the form does not have"
            ),
            RoutingError::UnknownField { route, field } => {
                write!(f, "route `{route}` tests unknown field `{field}`")
            }
            RoutingError::UnknownTier { route, tier } => {
                write!(
                    f,
                    "route `{route}` names tier `{tier}`, which the form does not have"
                )
            }
            RoutingError::ImpossibleCondition { route, what } => {
                write!(
                    f,
                    "route `{route}` has an impossible or empty condition: {what}"
                )
            }
            RoutingError::UnknownTimeZone(zone) => write!(
                f,
                "time zone `{zone}` is not one of the known zones (shared::routing::TIME_ZONES)"
            ),
            RoutingError::InvalidWindow { place } => write!(
                f,
                "{place}: a window needs days and HH:MM times with `from` different from `to`"
            ),
            RoutingError::InvalidCap { recipient } => write!(
                f,
                "recipient `{recipient}` has a cap of 0 or caps one period twice"
            ),
            RoutingError::ZeroWeight { route, recipient } => write!(
                f,
                "weighted route `{route}` has recipient `{recipient}` of weight 0"
            ),
            RoutingError::OverflowMismatch(route) => write!(
                f,
                "route `{route}`: overflow = \"default\" and overflow_to go together"
            ),
            RoutingError::UnknownChannel { route, channel } => {
                write!(f, "route `{route}` names unknown channel `{channel}`")
            }
            RoutingError::TierUnknownChannel { tier, channel } => {
                write!(f, "tier `{tier}` notifies unknown channel `{channel}`")
            }
            RoutingError::SlaMismatch(route) => write!(
                f,
                "route `{route}`: sla_minutes must be above 0 and needs escalate channels"
            ),
            RoutingError::InvalidChannelAddress { channel, address } => {
                write!(f, "channel `{channel}` has an invalid address `{address}`")
            }
            RoutingError::DestinationTwice(index) => {
                write!(
                    f,
                    "destination {index} is the destination of two recipients"
                )
            }
        }
    }
}

/// Checks routes, recipients and channels against the form's fields,
/// tiers and destinations.
pub(crate) fn check(spec: &FormSpec, errors: &mut Vec<SpecError>) {
    let mut found = Vec::new();
    check_routing(spec, &mut found, errors);
    errors.extend(found.into_iter().map(SpecError::Routing));
}

fn check_routing(
    spec: &FormSpec,
    errors: &mut Vec<RoutingError>,
    spec_errors: &mut Vec<SpecError>,
) {
    let (routes, recipients, channels) = (&spec.routes, &spec.recipients, &spec.channels);
    let mut ids: Vec<&str> = Vec::new();
    let all_ids = routes
        .iter()
        .map(|r| r.id.as_str())
        .chain(recipients.iter().map(|r| r.id.as_str()))
        .chain(channels.iter().map(Channel::id));
    for id in all_ids {
        if ids.contains(&id) {
            errors.push(RoutingError::DuplicateId(id.to_owned()));
        } else {
            ids.push(id);
        }
    }
    let mut used_destinations: Vec<usize> = Vec::new();
    for recipient in recipients {
        if recipient.destination >= spec.destinations.len() {
            errors.push(RoutingError::UnknownDestination {
                recipient: recipient.id.clone(),
                index: recipient.destination,
            });
        }
        if used_destinations.contains(&recipient.destination) {
            errors.push(RoutingError::DestinationTwice(recipient.destination));
        }
        used_destinations.push(recipient.destination);
        check_zone(recipient.time_zone.as_deref(), errors);
        let mut periods: Vec<Period> = Vec::new();
        for cap in &recipient.caps {
            if cap.max == 0 || periods.contains(&cap.per) {
                errors.push(RoutingError::InvalidCap {
                    recipient: recipient.id.clone(),
                });
            }
            periods.push(cap.per);
        }
        check_windows(
            &format!("recipient `{}`", recipient.id),
            &recipient.hours,
            errors,
        );
    }
    for channel in channels {
        let (addresses, phone): (Vec<&String>, bool) = match channel {
            Channel::Slack { .. } => (Vec::new(), false),
            Channel::TwilioSms { from, to, .. } => {
                (std::iter::once(from).chain(to).collect(), true)
            }
            Channel::Email { from, to, .. } => (std::iter::once(from).chain(to).collect(), false),
        };
        for address in addresses {
            let valid = if phone {
                address.len() > 2
                    && address.starts_with('+')
                    && address[1..].bytes().all(|b| b.is_ascii_digit())
                    && address.len() <= 16
            } else {
                address
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
            };
            if !valid {
                errors.push(RoutingError::InvalidChannelAddress {
                    channel: channel.id().to_owned(),
                    address: address.clone(),
                });
            }
        }
    }
    for tier in &spec.tiers {
        for id in &tier.notify {
            if !channels.iter().any(|c| c.id() == id) {
                errors.push(RoutingError::TierUnknownChannel {
                    tier: tier.id.clone(),
                    channel: id.clone(),
                });
            }
        }
    }
    let recipient = |id: &str| recipients.iter().find(|r| r.id == id);
    for route in routes {
        let name = || route.id.clone();
        if route.to.is_empty() {
            errors.push(RoutingError::NoRecipients(name()));
        }
        for id in route.to.iter().chain(&route.overflow_to) {
            match recipient(id) {
                None => errors.push(RoutingError::UnknownRecipient {
                    route: name(),
                    recipient: id.clone(),
                }),
                Some(r) if route.method == Method::Weighted && r.weight == 0 => {
                    if route.to.contains(id) {
                        errors.push(RoutingError::ZeroWeight {
                            route: name(),
                            recipient: id.clone(),
                        });
                    }
                }
                Some(_) => {}
            }
        }
        if (route.overflow == Overflow::Default) != route.overflow_to.is_some() {
            errors.push(RoutingError::OverflowMismatch(name()));
        }
        for id in route.notify.iter().chain(&route.escalate) {
            if !channels.iter().any(|c| c.id() == id) {
                errors.push(RoutingError::UnknownChannel {
                    route: name(),
                    channel: id.clone(),
                });
            }
        }
        if route.sla_minutes.is_some_and(|m| m == 0)
            || (route.sla_minutes.is_some() && route.escalate.is_empty())
        {
            errors.push(RoutingError::SlaMismatch(name()));
        }
        for tier in &route.when.tiers {
            if !spec.tiers.iter().any(|t| &t.id == tier) {
                errors.push(RoutingError::UnknownTier {
                    route: name(),
                    tier: tier.clone(),
                });
            }
        }
        for (i, answer) in route.when.answers.iter().enumerate() {
            answer.check(
                spec,
                &format!("routes.{}.when.answers[{i}]", route.id),
                spec_errors,
            );
        }
        check_when(route, &|id: &str| spec.field(id).is_some(), errors);
    }
}

fn check_zone(zone: Option<&str>, errors: &mut Vec<RoutingError>) {
    if let Some(zone) = zone {
        if posix_rule(zone).is_none() {
            errors.push(RoutingError::UnknownTimeZone(zone.to_owned()));
        }
    }
}

fn check_windows(place: &str, windows: &[Window], errors: &mut Vec<RoutingError>) {
    for window in windows {
        let valid = !window.days.is_empty()
            && window
                .minutes()
                .is_some_and(|(from, to)| from != to && from < 24 * 60);
        if !valid {
            errors.push(RoutingError::InvalidWindow {
                place: place.to_owned(),
            });
        }
    }
}

fn check_when(route: &Route, field_exists: &impl Fn(&str) -> bool, errors: &mut Vec<RoutingError>) {
    let when = &route.when;
    let impossible = |what: &'static str, errors: &mut Vec<RoutingError>| {
        errors.push(RoutingError::ImpossibleCondition {
            route: route.id.clone(),
            what,
        });
    };
    if let Some(postal) = &when.postal_code {
        if !field_exists(&postal.field) {
            errors.push(RoutingError::UnknownField {
                route: route.id.clone(),
                field: postal.field.clone(),
            });
        }
    }
    if let Some(postal) = &when.postal_code {
        if postal.prefixes.is_empty() && postal.ranges.is_empty() {
            impossible("postal_code needs prefixes or ranges", errors);
        }
        if postal.prefixes.iter().any(|p| p.trim().is_empty()) {
            impossible("an empty postal prefix", errors);
        }
        for range in &postal.ranges {
            if range.from.is_empty() || range.from.len() != range.to.len() || range.from > range.to
            {
                impossible(
                    "a postal range needs ends of one length, from <= to",
                    errors,
                );
            }
        }
    }
    for country in &when.countries {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            impossible("countries are two upper-case letters", errors);
        }
    }
    if let Some(local) = &when.local_time {
        check_zone(Some(&local.time_zone), errors);
        if local.hours.is_empty() {
            impossible("local_time needs hours", errors);
        }
        check_windows(&format!("route `{}`", route.id), &local.hours, errors);
    }
    if let (Some(min), Some(max)) = (when.score_min, when.score_max) {
        if min > max {
            impossible("score_min above score_max", errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hhmm() {
        for (text, minutes) in [
            ("00:00", Some(0)),
            ("08:30", Some(510)),
            ("24:00", Some(1440)),
            ("24:01", None),
            ("8:30", None),
            ("08:60", None),
            ("0830", None),
        ] {
            assert_eq!(parse_hhmm(text), minutes, "{text}");
        }
    }

    #[test]
    fn zones_are_unique() {
        for (i, (name, _)) in TIME_ZONES.iter().enumerate() {
            assert_eq!(posix_rule(name), Some(TIME_ZONES[i].1));
            assert!(TIME_ZONES[..i].iter().all(|(n, _)| n != name), "{name}");
        }
    }

    #[test]
    fn routing_stays_on_the_server() {
        let spec = FormSpec::parse_toml(
            r#"
id = "q"
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[destinations]]
type = "webhook"
url = "https://a.example/h"
secret = "S"
[[recipients]]
id = "a"
destination = 0
caps = [{ max = 3, per = "day" }]
[[channels]]
type = "slack"
id = "sales"
url_secret = "SLACK_URL"
[[routes]]
id = "all"
to = ["a"]
notify = ["sales"]
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.routes.len(), 1);
        let public = spec.public_json();
        for key in ["routes", "recipients", "channels", "SLACK_URL"] {
            assert!(!public.contains(key), "{key} in {public}");
        }
    }
}
