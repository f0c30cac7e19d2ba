//! One lead: its values, attribution, qualification, status with the
//! buttons that set it, the routing decision, the distribution (sales with
//! their seal checks, revenue, the auction log), every delivery attempt with
//! replay, each consent certificate with a badge checked in this browser
//! from the published Ed25519 keys, and erasure behind a typed confirmation.
//!
//! Buttons show only when the token's scopes allow the action; the edge
//! refuses it anyway (403) if they did not.

use leptos::prelude::*;
use serde_json::{json, Value};

use super::leads::mark_opened;
use super::{load_into, session, show_load, Load, Session};
use crate::api::{self, ApiError};
use crate::model::{self, Page};

/// The statuses an owner can set (`POST /v1/leads/{id}/status`).
const STATUSES: [&str; 6] = [
    "contacted",
    "qualified",
    "disqualified",
    "won",
    "lost",
    "returned",
];

/// Loads the lead again (after a replay, a status, an erasure).
fn reload(session: Session, id: String, state: RwSignal<Load<Value>>) {
    let token = session.token();
    load_into(session, state, async move {
        api::get::<Value>(&format!("/v1/leads/{}", model::percent_encode(&id)), &token).await
    });
}

#[component]
pub fn LeadPage(id: String) -> impl IntoView {
    let session = session();
    mark_opened(&id);
    let state = RwSignal::new(Load::<Value>::Loading);
    reload(session, id.clone(), state);
    let content = move |lead: Value| {
        let id = lead["lead_id"].as_str().unwrap_or_default().to_owned();
        let erased = lead["erased_at"].as_str().map(str::to_owned);
        let certificates: Vec<String> = lead["certificate_ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        view! {
            <p><a href=Page::Leads.href()>"← All leads"</a></p>
            <h1>"Lead " <code>{id.clone()}</code></h1>
            <dl class="facts">
                <dt>"Form"</dt>
                <dd>{model::cell(&lead["form_id"])}</dd>
                <dt>"Received"</dt>
                <dd>{model::cell(&lead["received_at"])}</dd>
                <dt>"Record seal"</dt>
                <dd>{badge(lead["seal_verified"].as_bool() == Some(true), "seal verified by the Worker", "seal not verified")}</dd>
                {lead["previous_lead_id"].as_str().map(|previous| {
                    view! {
                        <dt>"Earlier lead of this person"</dt>
                        <dd><a href=Page::Lead(previous.to_owned()).href()>{previous.to_owned()}</a></dd>
                    }
                })}
                {erased.clone().map(|at| view! { <dt>"Erased"</dt><dd>{at}</dd> })}
            </dl>
            <Values values=lead["values"].clone()/>
            <Attribution attribution=lead["record"]["attribution"].clone()/>
            <Qualification qualification=lead["record"]["qualification"].clone()/>
            <Status lead=lead.clone() state=state/>
            <Routing routing=lead["routing"].clone()/>
            <Distribution distribution=lead["distribution"].clone()/>
            <Deliveries lead=lead.clone() state=state/>
            <section aria-labelledby="certificates">
                <h2 id="certificates">"Consent certificates"</h2>
                {if certificates.is_empty() {
                    view! { <p class="muted">"This form asks for no consent."</p> }.into_any()
                } else {
                    certificates
                        .into_iter()
                        .map(|certificate| view! { <Certificate id=certificate/> })
                        .collect_view()
                        .into_any()
                }}
            </section>
            {erased.is_none().then(|| view! { <Erase id=id.clone() state=state/> })}
        }
    };
    show_load(state, content)
}

fn badge(ok: bool, yes: &'static str, no: &'static str) -> impl IntoView {
    view! {
        <span class="badge" class:good=ok class:bad=!ok>
            {if ok { yes } else { no }}
        </span>
    }
}

/// A JSON object as a two-column table (key, value).
fn pairs_table(caption: &'static str, object: &Value) -> impl IntoView {
    let rows: Vec<(String, String)> = object
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), model::cell(v))).collect())
        .unwrap_or_default();
    view! {
        <table class="pairs">
            <caption>{caption}</caption>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(key, value)| view! { <tr><th scope="row">{key}</th><td>{value}</td></tr> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Values(values: Value) -> impl IntoView {
    view! {
        <section aria-labelledby="values">
            <h2 id="values">"Answers"</h2>
            {if values.is_null() {
                view! { <p class="muted">"No values (erased)."</p> }.into_any()
            } else {
                pairs_table("The values as validated, phones as E.164", &values).into_any()
            }}
        </section>
    }
}

#[component]
fn Attribution(attribution: Value) -> impl IntoView {
    (!attribution.is_null()).then(|| {
        view! {
            <section aria-labelledby="attribution">
                <h2 id="attribution">"Attribution"</h2>
                {(!attribution["first_touch"].is_null())
                    .then(|| pairs_table("First touch", &attribution["first_touch"]))}
                {pairs_table("This visit", &attribution["current"])}
            </section>
        }
    })
}

#[component]
fn Qualification(qualification: Value) -> impl IntoView {
    (!qualification.is_null()).then(|| {
        let fired: Vec<String> = qualification["fired"]
            .as_array()
            .map(|rules| {
                rules
                    .iter()
                    .map(|rule| match rule {
                        Value::Object(_) => {
                            let name = model::cell(&rule["rule"]);
                            let name = if name.is_empty() {
                                model::cell(&rule["id"])
                            } else {
                                name
                            };
                            format!("{name}: {}", model::cell(&rule["points"]))
                        }
                        other => model::cell(other),
                    })
                    .collect()
            })
            .unwrap_or_default();
        view! {
            <section aria-labelledby="qualification">
                <h2 id="qualification">"Score and grade"</h2>
                <dl class="facts">
                    <dt>"Score"</dt><dd>{model::cell(&qualification["score"])}</dd>
                    <dt>"Tier"</dt><dd>{model::cell(&qualification["tier"])}</dd>
                    <dt>"Mark"</dt><dd>{model::cell(&qualification["mark"])}</dd>
                    <dt>"Grade"</dt><dd>{model::cell(&qualification["grade"])}</dd>
                </dl>
                <h3>"Why: the rules that fired"</h3>
                <ul>
                    {fired.into_iter().map(|rule| view! { <li>{rule}</li> }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn Status(lead: Value, state: RwSignal<Load<Value>>) -> impl IntoView {
    let session = session();
    let id = lead["lead_id"].as_str().unwrap_or_default().to_owned();
    let history: Vec<Value> = lead["status_history"]
        .as_array()
        .or_else(|| lead["statuses"].as_array())
        .cloned()
        .unwrap_or_default();
    // `closed_loop.status`: the latest status (null while the lead is new).
    let current = model::cell(&lead["closed_loop"]["status"]);
    let detail = RwSignal::new(String::new());
    let set_status = move |status: &'static str, id: String| {
        let token = session.token();
        let detail = detail.get_untracked();
        let mut body = json!({ "status": status });
        match status {
            "won" if !detail.is_empty() => match detail.trim().parse::<f64>() {
                Ok(value) => body["value"] = json!(value),
                Err(_) => {
                    session.tell(false, "A won lead's value is a number (e.g. 1200).");
                    return;
                }
            },
            "returned" | "lost" | "disqualified" if !detail.is_empty() => {
                body["reason"] = json!(detail.trim())
            }
            _ => {}
        }
        leptos::task::spawn_local(async move {
            let path = format!("/v1/leads/{}/status", model::percent_encode(&id));
            match api::send("POST", &path, &token, Some(&body)).await {
                Ok(_) => {
                    session.tell(true, format!("Status set to {status}."));
                    reload(session, id, state);
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };
    view! {
        <section aria-labelledby="status">
            <h2 id="status">"Status"</h2>
            <p>"Current: " <strong>{if current.is_empty() { "new".to_owned() } else { current }}</strong></p>
            {(!history.is_empty()).then(|| {
                view! {
                    <div class="scroll" tabindex="0" role="region" aria-label="Status history">
                    <table class="rows">
                        <caption>"History"</caption>
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Status"</th><th scope="col">"Detail"</th><th scope="col">"Source"</th></tr></thead>
                        <tbody>
                            {history.into_iter().map(|entry| view! {
                                <tr>
                                    <td>{model::cell(&entry["at"])}</td>
                                    <td>{model::cell(&entry["status"])}</td>
                                    <td>{[model::cell(&entry["value"]), model::cell(&entry["reason"])].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")}</td>
                                    <td>{model::cell(&entry["source"])}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }
            })}
            {view! {
                <div class="status-buttons">
                    <label for="status-detail">"Value (won) or reason (lost, disqualified, returned)"</label>
                    <input id="status-detail" type="text" prop:value=move || detail.get() on:input=move |ev| detail.set(event_target_value(&ev))/>
                    <div class="actions">
                        {STATUSES.into_iter().map(|status| {
                            let id = id.clone();
                            view! { <button type="button" on:click=move |_| set_status(status, id.clone())>{status}</button> }
                        }).collect_view()}
                    </div>
                </div>
            }}
        </section>
    }
}

#[component]
fn Routing(routing: Value) -> impl IntoView {
    (!routing.is_null()).then(|| {
        view! {
            <section aria-labelledby="routing">
                <h2 id="routing">"Routing"</h2>
                <pre class="json">{serde_json::to_string_pretty(&routing).unwrap_or_default()}</pre>
            </section>
        }
    })
}

/// A sold (or offered) lead: each sale with its seal check, the revenue
/// after returns, and the auction's log (every ping, bid, skip, post and the
/// decision). Absent for a lead never offered to buyers.
#[component]
fn Distribution(distribution: Value) -> impl IntoView {
    (!distribution.is_null()).then(|| {
        let sales = distribution["sales"].as_array().cloned().unwrap_or_default();
        let log: Vec<model::LogLine> = distribution["log"]
            .as_array()
            .map(|entries| entries.iter().map(model::LogLine::of).collect())
            .unwrap_or_default();
        let revenue = model::price(distribution["revenue_cents"].as_u64().unwrap_or(0));
        view! {
            <section aria-labelledby="distribution">
                <h2 id="distribution">"Distribution"</h2>
                <p>"Revenue after returns: " <strong>{revenue}</strong></p>
                <div class="scroll" tabindex="0" role="region" aria-label="Sales">
                    <table class="rows sales">
                        <caption>"Sales"</caption>
                        <thead><tr><th scope="col">"Buyer"</th><th scope="col">"Sale"</th><th scope="col">"Price"</th><th scope="col">"Sold"</th><th scope="col">"Returned"</th><th scope="col">"Seal"</th></tr></thead>
                        <tbody>
                            {sales.into_iter().map(|sale| view! {
                                <tr>
                                    <td>{model::cell(&sale["buyer"])}</td>
                                    <td>{model::cell(&sale["sale"])}</td>
                                    <td>{model::price(sale["price_cents"].as_u64().unwrap_or(0))}</td>
                                    <td>{model::cell(&sale["sold_at"])}</td>
                                    <td>{[model::cell(&sale["returned_at"]), model::cell(&sale["return_reason"])].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")}</td>
                                    <td>{badge(sale["seal_verified"].as_bool() == Some(true), "sale seal verified", "sale seal not verified")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div class="scroll" tabindex="0" role="region" aria-label="Auction log">
                    <table class="rows distribution-log">
                        <caption>"Auction log"</caption>
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Destination"</th><th scope="col">"Event"</th><th scope="col">"Buyer"</th><th scope="col">"Detail"</th></tr></thead>
                        <tbody>
                            {log.into_iter().map(|line| view! {
                                <tr>
                                    <td>{line.at}</td>
                                    <td>{line.destination}</td>
                                    <td>{line.event}</td>
                                    <td>{line.buyer}</td>
                                    <td>{line.detail}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        }
    })
}

#[component]
fn Deliveries(lead: Value, state: RwSignal<Load<Value>>) -> impl IntoView {
    let session = session();
    let id = lead["lead_id"].as_str().unwrap_or_default().to_owned();
    let deliveries = lead["deliveries"].as_array().cloned().unwrap_or_default();
    let attempts = lead["attempts"].as_array().cloned().unwrap_or_default();
    let replay = move |id: String| {
        let token = session.token();
        leptos::task::spawn_local(async move {
            // Every destination again, delivered ones included: an owner's
            // explicit resend (the edge records it in the audit log).
            let path = format!("/v1/leads/{}/replay?all=true", model::percent_encode(&id));
            match api::send("POST", &path, &token, None).await {
                Ok(_) => {
                    session.tell(true, "Replay queued: the new attempts appear below.");
                    reload(session, id, state);
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };
    view! {
        <section aria-labelledby="deliveries">
            <h2 id="deliveries">"Deliveries"</h2>
            <div class="scroll" tabindex="0" role="region" aria-label="Deliveries per destination">
                <table class="rows">
                    <caption>"Per destination"</caption>
                    <thead><tr><th scope="col">"Destination"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col">"Last HTTP"</th><th scope="col">"Updated"</th></tr></thead>
                    <tbody>
                        {deliveries.into_iter().map(|d| view! {
                            <tr>
                                <td>{model::cell(&d["destination"])}</td>
                                <td>{model::cell(&d["status"])}</td>
                                <td>{model::cell(&d["attempts"])}</td>
                                <td>{model::cell(&d["last_http_status"])}</td>
                                <td>{model::cell(&d["updated_at"])}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="scroll" tabindex="0" role="region" aria-label="Delivery attempts">
                <table class="rows attempts">
                    <caption>"Every attempt"</caption>
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Destination"</th><th scope="col">"#"</th><th scope="col">"Outcome"</th><th scope="col">"HTTP"</th><th scope="col">"Latency"</th></tr></thead>
                    <tbody>
                        {attempts.into_iter().map(|a| view! {
                            <tr>
                                <td>{model::cell(&a["at"])}</td>
                                <td>{model::cell(&a["destination"])}</td>
                                <td>{model::cell(&a["attempt"])}</td>
                                <td>{model::cell(&a["outcome"])}</td>
                                <td>{model::cell(&a["http_status"])}</td>
                                <td>{format!("{} ms", model::cell(&a["latency_ms"]))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {session.may("replay").then(|| view! {
                <button type="button" on:click=move |_| replay(id.clone())>"Replay delivery"</button>
                <p class="muted">"Sends the lead to every destination again, delivered ones included."</p>
            })}
        </section>
    }
}

/// What this browser concluded about a certificate's signature.
#[derive(Debug, Clone, PartialEq)]
enum Check {
    Checking,
    Verified(String),
    Failed(String),
}

/// The published keys and the certificate's signed document, checked here.
async fn check_in_browser(id: &str, token: &str) -> Check {
    let keys = match fetch_public_keys().await {
        Ok(keys) => keys,
        Err(error) => return Check::Failed(error),
    };
    let path = format!(
        "/v1/certificates/{}?format=document",
        model::percent_encode(id)
    );
    let document = match api::get_text(&path, token).await {
        Ok(document) => document,
        Err(ApiError::Refused { code, .. }) => return Check::Failed(code),
        Err(error) => return Check::Failed(error.text()),
    };
    match leadform_verify::verify_document(document.as_bytes(), &keys) {
        Ok(verified) => Check::Verified(verified.kid),
        Err(error) => Check::Failed(error.code().to_owned()),
    }
}

async fn fetch_public_keys() -> Result<leadform_verify::KeySet, String> {
    // Public: no token, and not the Worker's word on the certificate.
    let text = api::get_text("/.well-known/leadform-keys.json", "")
        .await
        .map_err(|e| e.text())?;
    leadform_verify::KeySet::from_jwks(text.as_bytes()).map_err(|e| e.code().to_owned())
}

#[component]
fn Certificate(id: String) -> impl IntoView {
    let session = session();
    let state = RwSignal::new(Load::<Value>::Loading);
    let check = RwSignal::new(Check::Checking);
    {
        let token = session.token();
        let id = id.clone();
        load_into(session, state, async move {
            api::get::<Value>(
                &format!("/v1/certificates/{}", model::percent_encode(&id)),
                &token,
            )
            .await
        });
    }
    {
        let token = session.token();
        let id = id.clone();
        leptos::task::spawn_local(async move {
            check.set(check_in_browser(&id, &token).await);
        });
    }
    let content = move |body: Value| {
        let certificate = &body["certificate"];
        let consent = &certificate["consent"];
        view! {
            <article class="certificate">
                <h3>{format!("{} ({})", model::cell(&consent["consent_id"]), model::cell(&certificate["certificate_id"]))}</h3>
                <p>
                    {badge(body["seal_verified"].as_bool() == Some(true), "seal verified by the Worker", "seal not verified")}
                    " "
                    {move || match check.get() {
                        Check::Checking => view! { <span class="badge">"checking the signature…"</span> }.into_any(),
                        Check::Verified(kid) => view! {
                            <span class="badge good">{format!("signature verified in this browser (key {kid})")}</span>
                        }.into_any(),
                        Check::Failed(why) => view! {
                            <span class="badge bad">{format!("signature not verified: {why}")}</span>
                        }.into_any(),
                    }}
                </p>
                <p>{if consent["checked"].as_bool() == Some(true) { "Ticked by the visitor." } else { "Left unticked." }}</p>
                <blockquote class="disclosure">{model::cell(&consent["disclosure_text"])}</blockquote>
                <dl class="facts">
                    <dt>"Disclosure SHA-256"</dt><dd><code>{model::cell(&certificate["disclosure_sha256"])}</code></dd>
                    <dt>"Channels"</dt><dd>{model::cell(&consent["channels"])}</dd>
                    <dt>"Legal basis"</dt><dd>{model::cell(&certificate["legal_basis"])}</dd>
                </dl>
                {pairs_table("Covered values", &certificate["covered"])}
                {pairs_table("Evidence", &certificate["evidence"])}
            </article>
        }
    };
    show_load(state, content)
}

#[component]
fn Erase(id: String, state: RwSignal<Load<Value>>) -> impl IntoView {
    let session = session();
    let typed = RwSignal::new(String::new());
    let expected = id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !model::confirms(&typed.get_untracked(), &expected) {
            session.tell(false, "Type the lead's id exactly to erase it.");
            return;
        }
        let token = session.token();
        let id = expected.clone();
        leptos::task::spawn_local(async move {
            let path = format!("/v1/leads/{}", model::percent_encode(&id));
            match api::send("DELETE", &path, &token, None).await {
                Ok(_) => {
                    session.tell(
                        true,
                        "Erased: personal data destroyed, the audit stub kept.",
                    );
                    reload(session, id, state);
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };
    session.may("erase").then(|| {
        view! {
            <section aria-labelledby="erase">
                <h2 id="erase">"Erase this lead"</h2>
                <form class="danger" on:submit=on_submit>
                    <label for="erase-confirm">{format!("Type {id} to confirm")}</label>
                    <input
                        id="erase-confirm"
                        type="text"
                        autocomplete="off"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                    <button type="submit" class="danger">"Erase"</button>
                </form>
            </section>
        }
    })
}
