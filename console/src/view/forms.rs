//! Each form's health: how many visitors got the basic form (per cause),
//! quarantined submissions per signal, and per destination the delivery
//! counts (delivered, pending, dead letters) and the destinations a 410
//! disabled, drawn as bars with the numbers beside them; and, where the edge
//! serves it, the form's funnel.

use leptos::prelude::*;
use serde_json::Value;

use super::{load_into, session, show_load, FormPicker, Load};
use crate::api;
use crate::model;

#[component]
pub fn FormsPage() -> impl IntoView {
    let session = session();
    let form = RwSignal::new(String::new());
    let health = RwSignal::new(Load::<Value>::Loading);
    let funnel = RwSignal::new(Load::<Value>::Loading);
    Effect::new(move |_| {
        let form = form.get();
        if form.is_empty() {
            return;
        }
        let token = session.token();
        let id = model::percent_encode(&form);
        {
            let (token, id) = (token.clone(), id.clone());
            load_into(session, health, async move {
                api::get::<Value>(&format!("/v1/forms/{id}/health"), &token).await
            });
        }
        load_into(session, funnel, async move {
            api::get::<Value>(&format!("/v1/forms/{id}/funnel"), &token).await
        });
    });
    let health_view = move |body: Value| {
        let deliveries: Vec<(String, Value)> = body["deliveries"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let disabled = body["disabled_destinations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        view! {
            <section aria-labelledby="destinations">
                <h2 id="destinations">"Destinations"</h2>
                {if deliveries.is_empty() {
                    view! { <p class="muted">"No deliveries yet."</p> }.into_any()
                } else {
                    deliveries.into_iter().map(|(destination, counts)| {
                        let rows: Vec<(String, u64)> = counts.as_object().map(|o| {
                            o.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect()
                        }).unwrap_or_default();
                        view! { <BarTable title=destination rows=rows/> }
                    }).collect_view().into_any()
                }}
                {(!disabled.is_empty()).then(|| view! {
                    <h3>"Disabled (the destination answered 410 Gone)"</h3>
                    <ul>{disabled.into_iter().map(|d| view! { <li><code>{d.to_string()}</code></li> }).collect_view()}</ul>
                })}
            </section>
            <section aria-labelledby="health">
                <h2 id="health">"Widget health and spam"</h2>
                <pre class="json">{serde_json::to_string_pretty(&body).unwrap_or_default()}</pre>
            </section>
        }
    };
    let funnel_view = move |body: Value| {
        let steps: Vec<(String, u64)> = ["views", "starters", "submits", "leads", "qualified"]
            .into_iter()
            .filter_map(|key| {
                let value = body.get(key).or_else(|| body["totals"].get(key))?;
                Some((key.to_owned(), value.as_u64().unwrap_or(0)))
            })
            .collect();
        view! {
            <section aria-labelledby="funnel">
                <h2 id="funnel">"Funnel"</h2>
                <BarTable title="Visitors at each step".to_owned() rows=steps/>
                <pre class="json">{serde_json::to_string_pretty(&body).unwrap_or_default()}</pre>
            </section>
        }
    };
    view! {
        <h1>"Forms"</h1>
        <div class="filters"><div><FormPicker selected=form/></div></div>
        {show_load(health, health_view)}
        {show_load(funnel, funnel_view)}
    }
}

/// Counts as SVG bars with the same numbers as a table beside them.
#[component]
fn BarTable(title: String, rows: Vec<(String, u64)>) -> impl IntoView {
    const WIDTH: f64 = 240.0;
    const ROW: f64 = 22.0;
    let values: Vec<u64> = rows.iter().map(|(_, n)| *n).collect();
    let bars = model::bars(&values, WIDTH, ROW);
    let height = ROW * rows.len().max(1) as f64;
    let total: u64 = values.iter().sum();
    view! {
        <figure class="bars">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") width=WIDTH height=height role="img" aria-label=title>
                {bars.into_iter().map(|bar| view! {
                    <rect x="0" y=bar.y width=bar.width height=bar.height class="bar"></rect>
                }).collect_view()}
            </svg>
            <table class="rows">
                <thead><tr><th scope="col">"What"</th><th scope="col">"Count"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(label, n)| view! {
                        <tr><td>{label}</td><td>{n}</td><td>{model::percent(n, total)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}
