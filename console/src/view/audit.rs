//! Data rights: erasure by email behind a typed confirmation (`erase`
//! scope: every lead and held submission of the address, `POST
//! /v1/erasures` with the address in the body), and the audit log (admin tokens): every export,
//! erasure, replay, redrive and token change, oldest first, paged by the
//! API's cursor.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::{load_into, session, show_load, Load};
use crate::api;
use crate::model;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuditBody {
    pub entries: Vec<Value>,
    #[serde(default)]
    pub next_cursor: Option<Value>,
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let session = session();
    let cursor = RwSignal::new(String::new());
    let state = RwSignal::new(Load::<AuditBody>::Loading);
    Effect::new(move |_| {
        let cursor = cursor.get();
        let token = session.token();
        load_into(session, state, async move {
            let mut path = "/v1/audit?limit=100".to_owned();
            if !cursor.is_empty() {
                path.push_str(&format!("&cursor={}", model::percent_encode(&cursor)));
            }
            api::get::<AuditBody>(&path, &token).await
        });
    });
    let content = move |body: AuditBody| {
        let next = body
            .next_cursor
            .as_ref()
            .map(model::cell)
            .filter(|c| !c.is_empty());
        view! {
            <div class="scroll" tabindex="0" role="region" aria-label="Audit log">
                <table class="rows audit">
                    <caption class="sr-only">"Audit log, oldest first"</caption>
                    <thead><tr>
                        <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                        <th scope="col">"Form"</th><th scope="col">"Detail"</th>
                    </tr></thead>
                    <tbody>
                        {body.entries.into_iter().map(|entry| view! {
                            <tr>
                                <td>{model::cell(&entry["at"])}</td>
                                <td>{model::cell(&entry["actor"])}</td>
                                <td>{model::cell(&entry["action"])}</td>
                                <td>{model::cell(&entry["form_id"])}</td>
                                <td><code>{if entry["detail"].is_null() { String::new() } else { entry["detail"].to_string() }}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="pager">
                <button type="button" disabled=next.is_none() on:click=move |_| {
                    if let Some(next) = next.clone() { cursor.set(next); }
                }>"Later entries"</button>
            </div>
        }
    };
    view! {
        <h1>"Data rights and audit log"</h1>
        {move || session.may("erase").then(|| view! { <EraseByEmail reload=cursor/> })}
        <h2>"Audit log"</h2>
        {move || (!session.may("admin")).then(|| view! {
            <p class="bad">"Only admin tokens can read the audit log."</p>
        })}
        {show_load(state, content)}
    }
}

/// Erases every lead of an address once the owner types `erase <address>`.
#[component]
fn EraseByEmail(reload: RwSignal<String>) -> impl IntoView {
    let session = session();
    let email = RwSignal::new(String::new());
    let typed = RwSignal::new(String::new());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked().trim().to_owned();
        if !address.contains('@')
            || !model::confirms(&typed.get_untracked(), &format!("erase {address}"))
        {
            session.tell(
                false,
                "Type the address, then \"erase\" and the address exactly to confirm.",
            );
            return;
        }
        let token = session.token();
        leptos::task::spawn_local(async move {
            // In the body, never the URL (request logs keep URLs).
            let body = serde_json::json!({ "email": address });
            match api::send("POST", "/v1/erasures", &token, Some(&body)).await {
                Ok(body) => {
                    let n = body["erased"].as_array().map_or(0, Vec::len);
                    session.tell(true, format!("Erased {n} lead(s) and held submission(s) of this address; the audit stubs kept."));
                    email.set(String::new());
                    typed.set(String::new());
                    // The audit log again, with the erasure in it.
                    reload.update(|_| {});
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };
    view! {
        <section aria-labelledby="erase-by-email">
            <h2 id="erase-by-email">"Erase everything of an email address"</h2>
            <form class="danger gate" on:submit=on_submit>
                <label for="erase-email">"Email address"</label>
                <input id="erase-email" type="email" autocomplete="off"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="erase-email-confirm">
                    {move || format!("Type erase {} to confirm", email.get().trim())}
                </label>
                <input id="erase-email-confirm" type="text" autocomplete="off"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))/>
                <button type="submit">"Erase"</button>
            </form>
        </section>
    }
}
