//! Lead routing decisions: which `[[routes]]` entry a lead takes, each
//! recipient's local time (DST-correct, from the POSIX rules in
//! `shared::routing::TIME_ZONES`, evaluated by `jiff`), whether its delivery
//! hours are open, which cap periods it counts against, and [`decide`]: the
//! choice among the candidates (priority, round robin, weighted, all) with
//! the cap counters, skipping capped or closed recipients, then the overflow.
//!
//! Pure: callers pass in the time and a random number; [`decide`] mutates a
//! [`Counters`] value that the `Router` Durable Object (one per form) keeps,
//! so two leads never both take the last slot of a cap. No I/O here.
//! (Not to be confused with [`crate::routes`], the HTTP path router.)

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use leadform_shared::routing::{Cap, Method, Overflow, Period, Recipient, Route, When, Window};
use leadform_shared::scoring::{Facts, Qualification};
use leadform_shared::{FieldValue, FormSpec};
use serde::{Deserialize, Serialize};

/// What a route's condition is tested on.
pub struct LeadFacts<'a> {
    pub facts: Facts<'a>,
    /// The request's country (`CF-IPCountry`), upper-case alpha-2.
    pub country: Option<&'a str>,
    pub qualification: Option<&'a Qualification>,
}

/// A zone by name ([`leadform_shared::routing::TIME_ZONES`]); UTC when unset
/// or unknown (a checked spec names only known zones).
pub fn zone(name: Option<&str>) -> TimeZone {
    name.and_then(leadform_shared::routing::posix_rule)
        .and_then(|rule| TimeZone::posix(rule).ok())
        .unwrap_or(TimeZone::UTC)
}

fn civil(zone: &TimeZone, now_ms: u64) -> DateTime {
    let ts = Timestamp::from_millisecond(now_ms as i64).unwrap_or(Timestamp::UNIX_EPOCH);
    zone.to_datetime(ts)
}

/// Whether the local time `now_ms` in `zone` falls in one of `windows`.
/// A window whose `to` is before `from` runs past midnight: its days are
/// the days it starts on.
pub fn is_open(windows: &[Window], zone: &TimeZone, now_ms: u64) -> bool {
    if windows.is_empty() {
        return true;
    }
    let local = civil(zone, now_ms);
    let day = local.weekday().to_monday_zero_offset() as u8;
    let yesterday = (day + 6) % 7;
    let minute = local.hour() as u16 * 60 + local.minute() as u16;
    windows.iter().any(|window| {
        let Some((from, to)) = window.minutes() else {
            return false;
        };
        let on = |d: u8| window.days.iter().any(|w| w.index() == d);
        if from < to {
            on(day) && (from..to).contains(&minute)
        } else {
            (on(day) && minute >= from) || (on(yesterday) && minute < to)
        }
    })
}

/// The first moment at or after `now_ms` when `windows` are open (within
/// eight days), as Unix ms; `now_ms` itself when open now.
pub fn next_open_ms(windows: &[Window], zone: &TimeZone, now_ms: u64) -> Option<u64> {
    if is_open(windows, zone, now_ms) {
        return Some(now_ms);
    }
    let mut date: Date = civil(zone, now_ms).date();
    let mut best: Option<u64> = None;
    for _ in 0..8 {
        let day = date.weekday().to_monday_zero_offset() as u8;
        for window in windows {
            let Some((from, _)) = window.minutes() else {
                continue;
            };
            if !window.days.iter().any(|w| w.index() == day) {
                continue;
            }
            let start = date.at((from / 60) as i8, (from % 60) as i8, 0, 0);
            // A start inside a DST gap moves forward, as clocks do.
            let Ok(ts) = zone.to_ambiguous_timestamp(start).compatible() else {
                continue;
            };
            let ms = ts.as_millisecond();
            if ms >= now_ms as i64 {
                let ms = ms as u64;
                best = Some(best.map_or(ms, |b| b.min(ms)));
            }
        }
        if best.is_some() {
            return best;
        }
        date = date.tomorrow().ok()?;
    }
    best
}

/// The counter key of `cap`'s calendar period holding `now_ms` in `zone`:
/// `day:2026-12-02`, `week:2026-W49`, ... (keys of one period kind sort in
/// time order).
pub fn period_key(period: Period, zone: &TimeZone, now_ms: u64) -> String {
    let t = civil(zone, now_ms);
    let (y, m, d, h, min) = (t.year(), t.month(), t.day(), t.hour(), t.minute());
    match period {
        Period::Minute => format!("minute:{y:04}-{m:02}-{d:02}T{h:02}:{min:02}"),
        Period::Hour => format!("hour:{y:04}-{m:02}-{d:02}T{h:02}"),
        Period::Day => format!("day:{y:04}-{m:02}-{d:02}"),
        Period::Week => {
            let week = t.date().iso_week_date();
            format!("week:{:04}-W{:02}", week.year(), week.week())
        }
        Period::Month => format!("month:{y:04}-{m:02}"),
    }
}

/// Whether a route's condition holds for a lead arriving at `now_ms`.
pub fn holds(spec: &FormSpec, when: &When, lead: &LeadFacts<'_>, now_ms: u64) -> bool {
    if !when.answers.iter().all(|m| m.holds(&lead.facts)) {
        return false;
    }
    if let Some(rule) = &when.postal_code {
        let Some(FieldValue::Text(code)) = lead.facts.values.get(&rule.field) else {
            return false;
        };
        let code: String = code
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        let prefix = rule.prefixes.iter().any(|p| {
            let p: String = p
                .chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_uppercase)
                .collect();
            code.starts_with(&p)
        });
        let range = rule.ranges.iter().any(|r| {
            code.get(..r.from.len())
                .is_some_and(|head| r.from.as_str() <= head && head <= r.to.as_str())
        });
        if !(prefix || range) {
            return false;
        }
    }
    if !when.countries.is_empty()
        && !lead
            .country
            .is_some_and(|c| when.countries.iter().any(|w| w.eq_ignore_ascii_case(c)))
    {
        return false;
    }
    if let Some(local) = &when.local_time {
        if !is_open(&local.hours, &zone(Some(&local.time_zone)), now_ms) {
            return false;
        }
    }
    let q = lead.qualification;
    if when.score_min.is_some() || when.score_max.is_some() {
        let Some(score) = q.map(|q| q.score) else {
            return false;
        };
        if when.score_min.is_some_and(|m| score < m) || when.score_max.is_some_and(|m| score > m) {
            return false;
        }
    }
    if !when.tiers.is_empty()
        && !q
            .and_then(|q| q.tier.as_deref())
            .is_some_and(|t| when.tiers.iter().any(|w| w == t))
    {
        return false;
    }
    if let Some(min) = when.grade_min {
        if q.and_then(|q| q.grade).is_none_or(|g| g < min) {
            return false;
        }
    }
    let _ = spec;
    true
}

/// The first route whose condition holds.
pub fn select_route<'s>(
    spec: &'s FormSpec,
    lead: &LeadFacts<'_>,
    now_ms: u64,
) -> Option<&'s Route> {
    spec.routes
        .iter()
        .find(|route| holds(spec, &route.when, lead, now_ms))
}

/// One cap slot a candidate would take: the counter key and its maximum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub key: String,
    pub max: u32,
    pub per: Period,
}

/// A recipient as [`decide`] sees it: open now or not, the slots it takes
/// now, and (for a hold) when it opens and the slots it takes then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub recipient: String,
    /// The destination key (`{index}:{kind}`) its deliveries go to.
    pub destination: String,
    pub weight: u32,
    pub open: bool,
    pub slots: Vec<Slot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots_then: Vec<Slot>,
}

fn slots(recipient: &Recipient, caps: &[Cap], zone: &TimeZone, at_ms: u64) -> Vec<Slot> {
    caps.iter()
        .map(|cap| Slot {
            key: format!("{}|{}", recipient.id, period_key(cap.per, zone, at_ms)),
            max: cap.max,
            per: cap.per,
        })
        .collect()
}

/// The candidate of `recipient` at `now_ms`.
pub fn candidate(
    spec: &FormSpec,
    recipient: &Recipient,
    now_ms: u64,
    with_hold: bool,
) -> Candidate {
    let zone = zone(recipient.time_zone.as_deref());
    let destination = spec
        .destinations
        .get(recipient.destination)
        .map(|d| crate::delivery::destination_key(recipient.destination, d))
        .unwrap_or_default();
    let open = is_open(&recipient.hours, &zone, now_ms);
    let opens_at_ms = if with_hold && !open {
        next_open_ms(&recipient.hours, &zone, now_ms)
    } else {
        None
    };
    Candidate {
        recipient: recipient.id.clone(),
        destination,
        weight: recipient.weight,
        open,
        slots: slots(recipient, &recipient.caps, &zone, now_ms),
        slots_then: opens_at_ms
            .map(|at| slots(recipient, &recipient.caps, &zone, at))
            .unwrap_or_default(),
        opens_at_ms,
    }
}

/// What the `Router` Durable Object is asked to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRequest {
    pub route: String,
    pub method: Method,
    pub candidates: Vec<Candidate>,
    pub overflow: Overflow,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow_to: Option<Candidate>,
    /// Uniform in [0, 1): the weighted draw.
    pub random: f64,
}

/// The request for `route` at `now_ms`.
pub fn request(spec: &FormSpec, route: &Route, now_ms: u64, random: f64) -> RouteRequest {
    let find = |id: &str| spec.recipients.iter().find(|r| r.id == id);
    let hold = route.overflow == Overflow::Hold;
    RouteRequest {
        route: route.id.clone(),
        method: route.method,
        candidates: route
            .to
            .iter()
            .filter_map(|id| find(id))
            .map(|r| candidate(spec, r, now_ms, hold))
            .collect(),
        overflow: route.overflow,
        overflow_to: route
            .overflow_to
            .as_deref()
            .and_then(find)
            .map(|r| candidate(spec, r, now_ms, false)),
        random,
    }
}

/// The cap counters and round-robin positions of one form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// `recipient|period-key` → leads taken in that period.
    pub counts: Vec<(String, u32)>,
    /// Route id → index of the recipient after the last one chosen.
    pub next: Vec<(String, u32)>,
}

impl Counters {
    fn count(&self, key: &str) -> u32 {
        self.counts
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, n)| *n)
    }

    /// The first full slot of `slots`, if any.
    fn full<'a>(&self, slots: &'a [Slot]) -> Option<&'a Slot> {
        slots.iter().find(|slot| self.count(&slot.key) >= slot.max)
    }

    /// Takes one of each slot; drops counters of earlier periods of the
    /// same recipient and kind (their keys sort before the new one).
    fn take(&mut self, slots: &[Slot]) {
        for slot in slots {
            let kind = slot.key.split(':').next().unwrap_or("");
            self.counts
                .retain(|(k, _)| !(k.starts_with(kind) && k.as_str() < slot.key.as_str()));
            match self.counts.iter_mut().find(|(k, _)| *k == slot.key) {
                Some((_, n)) => *n += 1,
                None => self.counts.push((slot.key.clone(), 1)),
            }
        }
    }

    fn next_index(&self, route: &str) -> u32 {
        self.next
            .iter()
            .find(|(r, _)| r == route)
            .map_or(0, |(_, n)| *n)
    }

    fn set_next(&mut self, route: &str, index: u32) {
        match self.next.iter_mut().find(|(r, _)| r == route) {
            Some((_, n)) => *n = index,
            None => self.next.push((route.to_owned(), index)),
        }
    }
}

/// A recipient looked at, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tried {
    pub recipient: String,
    /// `chosen`, `closed` (outside its hours), `capped_day` (a full cap:
    /// `capped_minute` ... `capped_month`), `held` (chosen for later).
    pub outcome: String,
}

/// A recipient a lead goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    pub recipient: String,
    pub destination: String,
}

/// The routing decision, stored with the lead (`routing` in
/// `GET /v1/leads/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The route taken; `None` when no route's condition held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub chosen: Vec<Chosen>,
    pub tried: Vec<Tried>,
    /// `default` or `hold` when no candidate was open and under its caps;
    /// `none` when that left the lead without a routed destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<String>,
    /// A held lead's delivery time (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_until_ms: Option<u64>,
    /// Why the counters were not used (`router_unavailable`): the lead went
    /// to its first candidate, uncounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn skipped(counters: &Counters, candidate: &Candidate) -> Option<String> {
    if !candidate.open {
        return Some("closed".to_owned());
    }
    counters
        .full(&candidate.slots)
        .map(|slot| format!("capped_{}", slot.per.as_str()))
}

/// Chooses among a route's candidates, counting the chosen ones' cap slots.
pub fn decide(counters: &mut Counters, request: &RouteRequest) -> Decision {
    let mut decision = Decision {
        route: Some(request.route.clone()),
        method: Some(request.method.as_str().to_owned()),
        ..Decision::default()
    };
    let n = request.candidates.len();
    let order: Vec<usize> = match request.method {
        Method::RoundRobin if n > 0 => {
            let start = counters.next_index(&request.route) as usize % n;
            (0..n).map(|i| (start + i) % n).collect()
        }
        _ => (0..n).collect(),
    };
    let mut chosen: Vec<usize> = Vec::new();
    match request.method {
        Method::Weighted => {
            let available: Vec<usize> = order
                .iter()
                .copied()
                .filter(|&i| {
                    let why = skipped(counters, &request.candidates[i]);
                    if let Some(outcome) = &why {
                        decision.tried.push(Tried {
                            recipient: request.candidates[i].recipient.clone(),
                            outcome: outcome.clone(),
                        });
                    }
                    why.is_none()
                })
                .collect();
            let total: u64 = available
                .iter()
                .map(|&i| u64::from(request.candidates[i].weight))
                .sum();
            if total > 0 {
                let mut point = (request.random.clamp(0.0, 0.999_999_999) * total as f64) as u64;
                for &i in &available {
                    let weight = u64::from(request.candidates[i].weight);
                    if point < weight {
                        chosen.push(i);
                        break;
                    }
                    point -= weight;
                }
            }
        }
        _ => {
            for &i in &order {
                let candidate = &request.candidates[i];
                match skipped(counters, candidate) {
                    Some(outcome) => decision.tried.push(Tried {
                        recipient: candidate.recipient.clone(),
                        outcome,
                    }),
                    None => {
                        chosen.push(i);
                        if request.method != Method::All {
                            break;
                        }
                    }
                }
            }
        }
    }
    for &i in &chosen {
        let candidate = &request.candidates[i];
        counters.take(&candidate.slots);
        decision.tried.push(Tried {
            recipient: candidate.recipient.clone(),
            outcome: "chosen".to_owned(),
        });
        decision.chosen.push(Chosen {
            recipient: candidate.recipient.clone(),
            destination: candidate.destination.clone(),
        });
    }
    if request.method == Method::RoundRobin {
        if let Some(&last) = chosen.last() {
            counters.set_next(&request.route, ((last + 1) % n.max(1)) as u32);
        }
    }
    if !decision.chosen.is_empty() {
        return decision;
    }
    match request.overflow {
        Overflow::None => decision.overflow = Some("none".to_owned()),
        Overflow::Default => {
            decision.overflow = Some("default".to_owned());
            if let Some(to) = &request.overflow_to {
                counters.take(&to.slots);
                decision.tried.push(Tried {
                    recipient: to.recipient.clone(),
                    outcome: "chosen".to_owned(),
                });
                decision.chosen.push(Chosen {
                    recipient: to.recipient.clone(),
                    destination: to.destination.clone(),
                });
            }
        }
        Overflow::Hold => {
            // The earliest opening among those with room in that period.
            let mut later: Vec<&Candidate> = request
                .candidates
                .iter()
                .filter(|c| c.opens_at_ms.is_some())
                .collect();
            later.sort_by_key(|c| c.opens_at_ms);
            match later
                .into_iter()
                .find(|c| counters.full(&c.slots_then).is_none())
            {
                Some(c) => {
                    counters.take(&c.slots_then);
                    decision.overflow = Some("hold".to_owned());
                    decision.hold_until_ms = c.opens_at_ms;
                    decision.tried.push(Tried {
                        recipient: c.recipient.clone(),
                        outcome: "held".to_owned(),
                    });
                    decision.chosen.push(Chosen {
                        recipient: c.recipient.clone(),
                        destination: c.destination.clone(),
                    });
                }
                None => decision.overflow = Some("none".to_owned()),
            }
        }
    }
    decision
}

/// The decision when the counters cannot be reached: the first candidate
/// (or the overflow recipient), uncounted. A lead is never left unrouted
/// because a Durable Object was down.
pub fn decide_uncounted(request: &RouteRequest) -> Decision {
    let mut counters = Counters::default();
    let mut decision = decide(&mut counters, request);
    decision.note = Some("router_unavailable".to_owned());
    decision
}

/// The destination keys a lead goes to: the chosen recipients' and every
/// destination no recipient names (those take every lead). Without routes,
/// every destination. A distribution's `fallback` is none of them: it gets
/// the lead only when the auction sold nothing.
pub fn destinations(spec: &FormSpec, decision: Option<&Decision>) -> Vec<String> {
    let fallbacks = leadform_shared::distribution::fallback_targets(spec);
    spec.destinations
        .iter()
        .enumerate()
        .filter(|(i, _)| !fallbacks.contains(i))
        .filter(|(i, _)| {
            let routed = spec.recipients.iter().any(|r| r.destination == *i);
            !routed
                || decision.is_some_and(|d| {
                    let key = crate::delivery::destination_key(*i, &spec.destinations[*i]);
                    d.chosen.iter().any(|c| c.destination == key)
                })
        })
        .map(|(i, d)| crate::delivery::destination_key(i, d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_shared::envelope::Attribution;
    use leadform_shared::FieldMap;

    fn at(text: &str) -> u64 {
        crate::time::parse_rfc3339(text).expect("a UTC time")
    }

    const SPEC: &str = r#"
id = "quote"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "zip"
kind = "postal_code"
label = "ZIP"
country = "US"
[[fields]]
id = "service"
kind = "select"
label = "Service"
options = [{ value = "plumbing" }, { value = "electric" }]

[[destinations]]
type = "webhook"
url = "https://a.example/hook"
secret = "A"
[[destinations]]
type = "webhook"
url = "https://b.example/hook"
secret = "B"
[[destinations]]
type = "webhook"
url = "https://c.example/hook"
secret = "C"
[[destinations]]
type = "webhook"
url = "https://crm.example/hook"
secret = "CRM"

[[recipients]]
id = "a"
destination = 0
time_zone = "America/New_York"
weight = 3
caps = [{ max = 2, per = "day" }]
[[recipients]]
id = "b"
destination = 1
time_zone = "America/New_York"
hours = [{ days = ["sun"], from = "09:00", to = "17:00" }]
[[recipients]]
id = "c"
destination = 2

[[routes]]
id = "north"
when = { postal_code = { field = "zip", prefixes = ["100"], ranges = [{ from = "110", to = "119" }] } }
to = ["a", "b"]
method = "round_robin"
[[routes]]
id = "plumbing"
when = { answers = [{ field = "service", equals = "plumbing" }], countries = ["US"] }
to = ["a", "b"]
overflow = "hold"
[[routes]]
id = "rest"
to = ["a", "c"]
method = "weighted"
overflow = "default"
overflow_to = "c"
"#;

    fn spec() -> FormSpec {
        FormSpec::parse_toml(SPEC).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn dst_change_day_in_new_york() {
        let ny = zone(Some("America/New_York"));
        let sunday = [Window {
            days: vec![leadform_shared::routing::Weekday::Sun],
            from: "09:00".into(),
            to: "17:00".into(),
        }];
        // (UTC instant, open on Sunday 09-17 New York time, day key)
        let cases = [
            // Saturday 2026-03-07 08:30 EST: not Sunday.
            ("2026-03-07T13:30:00Z", false, "day:2026-03-07"),
            // Sunday 2026-03-08, clocks went 02:00 EST -> 03:00 EDT:
            // 13:30 UTC is 09:30 EDT (08:30 if the offset were still -5).
            ("2026-03-08T13:30:00Z", true, "day:2026-03-08"),
            ("2026-03-08T12:59:00Z", false, "day:2026-03-08"),
            ("2026-03-08T20:59:00Z", true, "day:2026-03-08"),
            ("2026-03-08T21:00:00Z", false, "day:2026-03-08"),
            // Local midnight is 05:00 UTC before the change, 04:00 after.
            ("2026-03-08T04:59:00Z", false, "day:2026-03-07"),
            ("2026-03-08T05:00:00Z", false, "day:2026-03-08"),
            ("2026-03-09T03:59:00Z", false, "day:2026-03-08"),
            ("2026-03-09T04:00:00Z", false, "day:2026-03-09"),
            // Back in November (2026-11-01): 14:00 UTC is 09:00 EST, 13:30
            // would be 09:30 had the offset stayed -4.
            ("2026-11-01T13:30:00Z", false, "day:2026-11-01"),
            ("2026-11-01T14:00:00Z", true, "day:2026-11-01"),
            ("2026-11-01T21:30:00Z", true, "day:2026-11-01"),
            ("2026-11-01T22:00:00Z", false, "day:2026-11-01"),
        ];
        for (utc, open, day) in cases {
            assert_eq!(is_open(&sunday, &ny, at(utc)), open, "{utc}");
            assert_eq!(period_key(Period::Day, &ny, at(utc)), day, "{utc}");
        }
        // From Saturday evening, the next opening is 09:00 EDT = 13:00 UTC.
        assert_eq!(
            next_open_ms(&sunday, &ny, at("2026-03-08T01:00:00Z")),
            Some(at("2026-03-08T13:00:00Z"))
        );
        // A week later, 09:00 EDT again.
        assert_eq!(
            next_open_ms(&sunday, &ny, at("2026-03-08T21:00:00Z")),
            Some(at("2026-03-15T13:00:00Z"))
        );
    }

    #[test]
    fn period_keys_and_other_zones() {
        let cases = [
            (
                "Europe/London",
                "2026-10-25T00:30:00Z",
                Period::Hour,
                "hour:2026-10-25T01",
            ),
            (
                "Europe/London",
                "2026-10-25T01:30:00Z",
                Period::Hour,
                "hour:2026-10-25T01",
            ),
            (
                "Europe/London",
                "2026-10-25T02:30:00Z",
                Period::Hour,
                "hour:2026-10-25T02",
            ),
            (
                "Australia/Adelaide",
                "2026-12-02T13:45:00Z",
                Period::Minute,
                "minute:2026-12-03T00:15",
            ),
            ("UTC", "2026-12-31T23:59:00Z", Period::Week, "week:2026-W53"),
            ("UTC", "2027-01-03T15:00:00Z", Period::Week, "week:2026-W53"),
            (
                "Asia/Tokyo",
                "2027-01-03T15:00:00Z",
                Period::Week,
                "week:2027-W01",
            ),
            (
                "Asia/Tokyo",
                "2026-12-31T23:59:00Z",
                Period::Month,
                "month:2027-01",
            ),
            (
                "America/Los_Angeles",
                "2027-01-01T07:59:00Z",
                Period::Month,
                "month:2026-12",
            ),
        ];
        for (name, utc, period, key) in cases {
            assert_eq!(
                period_key(period, &zone(Some(name)), at(utc)),
                key,
                "{name} {utc}"
            );
        }
        for (name, rule) in leadform_shared::routing::TIME_ZONES {
            assert!(TimeZone::posix(rule).is_ok(), "{name}: {rule}");
        }
    }

    #[test]
    fn overnight_window() {
        let night = [Window {
            days: vec![leadform_shared::routing::Weekday::Fri],
            from: "22:00".into(),
            to: "02:00".into(),
        }];
        let utc = TimeZone::UTC;
        // 2026-12-04 is a Friday.
        for (time, open) in [
            ("2026-12-04T21:59:00Z", false),
            ("2026-12-04T22:00:00Z", true),
            ("2026-12-05T01:59:00Z", true),
            ("2026-12-05T02:00:00Z", false),
            ("2026-12-05T22:30:00Z", false),
        ] {
            assert_eq!(is_open(&night, &utc, at(time)), open, "{time}");
        }
    }

    fn lead(
        values: &[(&str, &str)],
        country: Option<&'static str>,
    ) -> (FieldMap<FieldValue>, Option<&'static str>) {
        let mut map = FieldMap::default();
        for (k, v) in values {
            map.insert((*k).to_owned(), FieldValue::Text((*v).to_owned()));
        }
        (map, country)
    }

    fn route_of(
        spec: &FormSpec,
        values: &[(&str, &str)],
        country: Option<&'static str>,
    ) -> Option<String> {
        let (map, country) = lead(values, country);
        let attribution = Attribution::default();
        let facts = LeadFacts {
            facts: Facts {
                values: &map,
                consents: &[],
                attribution: &attribution,
                time_to_fill_ms: 5000,
            },
            country,
            qualification: None,
        };
        select_route(spec, &facts, at("2026-12-02T12:00:00Z")).map(|r| r.id.clone())
    }

    #[test]
    fn conditions_pick_the_first_route_that_holds() {
        let spec = spec();
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'static str>, &'a str);
        let cases: &[Case] = &[
            (&[("zip", "10001")], None, "north"),
            (&[("zip", "11501")], None, "north"),
            (
                &[("zip", "12001"), ("service", "plumbing")],
                Some("US"),
                "plumbing",
            ),
            (
                &[("zip", "12001"), ("service", "plumbing")],
                Some("CA"),
                "rest",
            ),
            (
                &[("zip", "10099"), ("service", "plumbing")],
                Some("US"),
                "north",
            ),
            (
                &[("zip", "10999"), ("service", "plumbing")],
                Some("US"),
                "plumbing",
            ),
            (
                &[("zip", "12001"), ("service", "electric")],
                Some("US"),
                "rest",
            ),
            (&[], None, "rest"),
        ];
        for (values, country, expected) in cases {
            assert_eq!(
                route_of(&spec, values, *country).as_deref(),
                Some(*expected),
                "{values:?}"
            );
        }
    }

    fn run(
        spec: &FormSpec,
        counters: &mut Counters,
        route: &str,
        now: u64,
        random: f64,
    ) -> Decision {
        let route = spec.routes.iter().find(|r| r.id == route).expect("route");
        decide(counters, &request(spec, route, now, random))
    }

    fn chosen(decision: &Decision) -> Vec<&str> {
        decision
            .chosen
            .iter()
            .map(|c| c.recipient.as_str())
            .collect()
    }

    #[test]
    fn round_robin_is_exact_and_skips_capped_and_closed() {
        let spec = spec();
        let mut counters = Counters::default();
        // Sunday 10:00 New York: both open; a takes 2 a day.
        let sunday = at("2026-12-06T15:00:00Z");
        let picks: Vec<Vec<&str>> = (0..5)
            .map(|_| run(&spec, &mut counters, "north", sunday, 0.5))
            .map(|d| {
                chosen(&d)
                    .into_iter()
                    .map(|s| if s == "a" { "a" } else { "b" })
                    .collect()
            })
            .collect();
        assert_eq!(picks, [["a"], ["b"], ["a"], ["b"], ["b"]]);
        let capped = run(&spec, &mut counters, "north", sunday, 0.5);
        assert_eq!(chosen(&capped), ["b"]);
        assert!(
            capped
                .tried
                .iter()
                .any(|t| t.recipient == "a" && t.outcome == "capped_day"),
            "{capped:?}"
        );
        // Monday: a's cap is new, b is closed.
        let monday = at("2026-12-07T15:00:00Z");
        let d = run(&spec, &mut counters, "north", monday, 0.5);
        assert_eq!(chosen(&d), ["a"]);
        let d = run(&spec, &mut counters, "north", monday, 0.5);
        assert_eq!(chosen(&d), ["a"], "{d:?}");
        assert_eq!(
            d.tried[0],
            Tried {
                recipient: "b".into(),
                outcome: "closed".into()
            }
        );
        // Both capped or closed, no overflow.
        let d = run(&spec, &mut counters, "north", monday, 0.5);
        assert!(d.chosen.is_empty());
        assert_eq!(d.overflow.as_deref(), Some("none"));
        // The old day's counter is gone.
        assert!(
            counters
                .counts
                .iter()
                .all(|(k, _)| !k.contains("2026-12-06")),
            "{counters:?}"
        );
    }

    #[test]
    fn round_robin_without_caps_is_exact_over_n() {
        let spec = FormSpec::parse_toml(
            &SPEC
                .replace("caps = [{ max = 2, per = \"day\" }]", "")
                .replace(
                    "hours = [{ days = [\"sun\"], from = \"09:00\", to = \"17:00\" }]",
                    "",
                ),
        )
        .expect("spec");
        let mut counters = Counters::default();
        let mut counts = [0u32; 2];
        for _ in 0..101 {
            let d = run(
                &spec,
                &mut counters,
                "north",
                at("2026-12-02T12:00:00Z"),
                0.0,
            );
            counts[usize::from(chosen(&d) == ["b"])] += 1;
        }
        assert_eq!(counts, [51, 50]);
    }

    #[test]
    fn weighted_follows_the_weights() {
        let spec = FormSpec::parse_toml(&SPEC.replace("caps = [{ max = 2, per = \"day\" }]", ""))
            .expect("spec");
        let mut counters = Counters::default();
        let n = 1000;
        let mut to_a = 0;
        for i in 0..n {
            // An even spread of draws: a (weight 3) takes 3/4 of them exactly.
            let d = run(
                &spec,
                &mut counters,
                "rest",
                at("2026-12-02T12:00:00Z"),
                f64::from(i) / f64::from(n),
            );
            to_a += u32::from(chosen(&d) == ["a"]);
        }
        assert_eq!(to_a, 750);
    }

    #[test]
    fn overflow_default_and_hold() {
        let spec = spec();
        let mut counters = Counters::default();
        let wednesday = at("2026-12-02T15:00:00Z");
        // rest: a (capped after 2) and c; weighted: draw 0.0 is a's.
        for _ in 0..2 {
            assert_eq!(
                chosen(&run(&spec, &mut counters, "rest", wednesday, 0.0)),
                ["a"]
            );
        }
        assert_eq!(
            chosen(&run(&spec, &mut counters, "rest", wednesday, 0.0)),
            ["c"]
        );
        // plumbing: priority a then b (closed until Sunday), hold.
        let d = run(&spec, &mut counters, "plumbing", wednesday, 0.0);
        assert_eq!(chosen(&d), ["b"]);
        assert_eq!(d.overflow.as_deref(), Some("hold"));
        assert_eq!(d.hold_until_ms, Some(at("2026-12-06T14:00:00Z")));
        // Only routed destinations that were chosen, plus the unrouted CRM.
        assert_eq!(destinations(&spec, Some(&d)), ["1:webhook", "3:webhook"]);
        assert_eq!(destinations(&spec, None), ["3:webhook"]);
    }

    #[test]
    fn all_sends_to_every_open_recipient() {
        let spec =
            FormSpec::parse_toml(&SPEC.replace("method = \"round_robin\"", "method = \"all\""))
                .expect("spec");
        let mut counters = Counters::default();
        let d = run(
            &spec,
            &mut counters,
            "north",
            at("2026-12-06T15:00:00Z"),
            0.0,
        );
        assert_eq!(chosen(&d), ["a", "b"]);
        let d = run(
            &spec,
            &mut counters,
            "north",
            at("2026-12-07T15:00:00Z"),
            0.0,
        );
        assert_eq!(chosen(&d), ["a"]);
    }

    #[test]
    fn uncounted_when_the_router_is_down() {
        let spec = spec();
        let route = &spec.routes[0];
        let d = decide_uncounted(&request(&spec, route, at("2026-12-06T15:00:00Z"), 0.0));
        assert_eq!(chosen(&d), ["a"]);
        assert_eq!(d.note.as_deref(), Some("router_unavailable"));
    }
}
