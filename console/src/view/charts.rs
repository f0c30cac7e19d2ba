//! The console's charts, drawn as plain SVG by hand (no chart library, no
//! CDN): counts as bars beside a table of the same numbers, the funnel's
//! steps with their drop-off, each variant's conversion, and one waiting
//! lead's share of its SLA. Geometry comes from [`crate::model`]; every
//! chart is an `img` with a text alternative, and its numbers are also
//! in a table, so nothing is known only from a picture.

use leptos::prelude::*;

use crate::model::{self, FunnelStep, VariantRow};

const WIDTH: f64 = 240.0;
const ROW: f64 = 22.0;

/// Counts as SVG bars with the same numbers as a table beside them.
#[component]
pub fn BarTable(title: String, rows: Vec<(String, u64)>) -> impl IntoView {
    let values: Vec<u64> = rows.iter().map(|(_, n)| *n).collect();
    let bars = model::bars(&values, WIDTH, ROW);
    let height = ROW * rows.len().max(1) as f64;
    let total: u64 = values.iter().sum();
    view! {
        <figure class="bars">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") width=WIDTH height=height role="img" aria-label=title.clone()>
                {bars.into_iter().map(|bar| view! {
                    <rect x="0" y=bar.y width=bar.width height=bar.height class="bar"></rect>
                }).collect_view()}
            </svg>
            <div class="scroll" tabindex="0" role="region" aria-label=title>
            <table class="rows">
                <thead><tr><th scope="col">"What"</th><th scope="col">"Count"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(label, n)| view! {
                        <tr><td>{label}</td><td>{n}</td><td>{model::percent(n, total)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </figure>
    }
}

/// Views -> starts -> submits -> leads: one bar per step scaled to the
/// views, the lost part of the step before drawn hatched beside it.
#[component]
pub fn FunnelChart(title: String, steps: Vec<FunnelStep>) -> impl IntoView {
    const LABEL: f64 = 70.0;
    const ROW_H: f64 = 30.0;
    let counts: Vec<u64> = steps.iter().map(|s| s.count).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let bars = model::bars(&counts, WIDTH, ROW_H);
    let height = ROW_H * steps.len().max(1) as f64;
    let summary = steps
        .iter()
        .map(|s| format!("{} {}", s.count, s.label))
        .collect::<Vec<_>>()
        .join(", ");
    let scale = move |n: u64| {
        if max == 0 {
            0.0
        } else {
            WIDTH * n as f64 / max as f64
        }
    };
    view! {
        <svg
            class="funnel"
            viewBox=format!("0 0 {} {height}", LABEL + WIDTH + 8.0)
            width=LABEL + WIDTH + 8.0
            height=height
            role="img"
            aria-label=format!("{title}: {summary}")
        >
            {steps.iter().zip(bars).map(|(step, bar)| {
                let lost = step.dropped.map(scale).unwrap_or(0.0);
                view! {
                    <g>
                        <text x="0" y=bar.y + bar.height * 0.7 class="label">{step.label}</text>
                        <rect x=LABEL y=bar.y width=bar.width height=bar.height class="bar"></rect>
                        <rect x=LABEL + bar.width y=bar.y width=lost height=bar.height class="lost"></rect>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// The funnel's numbers: each step, how many it lost and its rate.
#[component]
pub fn FunnelTable(steps: Vec<FunnelStep>) -> impl IntoView {
    view! {
        <div class="scroll" tabindex="0" role="region" aria-label="Funnel steps">
        <table class="rows funnel-table">
            <caption>"Each step, and the visitors lost since the step before"</caption>
            <thead><tr>
                <th scope="col">"Step"</th><th scope="col">"Visitors"</th>
                <th scope="col">"Lost"</th><th scope="col">"Of the step before"</th>
            </tr></thead>
            <tbody>
                {steps.into_iter().map(|step| view! {
                    <tr>
                        <th scope="row">{step.label}</th>
                        <td>{step.count}</td>
                        <td>{step.dropped.map(|d| d.to_string()).unwrap_or_default()}</td>
                        <td>{step.previous.map(|p| model::percent(step.count, p)).unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// Each variant's conversion (leads per view) as a bar, the winner marked.
#[component]
pub fn VariantChart(variants: Vec<VariantRow>) -> impl IntoView {
    const LABEL: f64 = 90.0;
    // Conversions in tenths of a percent, for the shared bar geometry.
    let values: Vec<u64> = variants
        .iter()
        .map(|v| (v.conversion.unwrap_or(0.0) * 1000.0).round() as u64)
        .collect();
    let bars = model::bars(&values, WIDTH, ROW);
    let height = ROW * variants.len().max(1) as f64;
    let summary = variants
        .iter()
        .map(|v| format!("{} {}", v.id, model::rate_text(v.conversion)))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <svg
            class="variants"
            viewBox=format!("0 0 {} {height}", LABEL + WIDTH + 8.0)
            width=LABEL + WIDTH + 8.0
            height=height
            role="img"
            aria-label=format!("Conversion per variant: {summary}")
        >
            {variants.iter().zip(bars).map(|(variant, bar)| {
                let winner = variant.significant && variant.winner.as_deref() == Some(variant.id.as_str());
                view! {
                    <g>
                        <text x="0" y=bar.y + bar.height * 0.7 class="label">{variant.id.clone()}</text>
                        <rect x=LABEL y=bar.y width=bar.width height=bar.height class="bar" class:winner=winner></rect>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// One waiting lead's share of its SLA, as a small meter.
#[component]
pub fn SlaBar(used: f64, class: &'static str) -> impl IntoView {
    const W: f64 = 100.0;
    const H: f64 = 10.0;
    view! {
        <svg class=format!("sla {class}") viewBox=format!("0 0 {W} {H}") width=W height=H aria-hidden="true">
            <rect x="0" y="0" width=W height=H class="track"></rect>
            <rect x="0" y="0" width=W * used.clamp(0.0, 1.0) height=H class="used"></rect>
        </svg>
    }
}
