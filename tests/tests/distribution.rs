//! Lead distribution through real workerd (local D1 and Queues) with
//! `tests/forms/distribution.toml` and local buyer stand-ins (the
//! destination server, its answers scripted per buyer path; `slow` on a
//! second server that answers after the buyer's 300 ms timeout): the best
//! bid wins and only it gets the post; a refused post cascades to the next
//! bid; a shared group worth more than the best exclusive bid is sold to
//! both at their bids; with no bid the lead is not sold and the owner's
//! webhook still gets it; every ping is signed, carries the buyer's keyed
//! dedup hashes (equal for the same buyer, different between buyers) and no
//! email, phone or name; the sales are in `GET /v1/leads/{id}`'s
//! `distribution` (sales, revenue, every step of the log). Then, in the
//! same Worker: a buyer capped at 2 a day gets exactly 2 of 5 leads
//! submitted at once; the ping-limited buyer is pinged at most 3 times in
//! any minute; and `POST /v1/leads/{id}/returns` signed by the buyer: a
//! wrong credential, an unknown reason, a lead the buyer did not buy, a
//! return inside the window (revenue follows), its replay, one outside the
//! window, and our 429 with `Retry-After` past the buyer's request limit.

use std::time::Duration;

use leadform_tests::destination::{Canned, Destination, Mode, Received};
use leadform_tests::envelope::{envelope, test_form, BUYER_SECRETS};
use leadform_tests::wrangler::{exclusive, Worker, WorkerOptions, PLACEHOLDER_DESTINATION};
use serde_json::{json, Map, Value};

const WAIT: Duration = Duration::from_secs(60);

/// Requests per buyer and minute to the returns endpoint in this test.
const BUYER_REQUESTS_PER_MINUTE: u32 = 4;

fn submit(worker: &Worker, n: usize) -> String {
    let form = test_form("distribution");
    let mut fields = Map::new();
    fields.insert("email".into(), json!(format!("Buyer.Test{n}@Example.com")));
    fields.insert("phone".into(), json!(format!("+1415555{:04}", 1200 + n)));
    fields.insert("name".into(), json!(format!("Zelda Quimby{n}")));
    fields.insert("zip".into(), json!("94110"));
    fields.insert("service".into(), json!("solar"));
    let body = envelope(&form, &format!("sub-dist-{n}"), fields);
    worker.submit_lead(&body, &format!("203.0.113.{}", 60 + n))
}

/// A buyer's return of `lead_id`, signed with `secret` (webhook-id
/// `id`): the status, the error code (if any) and the JSON answer.
fn return_lead(
    worker: &Worker,
    lead_id: &str,
    buyer: &str,
    reason: &str,
    secret: &str,
    id: &str,
) -> leadform_tests::http::HttpResponse {
    let body = json!({"lead_id": lead_id, "buyer": buyer, "reason": reason}).to_string();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let signature = leadform_edge::webhook::sign(secret.as_bytes(), id, timestamp, &body);
    let timestamp = timestamp.to_string();
    worker.request(
        "POST",
        &format!("/v1/leads/{lead_id}/returns"),
        &[
            ("content-type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", &timestamp),
            ("webhook-signature", &signature),
        ],
        &body,
    )
}

/// The unsold lead's delivery to the fallback hook (`2:webhook`) is
/// delivered, and the hook has it.
fn fallen_back(worker: &Worker, buyers: &Destination, lead_id: &str) {
    worker.wait_owner_json(
        &format!("/v1/leads/{lead_id}"),
        "the fallback delivery",
        WAIT,
        |lead| {
            lead["deliveries"].as_array().is_some_and(|d| {
                d.iter()
                    .any(|d| d["destination"] == "2:webhook" && d["status"] == "delivered")
            })
        },
    );
    buyers.wait_for("the fallback hook's request", WAIT, |received| {
        received.iter().any(|r| {
            r.path == "/fallback"
                && r.headers.get("webhook-id").map(String::as_str) == Some(lead_id)
        })
    });
}

fn secret_of(buyer: &str) -> &'static str {
    BUYER_SECRETS
        .iter()
        .find(|(name, _)| name.to_lowercase().contains(&buyer.replace('-', "_")))
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("secret of {buyer}"))
}

fn code(response: &leadform_tests::http::HttpResponse) -> String {
    response.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The lead once its distribution delivery is settled.
fn settled(worker: &Worker, lead_id: &str) -> Value {
    worker.wait_owner_json(
        &format!("/v1/leads/{lead_id}"),
        "the distribution delivery to settle",
        WAIT,
        |lead| {
            distribution_status(lead)
                .is_some_and(|s| s != "pending" && s != "failed" && s != "sending")
        },
    )
}

fn distribution_status(lead: &Value) -> Option<String> {
    lead["deliveries"]
        .as_array()?
        .iter()
        .find(|d| d["destination"] == "0:distribution")
        .and_then(|d| d["status"].as_str())
        .map(str::to_owned)
}

/// The lead's sales from `GET /v1/leads/{id}`: (buyer, price), by buyer.
fn sales(lead: &Value) -> Vec<(String, u64)> {
    lead["distribution"]["sales"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r["buyer"].as_str().unwrap_or_default().to_owned(),
                        r["price_cents"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The lead's distribution log from `GET /v1/leads/{id}`, in order.
fn log(lead: &Value) -> Vec<Value> {
    lead["distribution"]["log"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn for_lead<'a>(received: &'a [Received], lead_id: &str, suffix: &str) -> Vec<&'a Received> {
    received
        .iter()
        .filter(|r| r.path.ends_with(suffix))
        .filter(|r| {
            r.headers
                .get("webhook-id")
                .is_some_and(|id| id.starts_with(lead_id))
        })
        .collect()
}

fn buyer_of(path: &str) -> String {
    path.trim_start_matches("/buyers/")
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn bid(price: u32) -> Canned {
    Canned::new(
        200,
        &format!("{{\"price_cents\": {price}, \"bid_id\": \"b-{price}\"}}"),
    )
}

fn no_bid() -> Canned {
    Canned::new(200, "{\"bid\": false}")
}

#[test]
fn auctions_caps_ping_limits_and_returns() {
    let _guard = exclusive();
    let buyers = Destination::start();
    let slow = Destination::start();
    slow.set_mode(Mode::Hang(Duration::from_secs(3)));
    let rewrites = json!([
        [
            format!("{PLACEHOLDER_DESTINATION}slow/"),
            format!("{}/slow/", slow.base_url())
        ],
        [PLACEHOLDER_DESTINATION, format!("{}/", buyers.base_url())],
    ]);
    let mut extra_vars = vec![
        ("DESTINATION_URL_REWRITES", rewrites.to_string()),
        (
            "BUYER_REQUESTS_PER_MINUTE",
            BUYER_REQUESTS_PER_MINUTE.to_string(),
        ),
    ];
    for (name, value) in BUYER_SECRETS {
        extra_vars.push((name, value.to_owned()));
    }
    let worker = Worker::start(WorkerOptions {
        destination_base: Some(buyers.base_url()),
        extra_vars,
        ..Default::default()
    });

    // 1. The best bid wins; the slow buyer's ping times out.
    buyers.script("/buyers/sunco/ping", vec![bid(3_000)]);
    buyers.script("/buyers/bright/ping", vec![bid(2_000)]);
    buyers.script("/buyers/share-a/ping", vec![no_bid()]);
    buyers.script("/buyers/share-b/ping", vec![no_bid()]);
    let winner = submit(&worker, 1);
    let lead = settled(&worker, &winner);
    assert_eq!(
        distribution_status(&lead).as_deref(),
        Some("delivered"),
        "{lead:#}"
    );
    assert_eq!(sales(&lead), vec![("sunco".to_owned(), 3_000)]);
    assert_eq!(lead["distribution"]["revenue_cents"], 3_000);
    // The sale is sealed: what was sold to whom, at what price, when.
    assert_eq!(
        lead["distribution"]["sales"][0]["seal_verified"], true,
        "{lead:#}"
    );
    let received = buyers.received();
    let posts: Vec<String> = for_lead(&received, &winner, "/post")
        .iter()
        .map(|r| buyer_of(&r.path))
        .collect();
    assert_eq!(posts, ["sunco"]);
    let post = for_lead(&received, &winner, "/post")[0];
    let body: Value = serde_json::from_str(&post.body).expect("post json");
    assert_eq!(body["price_cents"], 3_000);
    assert_eq!(body["bid_id"], "b-3000");
    assert!(body["bid_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("bid1.3000.")));
    assert_eq!(body["lead"]["values"]["email"], "Buyer.Test1@example.com");
    let entries = log(&lead);
    let slow_ping = entries
        .iter()
        .find(|e| e["event"] == "ping" && e["buyer"] == "slow")
        .unwrap_or_else(|| panic!("no slow ping in {entries:#?}"));
    assert_eq!(slow_ping["result"], "timed_out", "{slow_ping}");
    assert_eq!(
        entries.last().map(|e| e["event"].clone()),
        Some(json!("decision"))
    );

    // 2. The winner refuses the post: it cascades to the next bid.
    buyers.script("/buyers/sunco/ping", vec![bid(3_000)]);
    buyers.script(
        "/buyers/sunco/post",
        vec![Canned::new(409, "{\"accepted\": false}")],
    );
    buyers.script("/buyers/bright/ping", vec![bid(2_000)]);
    buyers.script("/buyers/share-a/ping", vec![no_bid()]);
    buyers.script("/buyers/share-b/ping", vec![no_bid()]);
    let cascade = submit(&worker, 2);
    let lead = settled(&worker, &cascade);
    assert_eq!(
        distribution_status(&lead).as_deref(),
        Some("delivered"),
        "{lead:#}"
    );
    assert_eq!(sales(&lead), vec![("bright".to_owned(), 2_000)]);
    let received = buyers.received();
    let posts: Vec<String> = for_lead(&received, &cascade, "/post")
        .iter()
        .map(|r| buyer_of(&r.path))
        .collect();
    assert_eq!(posts, ["sunco", "bright"]);

    // 3. Shared: 1200 + 1000 from the shared buyers beats an exclusive 1500.
    buyers.script("/buyers/sunco/ping", vec![no_bid()]);
    buyers.script("/buyers/bright/ping", vec![bid(1_500)]);
    buyers.script("/buyers/share-a/ping", vec![bid(1_200)]);
    buyers.script("/buyers/share-b/ping", vec![bid(1_000)]);
    let shared = submit(&worker, 3);
    let lead = settled(&worker, &shared);
    assert_eq!(
        distribution_status(&lead).as_deref(),
        Some("delivered"),
        "{lead:#}"
    );
    assert_eq!(
        sales(&lead),
        vec![("share-a".to_owned(), 1_200), ("share-b".to_owned(), 1_000)]
    );

    // 4. No bid: not sold; the owner's webhook has the lead all the same.
    buyers.script("/buyers/sunco/ping", vec![bid(900)]);
    buyers.script("/buyers/bright/ping", vec![no_bid()]);
    buyers.script("/buyers/share-a/ping", vec![Canned::new(500, "")]);
    buyers.script("/buyers/share-b/ping", vec![no_bid()]);
    let unsold = submit(&worker, 4);
    let lead = settled(&worker, &unsold);
    assert_eq!(
        distribution_status(&lead).as_deref(),
        Some("rejected"),
        "{lead:#}"
    );
    assert!(sales(&lead).is_empty());
    buyers.wait_for("the owner's webhook of the unsold lead", WAIT, |received| {
        received.iter().any(|r| {
            r.path == "/crm" && r.headers.get("webhook-id").map(String::as_str) == Some(&unsold)
        })
    });
    let decision = log(&lead)
        .into_iter()
        .find(|e| e["event"] == "decision")
        .expect("a decision");
    assert_eq!(decision["fallback"], true, "{decision}");
    assert_eq!(decision["fallback_to"], "2:webhook", "{decision}");
    fallen_back(&worker, &buyers, &unsold);

    // 4b. Every buyer fails: both bidders' posts answer 500. Nothing is
    // lost: the fallback destination gets the lead.
    buyers.script("/buyers/sunco/ping", vec![bid(3_000)]);
    buyers.script("/buyers/sunco/post", vec![Canned::new(500, "")]);
    buyers.script("/buyers/bright/ping", vec![bid(2_000)]);
    buyers.script("/buyers/bright/post", vec![Canned::new(500, "")]);
    let all_failed = submit(&worker, 5);
    let lead = settled(&worker, &all_failed);
    assert_eq!(
        distribution_status(&lead).as_deref(),
        Some("rejected"),
        "{lead:#}"
    );
    assert!(sales(&lead).is_empty());
    let posts: Vec<String> = for_lead(&buyers.received(), &all_failed, "/post")
        .iter()
        .map(|r| buyer_of(&r.path))
        .collect();
    assert_eq!(posts, ["sunco", "bright"]);
    fallen_back(&worker, &buyers, &all_failed);
    // A sold lead never reaches the fallback.
    for sold in [&winner, &cascade, &shared] {
        let lead = settled(&worker, sold);
        assert!(
            lead["deliveries"]
                .as_array()
                .is_some_and(|d| d.iter().all(|d| d["destination"] != "2:webhook")),
            "{lead:#}"
        );
    }

    // Every ping: signed by its buyer's secret, no contact data, and the
    // dedup hashes keyed per buyer.
    let received = buyers.received();
    let pings: Vec<&Received> = received
        .iter()
        .filter(|r| r.path.ends_with("/ping"))
        .collect();
    assert!(pings.len() >= 16, "{} pings", pings.len());
    for ping in &pings {
        let buyer = buyer_of(&ping.path);
        let secret = secret_of(&buyer);
        let id = ping.headers.get("webhook-id").cloned().unwrap_or_default();
        let timestamp: u64 = ping
            .headers
            .get("webhook-timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
        let signature = ping
            .headers
            .get("webhook-signature")
            .cloned()
            .unwrap_or_default();
        assert!(
            leadform_edge::webhook::verify(
                secret.as_bytes(),
                &id,
                timestamp,
                &ping.body,
                &signature
            ),
            "ping to {buyer} not signed with its secret"
        );
        for n in 1..=4 {
            for personal in [
                format!("Test{n}@"),
                format!("test{n}@"),
                "example.com".to_owned(),
                format!("555{:04}", 1200 + n),
                format!("Quimby{n}"),
                "Zelda".to_owned(),
            ] {
                assert!(
                    !ping.body.contains(&personal),
                    "{personal} in ping to {buyer}: {}",
                    ping.body
                );
            }
        }
        let body: Value = serde_json::from_str(&ping.body).expect("ping json");
        assert_eq!(body["ping"]["answers"]["service"], "solar");
        assert_eq!(body["ping"]["postal_code"], "94110");
    }
    let hash = |buyer: &str, lead_id: &str| -> String {
        pings
            .iter()
            .find(|r| {
                buyer_of(&r.path) == buyer
                    && r.headers
                        .get("webhook-id")
                        .is_some_and(|id| id.starts_with(lead_id))
            })
            .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
            .and_then(|b| b["ping"]["matches"]["email"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no email match in the ping to {buyer}"))
    };
    // The same person (lead 1 and a later lead with the same email would
    // match); different buyers never share a hash.
    assert_ne!(hash("sunco", &winner), hash("bright", &winner));
    assert_ne!(hash("sunco", &winner), hash("sunco", &cascade));
    let key = leadform_edge::distribution::dedup_key(b"sunco-shared-secret");
    let expected =
        leadform_edge::distribution::match_hash(&key, "email", "buyer.test1@example.com");
    assert_eq!(hash("sunco", &winner), expected.as_str());

    // 5. Caps, counted in the rate-limiter Durable Object: five leads at
    // once, all bid on by `capped` (2 a day): exactly two are sold to it.
    buyers.script("/buyers/capped/ping", (0..5).map(|_| bid(5_000)).collect());
    let concurrent: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (10..15)
            .map(|n| {
                let worker = &worker;
                scope.spawn(move || submit(worker, n))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("submit thread"))
            .collect()
    });
    let mut sold_to_capped = 0;
    let mut capped_skips = 0;
    for lead_id in &concurrent {
        let lead = settled(&worker, lead_id);
        if sales(&lead) == vec![("capped".to_owned(), 5_000)] {
            sold_to_capped += 1;
        }
        capped_skips += log(&lead)
            .iter()
            .filter(|e| {
                e["event"] == "skipped" && e["buyer"] == "capped" && e["reason"] == "capped"
            })
            .count();
    }
    assert_eq!(sold_to_capped, 2, "sold to the capped buyer");
    for lead_id in &concurrent {
        if sales(&settled(&worker, lead_id)).is_empty() {
            fallen_back(&worker, &buyers, lead_id);
        }
    }
    assert_eq!(capped_skips, 3, "capped buyer skipped");
    let capped_posts = buyers
        .received()
        .iter()
        .filter(|r| r.path == "/buyers/capped/post")
        .count();
    assert_eq!(capped_posts, 2, "posts to the capped buyer");

    // The ping limit (3 a minute): `slow` never got a fourth ping in one
    // minute, and was skipped as ping_limited instead.
    let slow_pings = slow.received();
    let mut per_minute: Vec<(u64, usize)> = Vec::new();
    for ping in slow_pings.iter().filter(|r| r.path.ends_with("/ping")) {
        let minute = ping
            .headers
            .get("webhook-timestamp")
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or_default()
            / 60;
        match per_minute.iter_mut().find(|(m, _)| *m == minute) {
            Some((_, n)) => *n += 1,
            None => per_minute.push((minute, 1)),
        }
    }
    assert!(per_minute.iter().all(|(_, n)| *n <= 3), "{per_minute:?}");
    let all_leads = [&winner, &cascade, &shared, &unsold, &all_failed]
        .into_iter()
        .chain(&concurrent)
        .count();
    let limited = [&winner, &cascade, &shared, &unsold, &all_failed]
        .into_iter()
        .chain(&concurrent)
        .map(|id| settled(&worker, id))
        .flat_map(|lead| log(&lead))
        .filter(|e| {
            e["event"] == "skipped" && e["buyer"] == "slow" && e["reason"] == "ping_limited"
        })
        .count();
    let pinged: usize = per_minute.iter().map(|(_, n)| n).sum();
    assert_eq!(pinged + limited, all_leads, "{per_minute:?}");
    assert!(
        limited >= all_leads.saturating_sub(3 * per_minute.len()),
        "{limited}"
    );

    // 6. Returns, signed by the buyer.
    let wrong = return_lead(
        &worker,
        &winner,
        "sunco",
        "invalid_contact",
        secret_of("bright"),
        "ret-1",
    );
    assert_eq!(
        (wrong.status, code(&wrong).as_str()),
        (401, "return.bad_credential"),
        "{}",
        wrong.body
    );
    let unknown = return_lead(
        &worker,
        &winner,
        "sunco",
        "changed_my_mind",
        secret_of("sunco"),
        "ret-2",
    );
    assert_eq!(
        (unknown.status, code(&unknown).as_str()),
        (422, "return.unknown_reason"),
        "{}",
        unknown.body
    );
    let not_sold = return_lead(
        &worker,
        &winner,
        "bright",
        "fraud",
        secret_of("bright"),
        "ret-3",
    );
    assert_eq!(
        (not_sold.status, code(&not_sold).as_str()),
        (409, "return.not_sold"),
        "{}",
        not_sold.body
    );
    let lead_before = settled(&worker, &shared);
    assert_eq!(lead_before["distribution"]["revenue_cents"], 2_200);
    let inside = return_lead(
        &worker,
        &shared,
        "share-a",
        "invalid_contact",
        secret_of("share-a"),
        "ret-4",
    );
    assert_eq!(inside.status, 200, "{}", inside.body);
    assert_eq!(inside.json()["revenue_cents"], 1_000);
    let replay = return_lead(
        &worker,
        &shared,
        "share-a",
        "invalid_contact",
        secret_of("share-a"),
        "ret-4",
    );
    assert_eq!(
        (replay.status, code(&replay).as_str()),
        (409, "return.already_returned"),
        "{}",
        replay.body
    );
    let lead = settled(&worker, &shared);
    assert_eq!(lead["distribution"]["revenue_cents"], 1_000, "{lead:#}");
    let returned = lead["distribution"]["sales"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["buyer"] == "share-a"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(returned["return_reason"], "invalid_contact", "{returned}");
    assert!(returned["returned_at"].is_string(), "{returned}");
    let last = log(&lead).last().cloned().unwrap_or_default();
    assert_eq!(
        (last["event"].as_str(), last["buyer"].as_str()),
        (Some("returned"), Some("share-a")),
        "{last}"
    );
    // Outside the window: the sale made 8 days ago (bright's window is 7).
    worker.d1(&format!(
        "UPDATE lead_sales SET sold_at_ms = sold_at_ms - 691200000 WHERE lead_id = '{cascade}'"
    ));
    let outside = return_lead(
        &worker,
        &cascade,
        "bright",
        "duplicate",
        secret_of("bright"),
        "ret-5",
    );
    assert_eq!(
        (outside.status, code(&outside).as_str()),
        (409, "return.window_closed"),
        "{}",
        outside.body
    );
    let altered = settled(&worker, &cascade);
    assert_eq!(altered["distribution"]["revenue_cents"], 2_000);
    // The row was changed in D1, outside the Worker: its seal says so.
    assert_eq!(
        altered["distribution"]["sales"][0]["seal_verified"], false,
        "{altered:#}"
    );
    // Past the buyer's requests a minute: our 429 with Retry-After.
    let mut limited = None;
    for n in 0..(3 * BUYER_REQUESTS_PER_MINUTE) {
        let answer = return_lead(
            &worker,
            &shared,
            "share-b",
            "nope",
            secret_of("share-b"),
            &format!("ret-b{n}"),
        );
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
        assert_eq!(code(&answer), "return.unknown_reason", "{}", answer.body);
    }
    let limited = limited.expect("a 429 past the buyer's request limit");
    assert_eq!(code(&limited), "rate_limit.exceeded", "{}", limited.body);
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

    // 7. The export: revenue (after the return), sold to, sale count.
    let csv = worker.owner("GET", "/v1/leads?form=distribution&format=csv&limit=100");
    assert_eq!(csv.status, 200, "{}", csv.body);
    let header = csv.body.lines().next().unwrap_or_default().to_owned();
    assert!(
        header.ends_with(",revenue_cents,sold_to,sale_count"),
        "{header}"
    );
    let line = |lead_id: &str| {
        csv.body
            .lines()
            .find(|l| l.starts_with(lead_id))
            .unwrap_or_else(|| panic!("{lead_id} not in the export"))
            .to_owned()
    };
    assert!(
        line(&shared).ends_with(",1000,share-a (returned);share-b,2"),
        "{}",
        line(&shared)
    );
    assert!(
        line(&winner).ends_with(",3000,sunco,1"),
        "{}",
        line(&winner)
    );
    assert!(line(&unsold).ends_with(",,,"), "{}", line(&unsold));
    let json = worker.owner("GET", "/v1/leads?form=distribution&format=json&limit=100");
    let exported = json.json()["leads"]
        .as_array()
        .and_then(|leads| leads.iter().find(|l| l["lead_id"] == shared.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(exported["sale"]["revenue_cents"], 1_000, "{exported:#}");
    assert_eq!(exported["sale"]["sale_count"], 2, "{exported:#}");
    drop(slow);
}
