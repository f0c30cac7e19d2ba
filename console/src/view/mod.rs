//! The console's components: the shell (token gate, navigation, the page
//! the URL hash names) and one module per page. They read the [`Session`]
//! from Leptos's context and load what they show through [`crate::api`];
//! they must not decide anything the edge decides.

mod audit;
mod charts;
mod destinations;
mod forms;
mod funnel;
mod lead;
mod leads;
mod quarantine;
mod speed;

use std::future::Future;

use leptos::prelude::*;
use serde::Deserialize;

use crate::api::{self, ApiError};
use crate::model::Page;

/// What a page is loading.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(ApiError),
}

/// Runs `future` and puts its result in `into` (a 401 also signs out).
pub fn load_into<T, F>(session: Session, into: RwSignal<Load<T>>, future: F)
where
    T: Send + Sync + 'static,
    F: Future<Output = Result<T, ApiError>> + 'static,
{
    leptos::task::spawn_local(async move {
        settle(session, into, future.await);
    });
}

/// Puts `result` in `into` (a 401 also signs out).
pub fn settle<T: Send + Sync + 'static>(
    session: Session,
    into: RwSignal<Load<T>>,
    result: Result<T, ApiError>,
) {
    if result.as_ref().err() == Some(&ApiError::Unauthorized) {
        session.sign_out();
    }
    into.set(match result {
        Ok(value) => Load::Ready(value),
        Err(error) => Load::Failed(error),
    });
}

/// One form as `GET /v1/forms` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FormInfo {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub destinations: Vec<String>,
    /// The form's tiers with their speed-to-lead SLA.
    #[serde(default)]
    pub tiers: Vec<TierInfo>,
    /// The grade scale (F..A+) when the form grades; empty otherwise.
    #[serde(default)]
    pub grades: Vec<String>,
    /// The form's route ids (the route filter).
    #[serde(default)]
    pub routes: Vec<String>,
}

/// One `[[tiers]]` entry as `GET /v1/forms` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TierInfo {
    pub id: String,
    #[serde(default)]
    pub sla_minutes: Option<u32>,
}

/// The leads table's filters, kept while the owner moves between pages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadFilters {
    /// The form (`""` = all forms, the default).
    pub form: String,
    /// The date input's `YYYY-MM-DD` (`""` = any).
    pub date: String,
    /// The "to" date input's `YYYY-MM-DD`, through that day (`""` = any).
    pub to: String,
    pub route: String,
    /// The search box as sent (`q=`): an email, a phone number or a name.
    pub q: String,
    pub tier: String,
    pub grade: String,
    pub status: String,
}

/// What `GET /v1/session` says about the token: its scopes.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct TokenInfo {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// The signed-in owner: the token, what it may do, the forms, the page.
#[derive(Clone, Copy)]
pub struct Session {
    pub token: RwSignal<Option<String>>,
    pub info: RwSignal<TokenInfo>,
    pub forms: RwSignal<Vec<FormInfo>>,
    /// The form the pages show (kept across pages: `""` until chosen).
    pub form: RwSignal<String>,
    pub filters: RwSignal<LeadFilters>,
    pub page: RwSignal<Page>,
    /// Messages of actions (replay sent, status saved, errors), newest last.
    pub notice: RwSignal<Option<(bool, String)>>,
}

impl Session {
    pub fn token(&self) -> String {
        self.token.get_untracked().unwrap_or_default()
    }

    /// May this token do `scope` (`admin` may do everything)?
    pub fn may(&self, scope: &str) -> bool {
        self.info
            .with(|i| i.scopes.iter().any(|s| s == scope || s == "admin"))
    }

    /// The form the pages show, as `GET /v1/forms` listed it.
    pub fn form_info(&self) -> Option<FormInfo> {
        let id = self.form.get();
        self.form_named(&id)
    }

    /// The form `id`, as `GET /v1/forms` listed it.
    pub fn form_named(&self, id: &str) -> Option<FormInfo> {
        self.forms
            .with(|forms| forms.iter().find(|f| f.id == id).cloned())
    }

    pub fn sign_out(&self) {
        api::forget_token();
        self.token.set(None);
    }

    /// Shows the result of an action in the status region.
    pub fn tell(&self, ok: bool, text: impl Into<String>) {
        self.notice.set(Some((ok, text.into())));
    }

    fn sign_in(&self, token: String) {
        let session = *self;
        leptos::task::spawn_local(async move {
            match api::get::<TokenInfo>("/v1/session", &token).await {
                Ok(info) => {
                    api::store_token(&token);
                    session.info.set(info);
                    session.token.set(Some(token.clone()));
                    if let Ok(forms) = api::get::<FormsBody>("/v1/forms", &token).await {
                        session.forms.set(forms.forms);
                    }
                }
                Err(error) => session.tell(false, error.text()),
            }
        });
    }
}

#[derive(Deserialize)]
struct FormsBody {
    forms: Vec<FormInfo>,
}

pub fn session() -> Session {
    expect_context::<Session>()
}

/// The whole console: the token gate until a token is accepted, then the
/// navigation and the page the hash names.
#[component]
pub fn App() -> impl IntoView {
    let session = Session {
        token: RwSignal::new(None),
        info: RwSignal::new(TokenInfo::default()),
        forms: RwSignal::new(Vec::new()),
        form: RwSignal::new(String::new()),
        filters: RwSignal::new(LeadFilters::default()),
        page: RwSignal::new(Page::from_hash(&current_hash())),
        notice: RwSignal::new(None),
    };
    provide_context(session);
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        session.page.set(Page::from_hash(&current_hash()));
        session.notice.set(None);
    });
    on_cleanup(move || handle.remove());
    if let Some(token) = api::stored_token() {
        session.sign_in(token);
    }
    view! {
        <header class="top">
            <span class="brand">"Leadform"</span>
            <Show when=move || session.token.with(Option::is_some)>
                <Nav/>
                <button type="button" class="quiet" on:click=move |_| session.sign_out()>
                    "Sign out"
                </button>
            </Show>
        </header>
        <p class="notice" role="status" aria-live="polite" class:bad=move || session.notice.with(|n| matches!(n, Some((false, _))))>
            {move || session.notice.get().map(|(_, text)| text)}
        </p>
        <main id="main">
            <Show when=move || session.token.with(Option::is_some) fallback=TokenGate>
                <CurrentPage/>
            </Show>
        </main>
    }
}

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The page the hash names.
#[component]
fn CurrentPage() -> impl IntoView {
    let session = session();
    move || match session.page.get() {
        Page::Leads => view! { <leads::LeadsPage/> }.into_any(),
        Page::Lead(id) => view! { <lead::LeadPage id=id/> }.into_any(),
        Page::Quarantine => view! { <quarantine::QuarantinePage/> }.into_any(),
        Page::Speed => view! { <speed::SpeedPage/> }.into_any(),
        Page::Funnel => view! { <funnel::FunnelPage/> }.into_any(),
        Page::Destinations => view! { <destinations::DestinationsPage/> }.into_any(),
        Page::Forms => view! { <forms::FormsPage/> }.into_any(),
        Page::Audit => view! { <audit::AuditPage/> }.into_any(),
    }
}

/// The sections, the current one marked for assistive technology.
#[component]
fn Nav() -> impl IntoView {
    let session = session();
    let entries = [
        (Page::Leads, "Leads"),
        (Page::Speed, "Speed to lead"),
        (Page::Funnel, "Funnel"),
        (Page::Destinations, "Destinations"),
        (Page::Quarantine, "Quarantine"),
        (Page::Forms, "Forms"),
        (Page::Audit, "Audit log"),
    ];
    view! {
        <nav aria-label="Console">
            <ul>
                {entries
                    .into_iter()
                    .map(|(page, label)| {
                        let href = page.href();
                        let current = move || {
                            (session.page.with(Page::section) == page).then_some("page")
                        };
                        view! {
                            <li>
                                <a href=href aria-current=current>{label}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// Asks for the owner token once per browser session.
#[component]
fn TokenGate() -> impl IntoView {
    let session = session();
    let typed = RwSignal::new(String::new());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = typed.get_untracked().trim().to_owned();
        if token.is_empty() {
            session.tell(false, "Enter the owner token.");
            return;
        }
        session.sign_in(token);
    };
    view! {
        <form class="gate" on:submit=on_submit>
            <h1>"Sign in"</h1>
            <p>
                "Paste an owner token (the Worker's ADMIN_TOKEN, or a scoped token from POST /v1/tokens). "
                "It is kept in this tab only, until you close it."
            </p>
            <label for="token">"Owner token"</label>
            <input
                id="token"
                type="password"
                autocomplete="off"
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <button type="submit">"Open the console"</button>
        </form>
    }
}

/// A loading line, an error, or the content.
pub fn show_load<T: Clone + Send + Sync + 'static, V: IntoView + 'static>(
    state: RwSignal<Load<T>>,
    content: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView {
    move || match state.get() {
        Load::Loading => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Load::Failed(error) => view! { <p class="bad" role="alert">{error.text()}</p> }.into_any(),
        Load::Ready(value) => content(value).into_any(),
    }
}

/// The form picker shared by the pages that show one form at a time: it
/// sets the session's form, so every page (and a return to this one) keeps
/// the owner's choice; the first form until one is chosen.
#[component]
pub fn FormPicker() -> impl IntoView {
    let session = session();
    let selected = session.form;
    Effect::new(move |_| {
        let first = session.forms.with(|f| f.first().map(|f| f.id.clone()));
        if selected.with_untracked(String::is_empty) {
            if let Some(first) = first {
                selected.set(first);
            }
        }
    });
    view! {
        <label for="form-picker">"Form"</label>
        <select id="form-picker" on:change=move |ev| selected.set(event_target_value(&ev))>
            {form_options(session, selected.into())}
        </select>
    }
}

/// One `<option>` per listed form, the one whose id is `chosen` selected.
fn form_options(session: Session, chosen: Signal<String>) -> impl IntoView {
    move || {
        session
            .forms
            .get()
            .into_iter()
            .map(|form| {
                let id = form.id.clone();
                let is_selected = {
                    let id = id.clone();
                    move || chosen.with(|c| *c == id)
                };
                view! { <option value=id prop:selected=is_selected>{form_label(&form)}</option> }
            })
            .collect_view()
    }
}

/// A form as the pickers name it: `Title (id)`.
pub fn form_label(form: &FormInfo) -> String {
    match &form.title {
        Some(title) => format!("{title} ({})", form.id),
        None => form.id.clone(),
    }
}

/// The leads table's form filter: "All forms" (`""`, the default) or one
/// form, bound to `value`, telling `on_pick` each change.
#[component]
pub fn FormFilter(value: Signal<String>, on_pick: Callback<String>) -> impl IntoView {
    let session = session();
    view! {
        <label for="form-picker">"Form"</label>
        <select id="form-picker" on:change=move |ev| on_pick.run(event_target_value(&ev))>
            <option value="" prop:selected=move || value.with(String::is_empty)>"All forms"</option>
            {form_options(session, value)}
        </select>
    }
}

/// A date `<input>` bound to `value` (empty: any date), telling `on_pick`
/// each change.
#[component]
pub fn DateChoice(
    id: &'static str,
    label: &'static str,
    value: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            type="date"
            prop:value=move || value.get()
            on:change=move |ev| on_pick.run(event_target_value(&ev))
        />
    }
}

/// A `<select>` of `options` with an "any" first entry, bound to `value`.
#[component]
pub fn Choice(
    id: &'static str,
    label: &'static str,
    options: Signal<Vec<String>>,
    value: Signal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id on:change=move |ev| on_pick.run(event_target_value(&ev))>
            <option value="" prop:selected=move || value.with(String::is_empty)>"any"</option>
            {move || {
                options
                    .get()
                    .into_iter()
                    .map(|option| {
                        let selected = {
                            let option = option.clone();
                            move || value.with(|v| *v == option)
                        };
                        view! { <option value=option.clone() prop:selected=selected>{option.clone()}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}
