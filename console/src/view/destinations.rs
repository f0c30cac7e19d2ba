//! The form's destinations: per destination its state, last success,
//! failing since, how many leads are queued for it and how many it
//! dead-lettered, and whether a 410 disabled it (the health report's
//! `destinations`); with the `replay` scope, **Redrive dead letters**
//! (`POST /v1/forms/{id}/destinations/{key}/redrive`: due again now on a
//! fresh retry schedule, audited) and, for a destination a 410 disabled,
//! **Enable** (`POST .../enable`: sent to again, the leads held back since
//! the 410 due again, audited). Retries and sending stay the edge's.

use leptos::prelude::*;
use serde_json::Value;

use super::charts::BarTable;
use super::{load_into, session, show_load, FormPicker, Load, Session};
use crate::api;
use crate::model;

fn load(session: Session, state: RwSignal<Load<Value>>) {
    let form = session.form.get_untracked();
    if form.is_empty() {
        return;
    }
    let token = session.token();
    let id = model::percent_encode(&form);
    load_into(session, state, async move {
        api::get::<Value>(&format!("/v1/forms/{id}/health"), &token).await
    });
}

#[component]
pub fn DestinationsPage() -> impl IntoView {
    let session = session();
    let state = RwSignal::new(Load::<Value>::Loading);
    Effect::new(move |_| {
        session.form.track();
        load(session, state);
    });
    let content = move |body: Value| {
        let destinations = body["destinations"].as_array().cloned().unwrap_or_default();
        if destinations.is_empty() {
            return view! { <p class="muted">"This form sends to no destination."</p> }.into_any();
        }
        let queued: Vec<(String, u64)> = destinations
            .iter()
            .map(|d| {
                (
                    model::cell(&d["destination"]),
                    d["queued"].as_u64().unwrap_or(0) + d["dead"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        view! {
            <div class="scroll" tabindex="0" role="region" aria-label="Destinations">
                <table class="rows destinations">
                    <caption class="sr-only">"Each destination's health"</caption>
                    <thead><tr>
                        <th scope="col">"Destination"</th><th scope="col">"State"</th>
                        <th scope="col">"Last success"</th><th scope="col">"Failing since"</th>
                        <th scope="col">"Delivered"</th><th scope="col">"Queued"</th>
                        <th scope="col">"Dead letters"</th><th scope="col">"Action"</th>
                    </tr></thead>
                    <tbody>
                        {destinations.into_iter().map(|d| view! {
                            <DestinationRow destination=d state=state/>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <BarTable title="Leads not yet delivered, per destination (queued and dead)".to_owned() rows=queued/>
        }
        .into_any()
    };
    view! {
        <h1>"Destinations"</h1>
        <div class="filters"><div><FormPicker/></div></div>
        {show_load(state, content)}
    }
}

#[component]
fn DestinationRow(destination: Value, state: RwSignal<Load<Value>>) -> impl IntoView {
    let session = session();
    let key = model::cell(&destination["destination"]);
    let status = model::cell(&destination["state"]);
    let dead = destination["dead"].as_u64().unwrap_or(0);
    let disabled_at = model::cell(&destination["disabled_at"]);
    let state_text = if disabled_at.is_empty() {
        status.replace('_', " ")
    } else {
        format!("disabled (410 Gone) since {disabled_at}")
    };
    // `POST /v1/forms/{id}/destinations/{key}/{action}`, told, then the
    // view loaded again.
    let act = move |key: String, action: &'static str| {
        let token = session.token();
        let form = session.form.get_untracked();
        leptos::task::spawn_local(async move {
            let path = format!(
                "/v1/forms/{}/destinations/{}/{action}",
                model::percent_encode(&form),
                model::percent_encode(&key)
            );
            match api::send("POST", &path, &token, None).await {
                Ok(body) => {
                    let n = body["redriven"].as_u64().unwrap_or(0);
                    let told = if action == "enable" {
                        format!("Enabled {key}: {n} held-back lead(s) due again.")
                    } else {
                        format!("Redrive of {key}: {n} dead letter(s) due again.")
                    };
                    session.tell(true, told);
                    load(session, state);
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };
    let redrive = {
        let key = key.clone();
        move |_| act(key.clone(), "redrive")
    };
    let enable = {
        let key = key.clone();
        move |_| act(key.clone(), "enable")
    };
    let may = session.may("replay") && model::may_redrive(&status, dead);
    let may_enable = session.may("replay") && !disabled_at.is_empty();
    view! {
        <tr class=format!("state-{status}")>
            <th scope="row"><code>{key.clone()}</code></th>
            <td>{state_text}</td>
            <td>{model::cell(&destination["last_success_at"])}</td>
            <td>{model::cell(&destination["failing_since"])}</td>
            <td>{model::cell(&destination["delivered"])}</td>
            <td>{model::cell(&destination["queued"])}</td>
            <td>{dead}</td>
            <td>
                {may_enable.then(|| view! {
                    <button type="button" on:click=enable aria-label=format!("Enable {key} again")>
                        "Enable"
                    </button>
                })}
                {may.then(|| view! {
                    <button type="button" on:click=redrive aria-label=format!("Redrive the dead letters of {key}")>
                        "Redrive dead letters"
                    </button>
                })}
            </td>
        </tr>
    }
}
