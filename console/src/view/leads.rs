//! The leads table: every form's leads (or one form's), newest first, each
//! with its form, paged by the API's keyset cursor; form, date range,
//! route, tier, grade and status filters and the search by email, phone or
//! name (all the API's, so pages stay full and a search covers every lead
//! of the filter, not the page shown), the CSV and JSON download of the
//! current filter (`export` scope), and new leads appearing without a
//! reload (a poll every 5 s, one at a time; `data-polls` on the table's
//! section counts the answered ones, for tests to wait on). A lead is unread until it is opened
//! in this browser. The filters are the session's: they stay as they were
//! when the owner comes back from a lead.

use std::time::Duration;

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::{
    session, settle, show_load, Choice, DateChoice, FormFilter, FormInfo, LeadFilters, Load,
};
use crate::api;
use crate::model::{self, Contact, LeadQuery, Page};

const PAGE_SIZE: u32 = 25;
/// How often the table asks for leads newer than its newest.
const POLL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LeadsBody {
    pub leads: Vec<Value>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// A name search: how many leads the API read for this page.
    #[serde(default)]
    pub scanned: Option<u64>,
}

/// The lead ids opened in this browser (unread markers), in localStorage.
fn opened_ids() -> Vec<String> {
    local_get("leadform.console.opened")
        .map(|text| text.split(' ').map(str::to_owned).collect())
        .unwrap_or_default()
}

pub fn mark_opened(id: &str) {
    let mut ids = opened_ids();
    if !ids.iter().any(|i| i == id) {
        ids.push(id.to_owned());
        // The newest 500 are enough to mark a working inbox.
        let skip = ids.len().saturating_sub(500);
        local_set("leadform.console.opened", &ids[skip..].join(" "));
    }
}

fn local_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()
        .flatten()?
        .get_item(key)
        .ok()
        .flatten()
}

fn local_set(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

/// The cursor just past a lead (the API's `<received_at_ms>_<lead_id>`).
fn cursor_of(lead: &Value) -> Option<String> {
    let ms = api::parse_time(lead["received_at"].as_str()?);
    Some(format!("{}_{}", ms as u64, lead["lead_id"].as_str()?))
}

#[component]
pub fn LeadsPage() -> impl IntoView {
    let session = session();
    let filters = session.filters;
    // The search box as typed; sent (filters.q) when the search is submitted.
    let search = RwSignal::new(filters.with_untracked(|f| f.q.clone()));
    // Cursors of the pages before the current one (Back), and the current.
    let cursors = RwSignal::new(Vec::<String>::new());
    let cursor = RwSignal::new(String::new());
    let state = RwSignal::new(Load::<LeadsBody>::Loading);
    // Leads that arrived after the table was loaded, newest first.
    let arrived = RwSignal::new(Vec::<Value>::new());
    let opened = RwSignal::new(opened_ids());
    // Which load the table shows: an answer to an older one (the filter
    // changed since) is dropped, the table's and the poll's alike.
    let generation = StoredValue::new(0u64);
    // A poll in flight (the next waits for it), and the polls answered.
    let polling = StoredValue::new(false);
    let polls = RwSignal::new(0u64);

    // The filter as the API reads it (`""` form: every form).
    let filter_query = move |f: &LeadFilters| LeadQuery {
        form: f.form.clone(),
        since: model::date_to_since(&f.date).unwrap_or_default(),
        tier: f.tier.clone(),
        grade: f.grade.clone(),
        status: f.status.clone(),
        route: f.route.clone(),
        to: f.to.clone(),
        q: f.q.clone(),
        ..LeadQuery::default()
    };
    let query = move || LeadQuery {
        cursor: cursor.get(),
        limit: PAGE_SIZE,
        newest: true,
        ..filters.with(filter_query)
    };
    Effect::new(move |_| {
        let query = query();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        state.set(Load::Loading);
        arrived.set(Vec::new());
        let token = session.token();
        leptos::task::spawn_local(async move {
            let result = api::get::<LeadsBody>(&query.path(), &token).await;
            if generation.get_value() == mine {
                settle(session, state, result);
            }
        });
    });
    // New leads: the oldest-first page after the newest lead shown.
    let poll = move || {
        let newest = arrived.with_untracked(|a| a.first().cloned()).or_else(|| {
            state.with_untracked(|s| match s {
                Load::Ready(body) if cursor.with_untracked(String::is_empty) => {
                    body.leads.first().cloned()
                }
                _ => None,
            })
        });
        // Polling only on the first page; an empty first page asks from the start.
        let on_first_page = cursor.with_untracked(String::is_empty);
        let loaded = state.with_untracked(|s| matches!(s, Load::Ready(_)));
        if !on_first_page || !loaded || polling.get_value() {
            return;
        }
        let after = newest.as_ref().and_then(cursor_of).unwrap_or_default();
        let query = LeadQuery {
            cursor: after,
            limit: 100,
            ..filters.with_untracked(filter_query)
        };
        let token = session.token();
        let mine = generation.get_value();
        polling.set_value(true);
        leptos::task::spawn_local(async move {
            let answer = api::get::<LeadsBody>(&query.path(), &token).await;
            polling.set_value(false);
            if generation.get_value() != mine {
                return;
            }
            if let Ok(body) = answer {
                let shown = |id: &str| {
                    let listed = |leads: &[Value]| leads.iter().any(|l| l["lead_id"] == id);
                    arrived.with_untracked(|a| listed(a))
                        || state.with_untracked(|s| matches!(s, Load::Ready(b) if listed(&b.leads)))
                };
                let new: Vec<Value> = body
                    .leads
                    .into_iter()
                    .filter(|l| !shown(l["lead_id"].as_str().unwrap_or_default()))
                    .collect();
                if !new.is_empty() {
                    arrived.update(|a| {
                        for lead in new {
                            a.insert(0, lead);
                        }
                    });
                }
                polls.update(|n| *n += 1);
            }
        });
    };
    if let Ok(handle) = set_interval_with_handle(poll, POLL) {
        on_cleanup(move || handle.clear());
    }

    let export = move |format: &'static str| {
        let query = LeadQuery {
            limit: 500,
            ..query()
        };
        let token = session.token();
        leptos::task::spawn_local(async move {
            let name = query.download_name(format);
            let mime = if format == "csv" {
                "text/csv"
            } else {
                "application/json"
            };
            match api::get_text(&query.download_path(format), &token).await {
                Ok(text) => {
                    api::download(&name, mime, &text);
                    session.tell(
                        true,
                        format!("Exported {name} (up to 500 leads of this filter)."),
                    );
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    };

    let rows = move |body: LeadsBody| {
        let now = api::now_ms();
        let mut shown = arrived.get();
        shown.extend(body.leads);
        let next = body.next_cursor.clone();
        let searched = filters.with_untracked(|f| f.q.trim().to_owned());
        let summary = match (body.scanned, searched.is_empty()) {
            (Some(scanned), _) => format!(
                "{} lead(s) matching \u{201c}{searched}\u{201d} among {scanned} read{}",
                shown.len(),
                if next.is_some() {
                    "; Older searches further"
                } else {
                    ""
                }
            ),
            (None, false) => format!(
                "{} lead(s) matching \u{201c}{searched}\u{201d}",
                shown.len()
            ),
            (None, true) => format!("{} lead(s) on this page", shown.len()),
        };
        view! {
            <p class="muted" id="leads-summary" role="status">{summary}</p>
            <div class="scroll" tabindex="0" role="region" aria-label="Leads">
                <table class="leads">
                    <caption class="sr-only">"Leads, newest first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Received"</th>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Form"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Phone"</th>
                            <th scope="col">"Tier"</th>
                            <th scope="col">"Grade"</th>
                            <th scope="col">"Status"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {shown
                            .into_iter()
                            .map(|lead| {
                                let id = lead["lead_id"].as_str().unwrap_or_default().to_owned();
                                let received = lead["received_at"].as_str().unwrap_or_default().to_owned();
                                let received_ms = api::parse_time(&received);
                                let contact = Contact::of(&lead["values"]);
                                let unread = {
                                    let id = id.clone();
                                    move || !opened.with(|o| o.contains(&id))
                                };
                                let (unread_dot, unread_text) = (unread.clone(), unread.clone());
                                let tier = model::cell(&lead["qualification"]["tier"]);
                                let grade = model::cell(&lead["qualification"]["grade"]);
                                let status = model::cell(&lead["closed_loop"]["status"]);
                                let erased = !lead["erased_at"].is_null();
                                let form_id = lead["form_id"].as_str().unwrap_or_default().to_owned();
                                let form = session
                                    .form_named(&form_id)
                                    .and_then(|f| f.title)
                                    .unwrap_or_else(|| form_id.clone());
                                let label = if contact.name.is_empty() { id.clone() } else { contact.name.clone() };
                                view! {
                                    <tr class:unread=unread class:erased=erased>
                                        <td>
                                            <span class="dot" aria-hidden="true" hidden=move || !unread_dot()></span>
                                            <time datetime=received.clone() title=received.clone()>
                                                {model::age(now, received_ms)}
                                            </time>
                                        </td>
                                        <td>
                                            <a href=Page::Lead(id.clone()).href()>
                                                {label}
                                                <span class="sr-only" hidden=move || !unread_text()>" (unread)"</span>
                                            </a>
                                        </td>
                                        <td class="form" title=form_id>{form}</td>
                                        <td>{contact.email}</td>
                                        <td>{contact.phone}</td>
                                        <td>{tier}</td>
                                        <td>{grade}</td>
                                        <td>{if erased { "erased".to_owned() } else { status }}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="pager">
                <button
                    type="button"
                    disabled=move || cursors.with(Vec::is_empty)
                    on:click=move |_| {
                        let mut back = cursors.get_untracked();
                        let previous = back.pop().unwrap_or_default();
                        cursors.set(back);
                        cursor.set(previous);
                    }
                >
                    "Newer"
                </button>
                <button
                    type="button"
                    disabled=next.is_none()
                    on:click=move |_| {
                        if let Some(next) = next.clone() {
                            cursors.update(|c| c.push(cursor.get_untracked()));
                            cursor.set(next);
                        }
                    }
                >
                    "Older"
                </button>
            </div>
        }
    };

    let reset_pages = move || {
        cursors.set(Vec::new());
        cursor.set(String::new());
    };
    let set_filter = move |change: fn(&mut LeadFilters, String)| {
        Callback::new(move |value: String| {
            filters.update(|f| change(f, value));
            reset_pages();
        })
    };
    // The chosen form's tiers, grades and routes; with all forms, every
    // form's (once each).
    let offered = move |of: fn(FormInfo) -> Vec<String>| {
        Signal::derive(move || {
            let chosen = filters.with(|f| f.form.clone());
            let forms: Vec<FormInfo> = match session.form_named(&chosen) {
                Some(form) => vec![form],
                None => session.forms.get(),
            };
            let mut values: Vec<String> = Vec::new();
            for value in forms.into_iter().flat_map(of) {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            values
        })
    };
    let tiers = offered(|f| f.tiers.into_iter().map(|t| t.id).collect());
    let grades = offered(|f| f.grades);
    let routes = offered(|f| f.routes);
    let statuses = Signal::derive(|| {
        [
            "new",
            "contacted",
            "qualified",
            "disqualified",
            "won",
            "lost",
            "returned",
        ]
        .map(str::to_owned)
        .to_vec()
    });
    view! {
        <h1>"Leads"</h1>
        <div class="filters">
            <div>
                <FormFilter
                    value=Signal::derive(move || filters.with(|f| f.form.clone()))
                    on_pick=Callback::new(move |form: String| {
                        // The other pages follow a chosen form.
                        if !form.is_empty() {
                            session.form.set(form.clone());
                        }
                        filters.update(|f| f.form = form);
                        reset_pages();
                    })/>
            </div>
            <div>
                <DateChoice id="since" label="Received from"
                    value=Signal::derive(move || filters.with(|f| f.date.clone()))
                    on_pick=set_filter(|f, v| f.date = v)/>
            </div>
            <div>
                <DateChoice id="until" label="Received to"
                    value=Signal::derive(move || filters.with(|f| f.to.clone()))
                    on_pick=set_filter(|f, v| f.to = v)/>
            </div>
            <Show when=move || !routes.with(Vec::is_empty)>
                <div>
                    <Choice id="filter-route" label="Route" options=routes
                        value=Signal::derive(move || filters.with(|f| f.route.clone()))
                        on_pick=set_filter(|f, v| f.route = v)/>
                </div>
            </Show>
            <Show when=move || !tiers.with(Vec::is_empty)>
                <div>
                    <Choice id="filter-tier" label="Tier" options=tiers
                        value=Signal::derive(move || filters.with(|f| f.tier.clone()))
                        on_pick=set_filter(|f, v| f.tier = v)/>
                </div>
            </Show>
            <Show when=move || !grades.with(Vec::is_empty)>
                <div>
                    <Choice id="filter-grade" label="Grade" options=grades
                        value=Signal::derive(move || filters.with(|f| f.grade.clone()))
                        on_pick=set_filter(|f, v| f.grade = v)/>
                </div>
            </Show>
            <div>
                <Choice id="filter-status" label="Status" options=statuses
                    value=Signal::derive(move || filters.with(|f| f.status.clone()))
                    on_pick=set_filter(|f, v| f.status = v)/>
            </div>
            <form
                role="search"
                class="search"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let q = search.get_untracked();
                    filters.update(|f| f.q = q);
                    reset_pages();
                }
            >
                <label for="search">"Search all leads (email, phone or name)"</label>
                <input
                    id="search"
                    type="search"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <button type="submit">"Search"</button>
            </form>
            <Show when=move || session.may("export")>
                <div class="actions">
                    <button type="button" on:click=move |_| export("csv")>"Export CSV"</button>
                    <button type="button" on:click=move |_| export("json")>"Export JSON"</button>
                </div>
            </Show>
        </div>
        <section aria-label="Leads" data-polls=move || polls.get().to_string()>
            {show_load(state, rows)}
        </section>
    }
}
