//! The audit log (admin tokens): every export, erasure, replay and token
//! change, oldest first, paged by the API's cursor.

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
            <div class="scroll">
                <table class="rows">
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
        <h1>"Audit log"</h1>
        {move || (!session.may("admin")).then(|| view! {
            <p class="bad">"Only admin tokens can read the audit log."</p>
        })}
        {show_load(state, content)}
    }
}
