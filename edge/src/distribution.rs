//! Selling a lead to buyers (ping-post), the decisions and byte formats:
//! which buyers may be pinged now (schedule, caps, ping limit), a buyer's
//! answer to a ping read as a bid, the auction ([`rank`], then [`next_step`]
//! until it says sold or fall back: price first, ties by priority, each
//! buyer's floor, exclusive against shared, cascade on a refused post, late
//! bids ignored), the keyed duplicate-check hashes a ping carries (HMAC of
//! the normalised email/phone under a key derived from that buyer's secret,
//! so two buyers never see the same hash) and the short-lived bid tokens a
//! post carries (HMAC over lead, buyer, price and expiry); the ping and post
//! requests (signed per Standard Webhooks with the buyer's secret), what
//! counts as an accepted post, the lead's distribution log entries, the
//! return rules (a reason from a fixed list, within the buyer's window) and
//! the revenue (accepted posts less returns).
//!
//! Pure: callers pass in the time, the buyer's secret bytes and the answers;
//! the pings and posts themselves are the platform's. The ping payload is
//! shared's [`leadform_shared::distribution::Ping`], which cannot hold
//! contact data; this module adds only its [`Matches`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use leadform_shared::distribution::{
    Buyer, MatchHash, Matches, Ping, PingFacts, ReturnReason, Sale,
};
use leadform_shared::{ConsentChannel, FieldKind, FieldMap, FieldValue, FormSpec};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::delivery::{self, OutboundRequest};
use crate::record::LeadRecord;
use crate::{routing, time, webhook};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The buyer's duplicate-check key: HMAC of a fixed label under the buyer's
/// secret. The buyer, who knows its secret, computes the same hashes of its
/// own records; no other buyer can.
pub fn dedup_key(buyer_secret: &[u8]) -> [u8; 32] {
    hmac(buyer_secret, &[b"leadform-dedup-v1"])
}

/// An email as the duplicate check compares it: trimmed, lower-case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone as the duplicate check compares it: its E.164 number (`+` and
/// digits), without an extension.
pub fn normalise_phone(phone: &str) -> String {
    let number = phone.split(";ext=").next().unwrap_or("");
    number
        .chars()
        .filter(|c| *c == '+' || c.is_ascii_digit())
        .collect()
}

/// The keyed hash of one normalised value (`kind` is `email` or `phone`).
pub fn match_hash(key: &[u8; 32], kind: &str, normalised: &str) -> MatchHash {
    MatchHash::from_digest(hmac(key, &[kind.as_bytes(), b":", normalised.as_bytes()]))
}

/// The ping's [`Matches`] for one buyer: the keyed hashes of the lead's
/// first email and first phone field (empty values give none).
pub fn matches(spec: &FormSpec, values: &FieldMap<FieldValue>, key: &[u8; 32]) -> Matches {
    let first = |kind: FieldKind| {
        spec.fields
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| match values.get(&f.id) {
                Some(FieldValue::Text(text)) if !text.trim().is_empty() => Some(text.as_str()),
                _ => None,
            })
    };
    Matches {
        email: first(FieldKind::Email)
            .map(normalise_email)
            .filter(|e| !e.is_empty())
            .map(|e| match_hash(key, "email", &e)),
        phone: first(FieldKind::Phone)
            .map(normalise_phone)
            .filter(|p| p.len() > 1)
            .map(|p| match_hash(key, "phone", &p)),
    }
}

/// What a bid token says, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidClaims {
    pub price_cents: u32,
    pub expires_ms: u64,
}

/// Why a bid token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    /// Not made with this buyer's key for this lead, buyer and price.
    BadSignature,
    Expired,
}

fn token_mac(secret: &[u8], lead_id: &str, buyer: &str, price: u32, expires_ms: u64) -> [u8; 32] {
    let key = hmac(secret, &[b"leadform-bid-v1"]);
    let (price, expires) = (price.to_string(), expires_ms.to_string());
    hmac(
        &key,
        &[
            lead_id.as_bytes(),
            b"\n",
            buyer.as_bytes(),
            b"\n",
            price.as_bytes(),
            b"\n",
            expires.as_bytes(),
        ],
    )
}

/// A bid token: `bid1.<price cents>.<expiry ms>.<mac>` (base64url HMAC
/// over lead id, buyer id, price and expiry, keyed from the buyer's
/// secret, so the buyer can check it as well).
pub fn issue_bid_token(
    secret: &[u8],
    lead_id: &str,
    buyer: &str,
    price_cents: u32,
    expires_ms: u64,
) -> String {
    let mac = token_mac(secret, lead_id, buyer, price_cents, expires_ms);
    format!(
        "bid1.{price_cents}.{expires_ms}.{}",
        URL_SAFE_NO_PAD.encode(mac)
    )
}

/// Checks a bid token for this lead and buyer at `now_ms`.
pub fn check_bid_token(
    secret: &[u8],
    token: &str,
    lead_id: &str,
    buyer: &str,
    now_ms: u64,
) -> Result<BidClaims, TokenError> {
    let mut parts = token.split('.');
    let (Some("bid1"), Some(price), Some(expires), Some(mac), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TokenError::Malformed);
    };
    let price_cents: u32 = price.parse().map_err(|_| TokenError::Malformed)?;
    let expires_ms: u64 = expires.parse().map_err(|_| TokenError::Malformed)?;
    let mac = URL_SAFE_NO_PAD
        .decode(mac)
        .map_err(|_| TokenError::Malformed)?;
    let expected = token_mac(secret, lead_id, buyer, price_cents, expires_ms);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], &mac[..])) {
        return Err(TokenError::BadSignature);
    }
    if now_ms >= expires_ms {
        return Err(TokenError::Expired);
    }
    Ok(BidClaims {
        price_cents,
        expires_ms,
    })
}

/// Why a buyer was not pinged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// Outside its `hours`.
    Closed,
    /// One of its caps is reached.
    Capped,
    /// Its `pings_per_minute` is used up, or it asked us to wait (429).
    PingLimited,
}

/// The cap counter keys of a buyer now (`buyer|period-key`) and their
/// maxima: a sale counts one against each.
pub fn cap_slots(buyer: &Buyer, now_ms: u64) -> Vec<(String, u32)> {
    let zone = routing::zone(buyer.time_zone.as_deref());
    buyer
        .caps
        .iter()
        .map(|cap| {
            (
                format!(
                    "{}|{}",
                    buyer.id,
                    routing::period_key(cap.per, &zone, now_ms)
                ),
                cap.max,
            )
        })
        .collect()
}

/// The ping-limit counter key of a buyer now (one per UTC minute).
pub fn ping_slot(buyer: &Buyer, now_ms: u64) -> String {
    format!("{}|ping|{}", buyer.id, now_ms / 60_000)
}

/// Whether a buyer may be pinged now: open, under its caps (`count` gives a
/// counter's value), under its ping limit and past any `Retry-After` it
/// gave (`blocked_until_ms`).
pub fn pingable(
    buyer: &Buyer,
    now_ms: u64,
    count: impl Fn(&str) -> u32,
    blocked_until_ms: Option<u64>,
) -> Result<(), Skip> {
    let zone = routing::zone(buyer.time_zone.as_deref());
    if !buyer.hours.is_empty() && !routing::is_open(&buyer.hours, &zone, now_ms) {
        return Err(Skip::Closed);
    }
    if cap_slots(buyer, now_ms)
        .iter()
        .any(|(key, max)| count(key) >= *max)
    {
        return Err(Skip::Capped);
    }
    let limited = buyer
        .pings_per_minute
        .is_some_and(|max| count(&ping_slot(buyer, now_ms)) >= max);
    if limited || blocked_until_ms.is_some_and(|until| now_ms < until) {
        return Err(Skip::PingLimited);
    }
    Ok(())
}

/// Longest `bid_id` a buyer may give (kept and sent back with the post).
pub const MAX_BID_ID_LEN: usize = 64;

/// A buyer's answer to a ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PingResult {
    Bid {
        price_cents: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bid_id: Option<String>,
    },
    NoBid,
    /// No answer within the buyer's timeout.
    TimedOut,
    /// An answer after the timeout: logged, never ranked.
    Late {
        price_cents: u32,
    },
    /// 429: not pinged again before `retry_after_s`.
    Limited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_s: Option<u32>,
    },
    /// Any other failure: a status, a body that is no bid, a network error.
    Failed {
        error: String,
    },
}

/// The buyer's bid body: `{"price_cents": 2100, "bid_id": "b-77"}`, or
/// `{"bid": false}` / a price of 0 for no bid.
#[derive(Deserialize)]
struct BidBody {
    #[serde(default)]
    bid: Option<bool>,
    #[serde(default)]
    price_cents: Option<u32>,
    #[serde(default)]
    bid_id: Option<String>,
}

/// Reads a ping's answer. `elapsed_ms` past `timeout_ms` makes a bid late.
pub fn read_ping_answer(
    status: u16,
    body: &str,
    retry_after_s: Option<u32>,
    elapsed_ms: u64,
    timeout_ms: u32,
) -> PingResult {
    if status == 429 {
        return PingResult::Limited { retry_after_s };
    }
    if !(200..300).contains(&status) {
        return PingResult::Failed {
            error: format!("HTTP {status}"),
        };
    }
    let Ok(bid) = serde_json::from_str::<BidBody>(body) else {
        return PingResult::Failed {
            error: "the answer is not a bid (expected {\"price_cents\": N} or {\"bid\": false})"
                .to_owned(),
        };
    };
    let price = match (bid.bid, bid.price_cents) {
        (Some(false), _) | (_, None) | (_, Some(0)) => return PingResult::NoBid,
        (_, Some(price)) => price,
    };
    if elapsed_ms > u64::from(timeout_ms) {
        return PingResult::Late { price_cents: price };
    }
    let bid_id = bid.bid_id.filter(|id| {
        !id.is_empty()
            && id.len() <= MAX_BID_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    });
    PingResult::Bid {
        price_cents: price,
        bid_id,
    }
}

/// A bid that may win: the buyer (its index in the spec's `buyers`) and
/// its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub buyer: usize,
    pub price_cents: u32,
}

/// The bids that clear their buyer's floor, best first, apart by sale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranked {
    pub exclusive: Vec<Offer>,
    pub shared: Vec<Offer>,
}

/// Ranks the bids (buyer index, price): those under the buyer's
/// `min_price_cents` dropped, then price high to low, ties by the lower
/// `priority`, then by the buyer declared first.
pub fn rank(buyers: &[Buyer], bids: &[Offer]) -> Ranked {
    let mut offers: Vec<Offer> = bids
        .iter()
        .copied()
        .filter(|o| {
            buyers
                .get(o.buyer)
                .is_some_and(|b| o.price_cents >= b.min_price_cents.max(1))
        })
        .collect();
    offers.sort_by_key(|o| {
        (
            std::cmp::Reverse(o.price_cents),
            buyers[o.buyer].priority,
            o.buyer,
        )
    });
    let (exclusive, shared) = offers
        .into_iter()
        .partition(|o| buyers[o.buyer].sale == Sale::Exclusive);
    Ranked { exclusive, shared }
}

/// How a post went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub buyer: usize,
    pub accepted: bool,
}

/// What the auction does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Post to these (one for exclusive, a group for shared), in parallel.
    Post(Vec<Offer>),
    /// Sold to these (accepted posts), at their bids.
    Sold(Vec<Offer>),
    /// Nothing sold: the lead goes on to the owner's routing.
    Fallback,
}

/// The shared group taken greedily from `offers` (best first) on top of
/// `members`: a buyer joins while the group stays within every member's
/// `max_buyers`.
fn shared_group(buyers: &[Buyer], members: &[Offer], offers: &[Offer]) -> Vec<Offer> {
    let mut limit = members
        .iter()
        .map(|o| buyers[o.buyer].sale_limit())
        .min()
        .unwrap_or(u32::MAX);
    let mut size = members.len() as u32;
    let mut group = Vec::new();
    for offer in offers {
        let own = buyers[offer.buyer].sale_limit();
        if size < limit.min(own) {
            group.push(*offer);
            size += 1;
            limit = limit.min(own);
        }
    }
    group
}

/// The auction's next step, from the ranked bids and the posts made so far.
/// Unsold: of the offers not yet posted, the better of the best exclusive
/// bid and the best shared group's sum (a tie to exclusive) is posted next.
/// Sold shared: the group is filled from further shared bids while places
/// are left. `in_window` false (the auction window has passed) posts
/// nothing more.
pub fn next_step(buyers: &[Buyer], ranked: &Ranked, posted: &[Posted], in_window: bool) -> Step {
    let offer_of = |buyer: usize| {
        ranked
            .exclusive
            .iter()
            .chain(&ranked.shared)
            .find(|o| o.buyer == buyer)
            .copied()
    };
    let accepted: Vec<Offer> = posted
        .iter()
        .filter(|p| p.accepted)
        .filter_map(|p| offer_of(p.buyer))
        .collect();
    let unposted = |offers: &[Offer]| -> Vec<Offer> {
        offers
            .iter()
            .copied()
            .filter(|o| !posted.iter().any(|p| p.buyer == o.buyer))
            .collect()
    };
    if !accepted.is_empty() {
        let exclusive = accepted
            .iter()
            .any(|o| buyers[o.buyer].sale == Sale::Exclusive);
        let more = if exclusive || !in_window {
            Vec::new()
        } else {
            shared_group(buyers, &accepted, &unposted(&ranked.shared))
        };
        return if more.is_empty() {
            Step::Sold(accepted)
        } else {
            Step::Post(more)
        };
    }
    if !in_window {
        return Step::Fallback;
    }
    let exclusive = unposted(&ranked.exclusive);
    let group = shared_group(buyers, &[], &unposted(&ranked.shared));
    let shared_value: u64 = group.iter().map(|o| u64::from(o.price_cents)).sum();
    match exclusive.first() {
        Some(best) if u64::from(best.price_cents) >= shared_value => Step::Post(vec![*best]),
        _ if !group.is_empty() => Step::Post(group),
        _ => Step::Fallback,
    }
}

/// The ping of a stored lead for one buyer: shared's [`Ping`] with this
/// buyer's [`matches`] (keyed by `buyer_secret`).
pub fn ping_for(
    spec: &FormSpec,
    ping_fields: &[String],
    lead: &LeadRecord,
    now_ms: u64,
    buyer_secret: &[u8],
) -> Ping {
    let channels: Vec<ConsentChannel> = lead
        .consents
        .iter()
        .filter(|c| c.checked)
        .flat_map(|c| c.channels.iter().copied())
        .collect();
    let received_ms = time::parse_rfc3339(&lead.evidence.received_at).unwrap_or(now_ms);
    Ping::build(
        spec,
        ping_fields,
        &PingFacts {
            values: &lead.values,
            consent_channels: &channels,
            qualification: lead.qualification.as_ref(),
            received_ms,
            now_ms,
        },
        matches(spec, &lead.values, &dedup_key(buyer_secret)),
    )
}

/// A request to a buyer's ping or post URL (`step` is `ping` or `post`),
/// signed per Standard Webhooks with the buyer's secret (its bytes as they
/// are): `webhook-id` is `<lead id>.<step>.<buyer>`.
fn signed(
    buyer: &Buyer,
    secret: &[u8],
    lead_id: &str,
    step: &str,
    now_s: u64,
    body: String,
    extra: Vec<(String, String)>,
) -> OutboundRequest {
    let id = format!("{lead_id}.{step}.{}", buyer.id);
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), id.clone()),
        ("webhook-timestamp".to_owned(), now_s.to_string()),
        (
            "webhook-signature".to_owned(),
            webhook::sign(secret, &id, now_s, &body),
        ),
    ];
    headers.extend(extra);
    let url = if step == "ping" {
        &buyer.ping_url
    } else {
        &buyer.post_url
    };
    OutboundRequest {
        url: url.clone(),
        headers,
        body,
    }
}

/// The ping request: `{"lead_id", "ping": {...}}` to the buyer's `ping_url`.
pub fn ping_request(
    buyer: &Buyer,
    secret: &[u8],
    lead_id: &str,
    ping: &Ping,
    now_s: u64,
) -> OutboundRequest {
    let body = format!(
        "{{\"lead_id\":{},\"ping\":{}}}",
        serde_json::Value::from(lead_id),
        ping.to_json()
    );
    signed(buyer, secret, lead_id, "ping", now_s, body, Vec::new())
}

/// The post request to a winner: the full lead (the webhook body's `data`)
/// with its price, the bid token and the buyer's own `bid_id`, to its
/// `post_url`; the token also in `leadform-bid-token`.
#[allow(clippy::too_many_arguments)]
pub fn post_request(
    spec: &FormSpec,
    buyer: &Buyer,
    secret: &[u8],
    lead: &LeadRecord,
    offer: Offer,
    bid_id: Option<&str>,
    token: &str,
    now_s: u64,
) -> OutboundRequest {
    let lead_body: serde_json::Value =
        serde_json::from_str(&delivery::webhook_body(spec, lead)).unwrap_or_default();
    let body = serde_json::json!({
        "lead_id": lead.lead_id,
        "price_cents": offer.price_cents,
        "bid_token": token,
        "bid_id": bid_id,
        "lead": lead_body["data"],
    })
    .to_string();
    signed(
        buyer,
        secret,
        &lead.lead_id,
        "post",
        now_s,
        body,
        vec![("leadform-bid-token".to_owned(), token.to_owned())],
    )
}

/// Whether a post was accepted: a 2xx whose body does not say
/// `{"accepted": false}`.
pub fn post_accepted(status: u16, body: &str) -> bool {
    if !(200..300).contains(&status) {
        return false;
    }
    let refused = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("accepted").and_then(serde_json::Value::as_bool))
        == Some(false);
    !refused
}

/// One line of a lead's distribution log (`distribution_log`, migration
/// 0012): every ping, bid, timeout, skip, post, decision and return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogEntry {
    /// A buyer not pinged, and why.
    Skipped { buyer: String, reason: Skip },
    /// A ping and what came of it (a bid, none, a timeout, a late bid, a
    /// 429, a failure).
    Ping {
        buyer: String,
        latency_ms: u64,
        #[serde(flatten)]
        result: PingResult,
    },
    /// A post to a bidder and whether it took the lead.
    Post {
        buyer: String,
        price_cents: u32,
        accepted: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The end of the auction: sold (to whom, at what price) or fallen back
    /// to the owner's routing.
    Decision {
        sale: Option<Sale>,
        sold: Vec<SoldTo>,
        fallback: bool,
        /// The destination key an unsold lead went to instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback_to: Option<String>,
    },
    /// A buyer returned the lead.
    Returned {
        buyer: String,
        reason: ReturnReason,
        price_cents: u32,
    },
}

/// One sale of a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldTo {
    pub buyer: String,
    pub price_cents: u32,
}

/// Why a return was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnRefusal {
    /// The reason is not one of [`ReturnReason::ALL`].
    UnknownReason,
    /// This buyer did not buy this lead.
    NotSold,
    /// Past the buyer's `return_window_days` after the sale.
    WindowClosed,
    /// Returned already.
    AlreadyReturned,
}

impl ReturnRefusal {
    /// The stable error code the endpoint answers with.
    pub const fn code(self) -> &'static str {
        match self {
            ReturnRefusal::UnknownReason => "return.unknown_reason",
            ReturnRefusal::NotSold => "return.not_sold",
            ReturnRefusal::WindowClosed => "return.window_closed",
            ReturnRefusal::AlreadyReturned => "return.already_returned",
        }
    }
}

/// The bytes a sale's seal covers (`lead_sales.seal`): what was sold to
/// whom, at what price, when, one field a line after a version tag. Ids
/// and the sale kind never hold a newline (spec checks, generated ids).
pub fn sale_seal_bytes(
    lead_id: &str,
    form_id: &str,
    buyer: &str,
    sale: &str,
    price_cents: u32,
    sold_at_ms: u64,
) -> Vec<u8> {
    format!("leadform-sale/1\n{lead_id}\n{form_id}\n{buyer}\n{sale}\n{price_cents}\n{sold_at_ms}")
        .into_bytes()
}

/// A buyer's sale of a lead as stored (`lead_sales`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRow {
    pub buyer: String,
    pub price_cents: u32,
    pub sold_at_ms: u64,
    pub returned_at_ms: Option<u64>,
}

/// Whether `buyer` may return the lead now with `reason`.
pub fn check_return(
    buyer: &Buyer,
    sales: &[SaleRow],
    reason: &str,
    now_ms: u64,
) -> Result<ReturnReason, ReturnRefusal> {
    let reason = ReturnReason::parse(reason).ok_or(ReturnRefusal::UnknownReason)?;
    let sale = sales
        .iter()
        .find(|s| s.buyer == buyer.id)
        .ok_or(ReturnRefusal::NotSold)?;
    if sale.returned_at_ms.is_some() {
        return Err(ReturnRefusal::AlreadyReturned);
    }
    let window_ms = u64::from(buyer.return_window_days) * 86_400_000;
    if now_ms >= sale.sold_at_ms.saturating_add(window_ms) {
        return Err(ReturnRefusal::WindowClosed);
    }
    Ok(reason)
}

/// The body of `POST /v1/leads/{id}/returns`, signed per Standard Webhooks
/// with the buyer's secret (as pings and posts are): `lead_id` must be the
/// path's (a signature for one lead is no good for another).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    pub lead_id: String,
    pub buyer: String,
    pub reason: String,
}

/// Why `POST /v1/leads/{id}/returns` was refused: each a stable code and
/// an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnError {
    /// Not `{"lead_id", "buyer", "reason"}` JSON, or another lead's id.
    Malformed,
    /// Unsigned, not signed with the named buyer's secret, outside the
    /// timestamp window, or a buyer the lead's form does not have.
    BadCredential,
    /// No such lead.
    LeadNotFound,
    /// The rules of [`check_return`] refused it.
    Refused(ReturnRefusal),
}

impl ReturnError {
    pub const fn code(self) -> &'static str {
        match self {
            ReturnError::Malformed => "return.malformed",
            ReturnError::BadCredential => "return.bad_credential",
            ReturnError::LeadNotFound => "return.lead_not_found",
            ReturnError::Refused(refusal) => refusal.code(),
        }
    }

    pub const fn status(self) -> u16 {
        match self {
            ReturnError::Malformed => 400,
            ReturnError::BadCredential => 401,
            ReturnError::LeadNotFound => 404,
            ReturnError::Refused(ReturnRefusal::UnknownReason) => 422,
            ReturnError::Refused(_) => 409,
        }
    }

    pub fn message(self) -> String {
        match self {
            ReturnError::Malformed => {
                "expected {\"lead_id\", \"buyer\", \"reason\"} naming this lead".to_owned()
            }
            ReturnError::BadCredential => {
                "not signed (Standard Webhooks) with the named buyer's secret within the timestamp window"
                    .to_owned()
            }
            ReturnError::LeadNotFound => "no such lead".to_owned(),
            ReturnError::Refused(ReturnRefusal::UnknownReason) => format!(
                "the reason must be one of: {}",
                ReturnReason::ALL
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ReturnError::Refused(ReturnRefusal::NotSold) => {
                "this buyer did not buy this lead".to_owned()
            }
            ReturnError::Refused(ReturnRefusal::WindowClosed) => {
                "the buyer's return window for this sale has closed".to_owned()
            }
            ReturnError::Refused(ReturnRefusal::AlreadyReturned) => {
                "this sale was returned already".to_owned()
            }
        }
    }

    /// The error body, in the edge's shape.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({"error": {"code": self.code(), "message": self.message()}})
    }
}

/// Reads a return's body for the lead of the path.
pub fn parse_return(body: &str, lead_id: &str) -> Result<ReturnBody, ReturnError> {
    let parsed: ReturnBody = serde_json::from_str(body).map_err(|_| ReturnError::Malformed)?;
    if parsed.lead_id != lead_id {
        return Err(ReturnError::Malformed);
    }
    Ok(parsed)
}

/// The window of a cap counter in the rate-limiter Durable Object: the
/// counter's name holds the calendar period ([`cap_slots`]), so its window
/// never ends on its own (a later period is another counter).
pub const CAP_WINDOW_MS: u64 = 1 << 50;

/// The per-buyer counter names a distribution uses in the rate-limiter
/// Durable Object (one object per name): a cap slot, the minute's pings,
/// the buyer's requests to us (returns).
pub fn counter_name(form_id: &str, kind: &str, slot: &str) -> String {
    format!("dist:{form_id}:{kind}:{slot}")
}

/// A lead's revenue: its accepted posts' prices, less those returned.
pub fn revenue_cents(sales: &[SaleRow]) -> u64 {
    sales
        .iter()
        .filter(|s| s.returned_at_ms.is_none())
        .map(|s| u64::from(s.price_cents))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_shared::routing::{Cap, Period};

    fn buyer(id: &str, sale: Sale, max: Option<u32>, floor: u32, priority: u32) -> Buyer {
        Buyer {
            id: id.to_owned(),
            ping_url: format!("https://{id}.example/ping"),
            post_url: format!("https://{id}.example/post"),
            auth_secret: "S".to_owned(),
            timeout_ms: 1_500,
            priority,
            caps: Vec::new(),
            time_zone: None,
            hours: Vec::new(),
            sale,
            max_buyers: max,
            min_price_cents: floor,
            return_window_days: 7,
            pings_per_minute: None,
        }
    }

    fn offer(buyer: usize, price_cents: u32) -> Offer {
        Offer { buyer, price_cents }
    }

    /// a, b, c exclusive; d, e, f shared (max 2, 3, 3).
    fn buyers() -> Vec<Buyer> {
        vec![
            buyer("a", Sale::Exclusive, None, 1_000, 0),
            buyer("b", Sale::Exclusive, None, 0, 1),
            buyer("c", Sale::Exclusive, None, 0, 0),
            buyer("d", Sale::Shared, Some(2), 0, 0),
            buyer("e", Sale::Shared, Some(3), 0, 0),
            buyer("f", Sale::Shared, Some(3), 500, 0),
        ]
    }

    #[test]
    fn ranking_is_by_price_then_priority_then_order() {
        let buyers = buyers();
        let cases: &[(&[Offer], &[usize], &[usize])] = &[
            // (bids, exclusive order, shared order)
            (
                &[offer(0, 2_000), offer(1, 3_000), offer(2, 2_500)],
                &[1, 2, 0],
                &[],
            ),
            // a under its floor of 1000 is dropped; b and c tie: c's priority 0 wins.
            (&[offer(0, 999), offer(1, 800), offer(2, 800)], &[2, 1], &[]),
            // Equal price and priority: the buyer declared first.
            (&[offer(4, 700), offer(3, 700)], &[], &[3, 4]),
            // f's floor is 500; a price of 0 is never a bid.
            (&[offer(5, 499), offer(4, 0), offer(3, 1)], &[], &[3]),
            // A buyer index the spec does not have is ignored.
            (&[offer(9, 5_000), offer(5, 600)], &[], &[5]),
        ];
        for (bids, exclusive, shared) in cases {
            let ranked = rank(&buyers, bids);
            let order = |offers: &[Offer]| offers.iter().map(|o| o.buyer).collect::<Vec<_>>();
            assert_eq!(order(&ranked.exclusive), *exclusive, "{bids:?}");
            assert_eq!(order(&ranked.shared), *shared, "{bids:?}");
        }
    }

    fn posted(buyer: usize, accepted: bool) -> Posted {
        Posted { buyer, accepted }
    }

    #[test]
    fn the_auction_step_by_step() {
        let buyers = buyers();
        let post = |o: &[Offer]| Step::Post(o.to_vec());
        // (bids, posts so far, in window, next step)
        let cases: Vec<(Vec<Offer>, Vec<Posted>, bool, Step)> = vec![
            // The best exclusive bid is posted first.
            (
                vec![offer(0, 3_000), offer(1, 2_000)],
                vec![],
                true,
                post(&[offer(0, 3_000)]),
            ),
            // It refused: cascade to the next.
            (
                vec![offer(0, 3_000), offer(1, 2_000)],
                vec![posted(0, false)],
                true,
                post(&[offer(1, 2_000)]),
            ),
            // It accepted: sold, exclusively, at its bid.
            (
                vec![offer(0, 3_000), offer(1, 2_000)],
                vec![posted(0, false), posted(1, true)],
                true,
                Step::Sold(vec![offer(1, 2_000)]),
            ),
            // Everyone refused: fall back to routing.
            (
                vec![offer(0, 3_000), offer(1, 2_000)],
                vec![posted(0, false), posted(1, false)],
                true,
                Step::Fallback,
            ),
            // No bid at all.
            (vec![], vec![], true, Step::Fallback),
            // Bids all under their floors.
            (
                vec![offer(0, 900), offer(5, 100)],
                vec![],
                true,
                Step::Fallback,
            ),
            // Shared group (d 1200 + e 1000 = 2200, d allows 2) beats exclusive 2000.
            (
                vec![
                    offer(1, 2_000),
                    offer(3, 1_200),
                    offer(4, 1_000),
                    offer(5, 900),
                ],
                vec![],
                true,
                post(&[offer(3, 1_200), offer(4, 1_000)]),
            ),
            // Exclusive 2500 beats the same group.
            (
                vec![
                    offer(1, 2_500),
                    offer(3, 1_200),
                    offer(4, 1_000),
                    offer(5, 900),
                ],
                vec![],
                true,
                post(&[offer(1, 2_500)]),
            ),
            // A tie goes to exclusive.
            (
                vec![offer(1, 2_200), offer(3, 1_200), offer(4, 1_000)],
                vec![],
                true,
                post(&[offer(1, 2_200)]),
            ),
            // Without d (max 2), e and f share by three: e, f.
            (
                vec![offer(4, 1_000), offer(5, 900)],
                vec![],
                true,
                post(&[offer(4, 1_000), offer(5, 900)]),
            ),
            // d accepted, e refused: f fills d's second place.
            (
                vec![offer(3, 1_200), offer(4, 1_000), offer(5, 900)],
                vec![posted(3, true), posted(4, false)],
                true,
                post(&[offer(5, 900)]),
            ),
            // d and f accepted: d's limit of 2 is reached, sold to both.
            (
                vec![offer(3, 1_200), offer(4, 1_000), offer(5, 900)],
                vec![posted(3, true), posted(4, false), posted(5, true)],
                true,
                Step::Sold(vec![offer(3, 1_200), offer(5, 900)]),
            ),
            // The shared group all refused: the exclusive bid is next.
            (
                vec![offer(1, 500), offer(3, 1_200), offer(4, 1_000)],
                vec![posted(3, false), posted(4, false)],
                true,
                post(&[offer(1, 500)]),
            ),
            // Past the window: nothing more is posted.
            (
                vec![offer(0, 3_000), offer(1, 2_000)],
                vec![posted(0, false)],
                false,
                Step::Fallback,
            ),
            (
                vec![offer(3, 1_200), offer(4, 1_000), offer(5, 900)],
                vec![posted(3, true), posted(4, false)],
                false,
                Step::Sold(vec![offer(3, 1_200)]),
            ),
        ];
        for (bids, posts, in_window, step) in cases {
            let ranked = rank(&buyers, &bids);
            assert_eq!(
                next_step(&buyers, &ranked, &posts, in_window),
                step,
                "{bids:?} after {posts:?}"
            );
        }
    }

    #[test]
    fn ping_answers() {
        let bid = |price: u32, id: Option<&str>| PingResult::Bid {
            price_cents: price,
            bid_id: id.map(str::to_owned),
        };
        // (status, body, elapsed ms, result), timeout 1500 ms
        let cases = [
            (200, r#"{"price_cents": 2100, "bid_id": "b-77"}"#, 10, bid(2100, Some("b-77"))),
            (200, r#"{"price_cents": 2100}"#, 1_500, bid(2100, None)),
            (200, r#"{"price_cents": 2100}"#, 1_501, PingResult::Late { price_cents: 2100 }),
            (200, r#"{"bid": false}"#, 10, PingResult::NoBid),
            (200, r#"{"price_cents": 0}"#, 10, PingResult::NoBid),
            (
                200,
                r#"{"price_cents": 5, "bid_id": "<script>ana@example.com</script>"}"#,
                10,
                bid(5, None),
            ),
            (
                200,
                r#"{"price_cents": -5}"#,
                10,
                PingResult::Failed {
                    error: "the answer is not a bid (expected {\"price_cents\": N} or {\"bid\": false})"
                        .to_owned(),
                },
            ),
            (
                500,
                "",
                10,
                PingResult::Failed {
                    error: "HTTP 500".to_owned(),
                },
            ),
            (429, "", 10, PingResult::Limited { retry_after_s: Some(30) }),
        ];
        for (status, body, elapsed, result) in cases {
            assert_eq!(
                read_ping_answer(status, body, Some(30), elapsed, 1_500),
                result,
                "{status} {body}"
            );
        }
    }

    #[test]
    fn dedup_hashes_are_per_buyer() {
        let spec = FormSpec::parse_toml(
            "id = \"d\"\n[[fields]]\nid = \"email\"\nkind = \"email\"\nlabel = \"E\"\n[[fields]]\nid = \"phone\"\nkind = \"phone\"\nlabel = \"P\"",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let lead = |email: &str, phone: &str| {
            let mut values = FieldMap::new();
            values.insert("email".to_owned(), FieldValue::Text(email.to_owned()));
            values.insert("phone".to_owned(), FieldValue::Text(phone.to_owned()));
            values
        };
        let (one, two) = (
            dedup_key(b"buyer-one-secret"),
            dedup_key(b"buyer-two-secret"),
        );
        let a = matches(&spec, &lead("Ana@Example.com", "+14155550123"), &one);
        let same = matches(
            &spec,
            &lead(" ana@example.com", "+14155550123;ext=12"),
            &one,
        );
        let other_buyer = matches(&spec, &lead("Ana@Example.com", "+14155550123"), &two);
        let other_lead = matches(&spec, &lead("bo@example.com", "+14155550124"), &one);
        assert_eq!(a, same, "the same person matches for the same buyer");
        for (x, y) in [(&a, &other_buyer), (&a, &other_lead)] {
            assert_ne!(x.email, y.email);
            assert_ne!(x.phone, y.phone);
        }
        // Neither a plain nor an unkeyed hash.
        let email = a
            .email
            .as_ref()
            .map(|h| h.as_str().to_owned())
            .unwrap_or_default();
        assert_eq!(email.len(), 64);
        assert_ne!(email, leadform_shared::hex_sha256(b"ana@example.com"));
        assert_ne!(email, leadform_shared::hex_sha256(b"email:ana@example.com"));
        // Empty values give no hash.
        assert!(matches(&spec, &lead(" ", ""), &one).is_empty());
    }

    #[test]
    fn bid_tokens() {
        let token = issue_bid_token(b"k", "lead_1", "sunco", 2_100, 10_000);
        let ok = Ok(BidClaims {
            price_cents: 2_100,
            expires_ms: 10_000,
        });
        // (secret, token, lead, buyer, now, result)
        let forged = token.replacen("bid1.2100", "bid1.2200", 1);
        type Case<'a> = (
            &'a [u8],
            &'a str,
            &'a str,
            &'a str,
            u64,
            Result<BidClaims, TokenError>,
        );
        let cases: Vec<Case> = vec![
            (b"k", &token, "lead_1", "sunco", 9_999, ok),
            (
                b"k",
                &token,
                "lead_1",
                "sunco",
                10_000,
                Err(TokenError::Expired),
            ),
            (
                b"k",
                &token,
                "lead_2",
                "sunco",
                1,
                Err(TokenError::BadSignature),
            ),
            (
                b"k",
                &token,
                "lead_1",
                "bright",
                1,
                Err(TokenError::BadSignature),
            ),
            (
                b"other",
                &token,
                "lead_1",
                "sunco",
                1,
                Err(TokenError::BadSignature),
            ),
            (
                b"k",
                &forged,
                "lead_1",
                "sunco",
                1,
                Err(TokenError::BadSignature),
            ),
            (
                b"k",
                "bid1.2100.10000",
                "lead_1",
                "sunco",
                1,
                Err(TokenError::Malformed),
            ),
            (
                b"k",
                "bid2.1.1.AAAA",
                "lead_1",
                "sunco",
                1,
                Err(TokenError::Malformed),
            ),
            (
                b"k",
                "bid1.x.1.AAAA",
                "lead_1",
                "sunco",
                1,
                Err(TokenError::Malformed),
            ),
            (
                b"k",
                "bid1.1.1.!!",
                "lead_1",
                "sunco",
                1,
                Err(TokenError::Malformed),
            ),
        ];
        for (secret, token, lead, buyer, now, result) in cases {
            assert_eq!(
                check_bid_token(secret, token, lead, buyer, now),
                result,
                "{token} {lead} {buyer} {now}"
            );
        }
    }

    #[test]
    fn who_may_be_pinged() {
        let mut capped = buyer("a", Sale::Exclusive, None, 0, 0);
        capped.caps = vec![Cap {
            max: 2,
            per: Period::Day,
        }];
        capped.pings_per_minute = Some(3);
        let now = 1_764_000_000_000;
        let day_key = cap_slots(&capped, now)[0].0.clone();
        let ping_key = ping_slot(&capped, now);
        let counts = |day: u32, pings: u32| {
            let (day_key, ping_key) = (day_key.clone(), ping_key.clone());
            move |key: &str| {
                if key == day_key {
                    day
                } else if key == ping_key {
                    pings
                } else {
                    0
                }
            }
        };
        assert_eq!(pingable(&capped, now, counts(1, 2), None), Ok(()));
        assert_eq!(
            pingable(&capped, now, counts(2, 0), None),
            Err(Skip::Capped)
        );
        assert_eq!(
            pingable(&capped, now, counts(0, 3), None),
            Err(Skip::PingLimited)
        );
        assert_eq!(
            pingable(&capped, now, counts(0, 0), Some(now + 1)),
            Err(Skip::PingLimited)
        );
        assert_eq!(pingable(&capped, now, counts(0, 0), Some(now)), Ok(()));
        let mut closed = buyer("b", Sale::Exclusive, None, 0, 0);
        closed.hours = vec![leadform_shared::routing::Window {
            days: vec![leadform_shared::routing::Weekday::Sun],
            from: "00:00".to_owned(),
            to: "00:01".to_owned(),
        }];
        // 2025-11-24 is a Monday.
        assert_eq!(pingable(&closed, now, |_| 0, None), Err(Skip::Closed));
    }

    #[test]
    fn requests_to_buyers_are_signed_and_the_ping_has_no_contact_data() {
        let (spec, mut lead) = crate::export::tests::phone_lead();
        lead.evidence.received_at = "2026-12-02T10:00:00.000Z".to_owned();
        let now_ms = time::parse_rfc3339(&lead.evidence.received_at).unwrap_or(0) + 30_000;
        let sunco = buyer("sunco", Sale::Exclusive, None, 0, 0);
        let ping = ping_for(&spec, &[], &lead, now_ms, b"sunco-secret");
        let request = ping_request(&sunco, b"sunco-secret", &lead.lead_id, &ping, 1_000);
        assert_eq!(request.url, "https://sunco.example/ping");
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let id = header("webhook-id");
        assert_eq!(id, format!("{}.ping.sunco", lead.lead_id));
        assert!(webhook::verify(
            b"sunco-secret",
            &id,
            1_000,
            &request.body,
            &header("webhook-signature")
        ));
        for personal in [
            "Ann@Example.com",
            "ann@example.com",
            "Example.com",
            "4155552671",
            "7700900123",
            "ext=",
        ] {
            assert!(
                !request.body.contains(personal),
                "{personal} in {}",
                request.body
            );
        }
        let body: serde_json::Value = serde_json::from_str(&request.body).expect("json");
        assert_eq!(body["ping"]["lead_age_s"], 30);
        assert_eq!(
            body["ping"]["matches"]["email"].as_str().map(str::len),
            Some(64)
        );
        // The post carries the lead, the price and the token.
        let token = issue_bid_token(b"sunco-secret", &lead.lead_id, "sunco", 2_100, 9_000);
        let post = post_request(
            &spec,
            &sunco,
            b"sunco-secret",
            &lead,
            offer(0, 2_100),
            Some("b-1"),
            &token,
            1_001,
        );
        let body: serde_json::Value = serde_json::from_str(&post.body).expect("json");
        assert_eq!(body["bid_token"], token.as_str());
        assert_eq!(body["price_cents"], 2_100);
        assert_eq!(body["lead"]["values"]["email"], "Ann@Example.com");
        assert!(post
            .headers
            .iter()
            .any(|(n, v)| n == "leadform-bid-token" && *v == token));
    }

    #[test]
    fn posts_are_accepted_by_a_2xx_that_does_not_refuse() {
        for (status, body, accepted) in [
            (200, "", true),
            (201, r#"{"accepted": true}"#, true),
            (200, r#"{"accepted": false, "reason": "duplicate"}"#, false),
            (409, "", false),
            (500, r#"{"accepted": true}"#, false),
        ] {
            assert_eq!(post_accepted(status, body), accepted, "{status} {body}");
        }
    }

    #[test]
    fn returns_within_the_window_and_revenue() {
        let mut sunco = buyer("sunco", Sale::Exclusive, None, 0, 0);
        sunco.return_window_days = 7;
        let day = 86_400_000;
        let sold = |buyer: &str, price: u32, returned: Option<u64>| SaleRow {
            buyer: buyer.to_owned(),
            price_cents: price,
            sold_at_ms: 10 * day,
            returned_at_ms: returned,
        };
        let sales = [sold("sunco", 2_100, None), sold("bright", 900, None)];
        // (sales, reason, now, result)
        type Case<'a> = (
            &'a [SaleRow],
            &'a str,
            u64,
            Result<ReturnReason, ReturnRefusal>,
        );
        let cases: Vec<Case> = vec![
            (&sales, "duplicate", 10 * day, Ok(ReturnReason::Duplicate)),
            (
                &sales,
                "invalid_contact",
                17 * day - 1,
                Ok(ReturnReason::InvalidContact),
            ),
            (
                &sales,
                "invalid_contact",
                17 * day,
                Err(ReturnRefusal::WindowClosed),
            ),
            (
                &sales,
                "changed_mind",
                11 * day,
                Err(ReturnRefusal::UnknownReason),
            ),
            (&sales[1..], "fraud", 11 * day, Err(ReturnRefusal::NotSold)),
        ];
        for (sales, reason, now, result) in cases {
            assert_eq!(
                check_return(&sunco, sales, reason, now),
                result,
                "{reason} {now}"
            );
        }
        let returned = [sold("sunco", 2_100, Some(11 * day))];
        assert_eq!(
            check_return(&sunco, &returned, "fraud", 11 * day),
            Err(ReturnRefusal::AlreadyReturned)
        );
        assert_eq!(revenue_cents(&sales), 3_000);
        assert_eq!(
            revenue_cents(&[
                sold("sunco", 2_100, Some(11 * day)),
                sold("bright", 900, None)
            ]),
            900
        );
        assert_eq!(ReturnRefusal::WindowClosed.code(), "return.window_closed");
    }

    #[test]
    fn return_bodies_and_codes() {
        let check = |body: &str, expected: Result<(&str, &str), ReturnError>| {
            let got = parse_return(body, "lead_1").map(|b| (b.buyer, b.reason));
            let expected = expected.map(|(a, b)| (a.to_owned(), b.to_owned()));
            assert_eq!(got, expected, "{body}");
        };
        check(
            r#"{"lead_id":"lead_1","buyer":"sunco","reason":"fraud"}"#,
            Ok(("sunco", "fraud")),
        );
        // The reason is checked by check_return, with its own code.
        check(
            r#"{"lead_id":"lead_1","buyer":"sunco","reason":"meh"}"#,
            Ok(("sunco", "meh")),
        );
        check(
            r#"{"lead_id":"lead_2","buyer":"sunco","reason":"fraud"}"#,
            Err(ReturnError::Malformed),
        );
        check(
            r#"{"buyer":"sunco","reason":"fraud"}"#,
            Err(ReturnError::Malformed),
        );
        check(
            r#"{"lead_id":"lead_1","buyer":"sunco","reason":"fraud","price":1}"#,
            Err(ReturnError::Malformed),
        );
        check("not json", Err(ReturnError::Malformed));
        for (error, code, status) in [
            (ReturnError::Malformed, "return.malformed", 400),
            (ReturnError::BadCredential, "return.bad_credential", 401),
            (ReturnError::LeadNotFound, "return.lead_not_found", 404),
            (
                ReturnError::Refused(ReturnRefusal::UnknownReason),
                "return.unknown_reason",
                422,
            ),
            (
                ReturnError::Refused(ReturnRefusal::NotSold),
                "return.not_sold",
                409,
            ),
            (
                ReturnError::Refused(ReturnRefusal::WindowClosed),
                "return.window_closed",
                409,
            ),
            (
                ReturnError::Refused(ReturnRefusal::AlreadyReturned),
                "return.already_returned",
                409,
            ),
        ] {
            assert_eq!((error.code(), error.status()), (code, status));
            assert_eq!(error.to_json()["error"]["code"], code);
        }
        assert_eq!(
            counter_name("f", "cap", "sunco|day:2026-12-02"),
            "dist:f:cap:sunco|day:2026-12-02"
        );
    }

    #[test]
    fn log_entries_read_back() {
        let entries = vec![
            LogEntry::Skipped {
                buyer: "a".to_owned(),
                reason: Skip::Capped,
            },
            LogEntry::Ping {
                buyer: "b".to_owned(),
                latency_ms: 12,
                result: PingResult::Bid {
                    price_cents: 2_100,
                    bid_id: Some("x".to_owned()),
                },
            },
            LogEntry::Ping {
                buyer: "c".to_owned(),
                latency_ms: 1_500,
                result: PingResult::TimedOut,
            },
            LogEntry::Post {
                buyer: "b".to_owned(),
                price_cents: 2_100,
                accepted: true,
                http_status: Some(200),
                error: None,
            },
            LogEntry::Decision {
                sale: Some(Sale::Exclusive),
                sold: vec![SoldTo {
                    buyer: "b".to_owned(),
                    price_cents: 2_100,
                }],
                fallback: false,
                fallback_to: None,
            },
            LogEntry::Decision {
                sale: None,
                sold: vec![],
                fallback: true,
                fallback_to: Some("2:webhook".to_owned()),
            },
            LogEntry::Returned {
                buyer: "b".to_owned(),
                reason: ReturnReason::Duplicate,
                price_cents: 2_100,
            },
        ];
        for entry in entries {
            let json = serde_json::to_string(&entry).expect("json");
            let back: LogEntry = serde_json::from_str(&json).expect(&json);
            assert_eq!(back, entry, "{json}");
        }
        let json = serde_json::to_value(LogEntry::Ping {
            buyer: "c".to_owned(),
            latency_ms: 3,
            result: PingResult::Late { price_cents: 5 },
        })
        .expect("json");
        assert_eq!(
            json,
            serde_json::json!({"event": "ping", "buyer": "c", "latency_ms": 3, "result": "late", "price_cents": 5})
        );
    }

    /// Runs a whole auction over simulated buyers: their ping answers, which
    /// of them accept a post, and how many rounds of posts the window allows.
    /// Returns the posts in rounds and the end (sold to whom, or fallback).
    fn simulate(
        buyers: &[Buyer],
        pings: &[(usize, PingResult)],
        accepting: &[usize],
        rounds_in_window: usize,
    ) -> (Vec<Vec<usize>>, Step) {
        let bids: Vec<Offer> = pings
            .iter()
            .filter_map(|(buyer, result)| match result {
                PingResult::Bid { price_cents, .. } => Some(offer(*buyer, *price_cents)),
                _ => None,
            })
            .collect();
        let ranked = rank(buyers, &bids);
        let mut posted: Vec<Posted> = Vec::new();
        let mut rounds: Vec<Vec<usize>> = Vec::new();
        loop {
            match next_step(buyers, &ranked, &posted, rounds.len() < rounds_in_window) {
                Step::Post(offers) => {
                    rounds.push(offers.iter().map(|o| o.buyer).collect());
                    for o in offers {
                        posted.push(Posted {
                            buyer: o.buyer,
                            accepted: accepting.contains(&o.buyer),
                        });
                    }
                }
                end => return (rounds, end),
            }
        }
    }

    #[test]
    fn whole_auctions() {
        let buyers = buyers();
        let bid = |price: u32| PingResult::Bid {
            price_cents: price,
            bid_id: None,
        };
        let sold = |offers: &[(usize, u32)]| {
            Step::Sold(offers.iter().map(|(b, p)| offer(*b, *p)).collect())
        };
        // (name, ping answers, buyers accepting a post, rounds allowed,
        //  posts by round, end)
        type Case<'a> = (
            &'a str,
            Vec<(usize, PingResult)>,
            Vec<usize>,
            usize,
            Vec<Vec<usize>>,
            Step,
        );
        let cases: Vec<Case> = vec![
            (
                "the best bid wins",
                vec![(0, bid(3_000)), (1, bid(2_000)), (2, PingResult::NoBid)],
                vec![0, 1],
                10,
                vec![vec![0]],
                sold(&[(0, 3_000)]),
            ),
            (
                "a refused post cascades",
                vec![(0, bid(3_000)), (1, bid(2_000)), (2, bid(1_000))],
                vec![2],
                10,
                vec![vec![0], vec![1], vec![2]],
                sold(&[(2, 1_000)]),
            ),
            (
                "timeouts, late bids, failures and 429s are not bids",
                vec![
                    (0, PingResult::TimedOut),
                    (1, PingResult::Late { price_cents: 9_000 }),
                    (
                        2,
                        PingResult::Failed {
                            error: "HTTP 500".to_owned(),
                        },
                    ),
                    (
                        4,
                        PingResult::Limited {
                            retry_after_s: Some(60),
                        },
                    ),
                    (5, bid(600)),
                ],
                vec![5],
                10,
                vec![vec![5]],
                sold(&[(5, 600)]),
            ),
            (
                "shared beats exclusive and sells to two",
                vec![
                    (1, bid(2_000)),
                    (3, bid(1_200)),
                    (4, bid(1_100)),
                    (5, bid(1_000)),
                ],
                vec![1, 3, 4, 5],
                10,
                vec![vec![3, 4]],
                sold(&[(3, 1_200), (4, 1_100)]),
            ),
            (
                "e and f share (both allow three): 2100 beats 2000",
                vec![(1, bid(2_000)), (4, bid(1_100)), (5, bid(1_000))],
                vec![1, 4, 5],
                10,
                vec![vec![4, 5]],
                sold(&[(4, 1_100), (5, 1_000)]),
            ),
            (
                "an exclusive 2200 beats their 2100",
                vec![(1, bid(2_200)), (4, bid(1_100)), (5, bid(1_000))],
                vec![1, 4, 5],
                10,
                vec![vec![1]],
                sold(&[(1, 2_200)]),
            ),
            (
                "no bid clears a floor: fall back",
                vec![(0, bid(999)), (5, bid(499))],
                vec![0, 5],
                10,
                vec![],
                Step::Fallback,
            ),
            (
                "every buyer refuses: fall back",
                vec![(0, bid(3_000)), (3, bid(1_200)), (4, bid(1_100))],
                vec![],
                10,
                vec![vec![0], vec![3, 4]],
                Step::Fallback,
            ),
            (
                "the window closes before the cascade reaches the taker",
                vec![(0, bid(3_000)), (1, bid(2_000)), (2, bid(1_000))],
                vec![2],
                2,
                vec![vec![0], vec![1]],
                Step::Fallback,
            ),
        ];
        for (name, pings, accepting, rounds, posts, end) in cases {
            assert_eq!(
                simulate(&buyers, &pings, &accepting, rounds),
                (posts, end),
                "{name}"
            );
        }
    }

    /// Every field of a sale changes the sealed bytes.
    #[test]
    fn sale_seal_bytes_cover_every_field() {
        let base = sale_seal_bytes("lead_1", "form", "acme", "exclusive", 2200, 1_000);
        let changed = [
            sale_seal_bytes("lead_2", "form", "acme", "exclusive", 2200, 1_000),
            sale_seal_bytes("lead_1", "other", "acme", "exclusive", 2200, 1_000),
            sale_seal_bytes("lead_1", "form", "acmf", "exclusive", 2200, 1_000),
            sale_seal_bytes("lead_1", "form", "acme", "shared", 2200, 1_000),
            sale_seal_bytes("lead_1", "form", "acme", "exclusive", 2201, 1_000),
            sale_seal_bytes("lead_1", "form", "acme", "exclusive", 2200, 1_001),
        ];
        for (i, bytes) in changed.iter().enumerate() {
            assert_ne!(&base, bytes, "field {i}");
        }
    }
}
