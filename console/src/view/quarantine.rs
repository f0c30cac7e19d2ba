//! The quarantine: submissions held by a spam signal, per form, with the
//! signals that fired; release (it becomes a lead, delivered once) or
//! discard (an audit stub stays).

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::{load_into, session, show_load, FormPicker, Load};
use crate::api;
use crate::model::{self, Contact};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct QuarantineBody {
    #[serde(default, alias = "quarantined")]
    pub items: Vec<Value>,
}

#[component]
pub fn QuarantinePage() -> impl IntoView {
    let session = session();
    let form = session.form;
    let state = RwSignal::new(Load::<QuarantineBody>::Loading);
    let reload = move || {
        let form = form.get_untracked();
        if form.is_empty() {
            return;
        }
        let token = session.token();
        load_into(session, state, async move {
            let path = format!(
                "/v1/quarantine?form={}&limit=100",
                model::percent_encode(&form)
            );
            api::get::<QuarantineBody>(&path, &token).await
        });
    };
    Effect::new(move |_| {
        form.track();
        reload();
    });
    let act = move |method: &'static str, id: String| {
        let token = session.token();
        leptos::task::spawn_local(async move {
            let (path, done) = if method == "POST" {
                (
                    format!("/v1/quarantine/{}/release", model::percent_encode(&id)),
                    "Released: it is now a lead and is being delivered.",
                )
            } else {
                (
                    format!("/v1/quarantine/{}", model::percent_encode(&id)),
                    "Discarded: the audit stub is kept.",
                )
            };
            match api::send(method, &path, &token, None).await {
                Ok(_) => {
                    session.tell(true, done);
                    reload();
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };
    let content = move |body: QuarantineBody| {
        if body.items.is_empty() {
            return view! { <p class="muted">"Nothing is held for this form."</p> }.into_any();
        }
        view! {
            <div class="scroll" tabindex="0" role="region" aria-label="Held submissions">
                <table class="rows">
                    <caption class="sr-only">"Held submissions"</caption>
                    <thead><tr>
                        <th scope="col">"Received"</th><th scope="col">"Contact"</th><th scope="col">"Signals"</th>
                        <th scope="col">"Status"</th><th scope="col">"Expires"</th><th scope="col">"Action"</th>
                    </tr></thead>
                    <tbody>
                        {body.items.into_iter().map(|item| {
                            let id = item["quarantine_id"].as_str().unwrap_or_default().to_owned();
                            let contact = Contact::of(&item["values"]);
                            let signals = item["signals"].as_array().map(|s| {
                                s.iter().map(|signal| match signal {
                                    Value::Object(_) => model::cell(&signal["signal"]),
                                    other => model::cell(other),
                                }).collect::<Vec<_>>().join(", ")
                            }).unwrap_or_default();
                            let held = item["status"] == "held";
                            let (release_id, discard_id) = (id.clone(), id.clone());
                            view! {
                                <tr>
                                    <td>{model::cell(&item["received_at"])}</td>
                                    <td>{[contact.name, contact.email, contact.phone].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</td>
                                    <td>{signals}</td>
                                    <td>{model::cell(&item["status"])}</td>
                                    <td>{model::cell(&item["expires_at"])}</td>
                                    <td class="actions">
                                        {(held && session.may("replay")).then(|| view! {
                                            <button type="button" on:click=move |_| act("POST", release_id.clone())>"Release"</button>
                                        })}
                                        {(held && session.may("erase")).then(|| view! {
                                            <button type="button" class="danger" on:click=move |_| act("DELETE", discard_id.clone())>"Discard"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <h1>"Quarantine"</h1>
        <div class="filters"><div><FormPicker/></div></div>
        {show_load(state, content)}
    }
}
