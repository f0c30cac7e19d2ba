//! The funnel of one form (`GET /v1/forms/{id}/funnel`), for all visitors
//! or one variant: views -> starts -> submits -> leads with the drop-off
//! per step, the fields where visitors give up, and for an experiment each
//! variant's conversion against the control with the report's confidence;
//! each chart drawn as SVG with its numbers also as a table. The
//! statistics are the edge's; this page shows them.

use leptos::prelude::*;
use serde_json::Value;

use super::charts::{BarTable, FunnelChart, FunnelTable, VariantChart};
use super::{load_into, session, show_load, Choice, FormPicker, Load};
use crate::api;
use crate::model::{self, VariantRow};

#[component]
pub fn FunnelPage() -> impl IntoView {
    let session = session();
    let variant = RwSignal::new(String::new());
    let variants = RwSignal::new(Vec::<String>::new());
    let state = RwSignal::new(Load::<Value>::Loading);
    Effect::new(move |previous: Option<String>| {
        let form = session.form.get();
        // Another form: its own variants, starting from all of them.
        if previous.as_ref().is_some_and(|p| *p != form) {
            variant.set(String::new());
        }
        let chosen = variant.get();
        if form.is_empty() {
            return form;
        }
        let mut path = format!("/v1/forms/{}/funnel", model::percent_encode(&form));
        if !chosen.is_empty() {
            path.push_str(&format!("?variant={}", model::percent_encode(&chosen)));
        }
        let token = session.token();
        load_into(session, state, async move {
            let report = api::get::<Value>(&path, &token).await?;
            let ids: Vec<String> = VariantRow::all(&report).into_iter().map(|v| v.id).collect();
            variants.set(ids);
            Ok(report)
        });
        form
    });
    let content = move |report: Value| {
        let steps = model::funnel_steps(&report["totals"]);
        let last_step = match steps.last() {
            Some(step) if step.label == "qualified" => "qualified leads",
            _ => "leads",
        };
        let title = if variant.with_untracked(String::is_empty) {
            "All visitors".to_owned()
        } else {
            format!("Variant {}", variant.get_untracked())
        };
        let gave_up: Vec<(String, u64)> = report["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| (model::cell(&f["field"]), f["abandon"].as_u64().unwrap_or(0)))
                    .filter(|(_, n)| *n > 0)
                    .collect()
            })
            .unwrap_or_default();
        let rows = VariantRow::all(&report);
        let control = model::cell(&report["experiment"]["control"]);
        let confidence = report["experiment"]["confidence"].as_f64().unwrap_or(0.95);
        view! {
            <section aria-labelledby="funnel-steps">
                <h2 id="funnel-steps">{format!("{title}: views to {}", last_step)}</h2>
                <FunnelChart title=title.clone() steps=steps.clone()/>
                <FunnelTable steps=steps/>
            </section>
            <section aria-labelledby="gave-up">
                <h2 id="gave-up">"Where visitors gave up"</h2>
                {if gave_up.is_empty() {
                    view! { <p class="muted">"No visitor left at a field yet."</p> }.into_any()
                } else {
                    view! { <BarTable title="Visitors who left at each field".to_owned() rows=gave_up/> }.into_any()
                }}
            </section>
            {(!rows.is_empty()).then(|| view! {
                <VariantComparison rows=rows control=control confidence=confidence/>
            })}
        }
    };
    view! {
        <h1>"Funnel"</h1>
        <div class="filters">
            <div><FormPicker/></div>
            <Show when=move || !variants.with(Vec::is_empty)>
                <div>
                    <Choice id="funnel-variant" label="Variant" options=Signal::from(variants)
                        value=Signal::from(variant)
                        on_pick=Callback::new(move |v: String| variant.set(v))/>
                </div>
            </Show>
        </div>
        {show_load(state, content)}
    }
}

/// The experiment: each variant's conversion as bars, and the table with
/// views, leads, conversion and what the test says against the control.
#[component]
fn VariantComparison(rows: Vec<VariantRow>, control: String, confidence: f64) -> impl IntoView {
    view! {
        <section aria-labelledby="variants">
            <h2 id="variants">"Variants"</h2>
            <VariantChart variants=rows.clone()/>
            <div class="scroll" tabindex="0" role="region" aria-label="Variants compared">
                <table class="rows variants-table">
                    <caption>{format!("Conversion (leads per view) against the control {control}")}</caption>
                    <thead><tr>
                        <th scope="col">"Variant"</th><th scope="col">"Views"</th><th scope="col">"Leads"</th>
                        <th scope="col">"Conversion"</th><th scope="col">"Against the control"</th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|row| {
                            let verdict = row.verdict(&control, confidence);
                            view! {
                                <tr>
                                    <th scope="row">{row.id.clone()}</th>
                                    <td>{row.views}</td>
                                    <td>{row.leads}</td>
                                    <td>{model::rate_text(row.conversion)}</td>
                                    <td>{verdict}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
