//! Each form's widget health and spam: how many visitors got the basic
//! form (per cause), quarantined submissions per signal, and the rest of
//! the health report as the edge sends it. Destinations and the funnel
//! have their own pages.

use leptos::prelude::*;
use serde_json::Value;

use super::charts::BarTable;
use super::{load_into, session, show_load, FormPicker, Load};
use crate::api;
use crate::model;

/// The `(name, count)` pairs of a JSON object of counts.
fn counts(object: &Value) -> Vec<(String, u64)> {
    object
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

#[component]
pub fn FormsPage() -> impl IntoView {
    let session = session();
    let health = RwSignal::new(Load::<Value>::Loading);
    Effect::new(move |_| {
        let form = session.form.get();
        if form.is_empty() {
            return;
        }
        let token = session.token();
        let id = model::percent_encode(&form);
        load_into(session, health, async move {
            api::get::<Value>(&format!("/v1/forms/{id}/health"), &token).await
        });
    });
    let health_view = move |body: Value| {
        let fallbacks = counts(&body["mount_failed"]["by_cause"]);
        view! {
            <section aria-labelledby="health">
                <h2 id="health">"Widget health and spam"</h2>
                {(!fallbacks.is_empty()).then(|| view! {
                    <BarTable title="Visitors shown the basic form, per cause".to_owned() rows=fallbacks/>
                })}
                <pre class="json">{serde_json::to_string_pretty(&body).unwrap_or_default()}</pre>
            </section>
        }
    };
    view! {
        <h1>"Forms"</h1>
        <div class="filters"><div><FormPicker/></div></div>
        {show_load(health, health_view)}
    }
}
