//! Speed to lead: the form's leads still waiting for first contact
//! (`GET /v1/leads?waiting=true`: no first contact reported, not erased),
//! each with the time since it arrived against its tier's SLA (`[[tiers]]
//! sla_minutes`, from `GET /v1/forms`), the most urgent first, refreshed
//! every 30 s. The SLA and the escalation are the edge's; this page only
//! shows where each lead stands.

use std::time::Duration;

use leptos::prelude::*;

use super::charts::SlaBar;
use super::leads::LeadsBody;
use super::{load_into, session, show_load, FormPicker, Load};
use crate::api;
use crate::model::{self, Contact, LeadQuery, Page, Sla};

const REFRESH: Duration = Duration::from_secs(30);

/// One waiting lead, as the table shows it.
#[derive(Debug, Clone)]
struct Waiting {
    id: String,
    label: String,
    tier: String,
    age_ms: u64,
    sla_minutes: Option<u32>,
    sla: Sla,
}

#[component]
pub fn SpeedPage() -> impl IntoView {
    let session = session();
    let state = RwSignal::new(Load::<LeadsBody>::Loading);
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        tick.track();
        let form = session.form.get();
        if form.is_empty() {
            return;
        }
        let query = LeadQuery {
            form,
            waiting: true,
            limit: 500,
            ..LeadQuery::default()
        };
        let token = session.token();
        load_into(session, state, async move {
            api::get::<LeadsBody>(&query.path(), &token).await
        });
    });
    if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let content = move |body: LeadsBody| {
        let now = api::now_ms();
        let tiers = session.form_info().map(|f| f.tiers).unwrap_or_default();
        let mut waiting: Vec<Waiting> = body
            .leads
            .iter()
            .map(|lead| {
                let id = model::cell(&lead["lead_id"]);
                let tier = model::cell(&lead["qualification"]["tier"]);
                let received = api::parse_time(lead["received_at"].as_str().unwrap_or_default());
                let age_ms = ((now - received).max(0.0)) as u64;
                let sla_minutes = tiers
                    .iter()
                    .find(|t| t.id == tier)
                    .and_then(|t| t.sla_minutes);
                let contact = Contact::of(&lead["values"]);
                let label = [contact.name, contact.email, contact.phone]
                    .into_iter()
                    .find(|t| !t.is_empty())
                    .unwrap_or_else(|| id.clone());
                Waiting {
                    id,
                    label,
                    tier,
                    age_ms,
                    sla_minutes,
                    sla: Sla::of(age_ms, sla_minutes),
                }
            })
            .collect();
        waiting.sort_by_key(|w| w.sla.urgency());
        let overdue = waiting
            .iter()
            .filter(|w| matches!(w.sla, Sla::Overdue { .. }))
            .count();
        if waiting.is_empty() {
            return view! { <p class="muted">"No lead of this form is waiting for first contact."</p> }
                .into_any();
        }
        view! {
            <p>{format!("{} lead(s) waiting for first contact, {overdue} past their SLA.", waiting.len())}</p>
            <div class="scroll" tabindex="0" role="region" aria-label="Leads waiting for first contact">
                <table class="rows speed">
                    <caption class="sr-only">"Leads waiting for first contact, most urgent first"</caption>
                    <thead><tr>
                        <th scope="col">"Lead"</th><th scope="col">"Tier"</th>
                        <th scope="col">"Waiting"</th><th scope="col">"SLA"</th>
                        <th scope="col">"Where it stands"</th>
                    </tr></thead>
                    <tbody>
                        {waiting.into_iter().map(|w| view! {
                            <WaitingRow waiting=w/>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <h1>"Speed to lead"</h1>
        <div class="filters"><div><FormPicker/></div></div>
        {show_load(state, content)}
    }
}

#[component]
fn WaitingRow(waiting: Waiting) -> impl IntoView {
    let class = waiting.sla.class();
    view! {
        <tr class=class>
            <td><a href=Page::Lead(waiting.id.clone()).href()>{waiting.label}</a></td>
            <td>{waiting.tier}</td>
            <td>{model::duration(waiting.age_ms)}</td>
            <td>{waiting.sla_minutes.map(|m| format!("{m} min")).unwrap_or_else(|| "–".to_owned())}</td>
            <td class="standing">
                <SlaBar used=model::sla_used(waiting.age_ms, waiting.sla_minutes) class=class/>
                " "
                <span>{waiting.sla.text()}</span>
            </td>
        </tr>
    }
}
