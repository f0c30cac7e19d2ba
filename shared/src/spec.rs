//! The form spec: what a site owner writes (TOML or JSON) to describe one form.
//!
//! A spec declares fields, conditional visibility, progressive-profiling stages,
//! consent blocks, allowed origins and destinations. [`FormSpec::parse_toml`] and
//! [`FormSpec::parse_json`] load it and then [`FormSpec::check`] it, so a spec that
//! loads is internally consistent. The widget only ever sees [`FormSpec::public`]:
//! destinations are server-side configuration and must not leak to browsers.
//!
//! This module describes and checks; it does not validate visitor input (see
//! [`crate::validate`]) and does not deliver anything (the edge does).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::consent::ConsentBlock;
use crate::fieldmap::FieldMap;
use crate::scoring::{ClosedLoop, Grading, Scoring, Tier};
use crate::Country;

/// Upper bounds that keep a spec (and therefore every submission) small.
pub const MAX_FIELDS: usize = 100;
pub const MAX_OPTIONS: usize = 200;
pub const MAX_ID_LEN: usize = 64;
pub const MAX_TEXT_LEN: u32 = 10_000;

/// One form, as the site owner declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    /// Stable id used in the script tag (`data-form="contact"`) and URLs.
    pub id: String,
    /// Heading shown above the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Short text under the heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    /// Text on the final submit button.
    #[serde(default = "default_submit_label")]
    pub submit_label: String,
    /// What the visitor sees after a successful submission.
    #[serde(default)]
    pub success: SuccessAction,
    pub fields: Vec<FieldSpec>,
    /// Progressive profiling: ordered groups of field ids. Empty means one stage
    /// holding every field, in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSpec>,
    #[serde(default)]
    pub profiling: ProfilingRules,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<ConsentBlock>,
    /// Which contact channels a lead must have (`[contact]`); see
    /// [`ContactRules`] and [`FieldSpec::is_identity`].
    #[serde(default, skip_serializing_if = "ContactRules::is_empty")]
    pub contact: ContactRules,
    #[serde(default)]
    pub anti_spam: AntiSpam,
    /// How long leads keep their personal data and consent evidence
    /// (`[retention]`); server-side only, like destinations.
    #[serde(default, skip_serializing_if = "Retention::is_default")]
    pub retention: Retention,
    /// Origins (`scheme://host[:port]`) whose pages may submit this form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    /// Where accepted leads are forwarded. Server-side only: without the
    /// `destinations` feature (the widget, which reads public specs) the key
    /// is not read at all, and its deserializer is not built.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub destinations: Vec<Destination>,
    /// `[[routes]]`: ordered routing rules ([`crate::routing`]). Server-side
    /// only, like `destinations`: not read without that feature, reset by
    /// [`FormSpec::public`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub routes: Vec<crate::routing::Route>,
    /// `[[recipients]]`: destinations as route recipients, with caps and hours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub recipients: Vec<crate::routing::Recipient>,
    /// `[[channels]]`: where speed-to-lead notifications and escalations go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub channels: Vec<crate::routing::Channel>,
    /// `[scoring]`: point rules and caps ([`crate::scoring`]). Server-side
    /// only, like `destinations`: not read without that feature, reset by
    /// [`FormSpec::public`].
    #[serde(default, skip_serializing_if = "Scoring::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub scoring: Scoring,
    /// `[[tiers]]`: score thresholds and their MQL/SQL marks (server-side only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub tiers: Vec<Tier>,
    /// `[grading]`: fit criteria moving a grade (server-side only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub grading: Option<Grading>,
    /// `[closed_loop]`: the secret a CRM signs status updates with
    /// (server-side only).
    #[serde(default, skip_serializing_if = "ClosedLoop::is_empty")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub closed_loop: ClosedLoop,
    /// `[[buyers]]`: who the lead is sold to by a `distribution` destination
    /// ([`crate::distribution`]). Server-side only, like `destinations`: not
    /// read without that feature, reset by [`FormSpec::public`]. Without
    /// the feature the field does not exist at all, so the widget carries
    /// no code for it.
    #[cfg(feature = "destinations")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buyers: Vec<crate::distribution::Buyer>,
    /// `analytics = "visitor" | "anonymous" | "off"`: what the widget's
    /// beacons carry ([`crate::analytics`]). Public: the widget reads it.
    #[serde(
        default,
        skip_serializing_if = "crate::analytics::AnalyticsMode::is_default"
    )]
    pub analytics: crate::analytics::AnalyticsMode,
    /// `[[variants]]`: A/B overrides with weights (public: the widget
    /// assigns and applies them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<crate::analytics::Variant>,
    /// `[experiment]`: the minimum sample before a variant is called a winner.
    #[serde(
        default,
        skip_serializing_if = "crate::analytics::Experiment::is_default"
    )]
    pub experiment: crate::analytics::Experiment,
}

fn default_submit_label() -> String {
    "Submit".to_owned()
}

/// One input of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub id: String,
    pub kind: FieldKind,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Length bounds in Unicode scalar values after NFC (text-like kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Numeric range (number kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether a number may have a fractional part (number kind).
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_decimals: bool,
    /// Allowed options (select and multi-select kinds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// Bounds on the number of chosen options (multi-select kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_selected: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_selected: Option<u32>,
    /// Country for national phone formats and postal codes (phone, postal_code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// Value of a hidden field when the page does not provide one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// HTML `autocomplete` token; the widget derives one from the kind when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<String>,
    /// Show this field only when another field has one of the given values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_when: Option<Condition>,
    /// Opt-in: the widget may keep this field's value in the visitor's browser
    /// to prefill it on the next visit. Off by default: only ids are kept.
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefill: bool,
    /// Whether this field says who the lead is and how to reach them (an
    /// identity field, never hidden by progressive profiling). Unset: email
    /// and phone fields are, and fields whose `autocomplete` is `name`,
    /// `given-name` or `family-name`; see [`FieldSpec::is_identity`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<bool>,
}

/// `autocomplete` tokens that make a field a name field (an identity field).
pub const NAME_AUTOCOMPLETE: &[&str] = &["name", "given-name", "family-name"];

impl FieldSpec {
    /// Whether this is an identity field: `identity = true`, or, when
    /// `identity` is unset, an email or phone field or a name field
    /// (`autocomplete` in [`NAME_AUTOCOMPLETE`]). `identity = false` opts a
    /// field out (it then satisfies no `[contact]` channel either).
    pub fn is_identity(&self) -> bool {
        self.identity.unwrap_or_else(|| {
            matches!(self.kind, FieldKind::Email | FieldKind::Phone)
                || self
                    .autocomplete
                    .as_deref()
                    .is_some_and(|token| NAME_AUTOCOMPLETE.contains(&token))
        })
    }
}

/// A way to reach a lead, as `[contact]` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    Email,
    Phone,
}

impl ContactChannel {
    pub const ALL: &'static [ContactChannel] = &[ContactChannel::Email, ContactChannel::Phone];

    pub const fn as_str(self) -> &'static str {
        match self {
            ContactChannel::Email => "email",
            ContactChannel::Phone => "phone",
        }
    }

    /// The field kind whose identity fields carry this channel.
    pub const fn kind(self) -> FieldKind {
        match self {
            ContactChannel::Email => FieldKind::Email,
            ContactChannel::Phone => FieldKind::Phone,
        }
    }
}

/// `[contact]`: which channels make a lead contactable. A channel is present
/// in a lead when one of the spec's identity fields of its kind has a value.
/// A lead must have every channel of `required` and, when `any_of` is not
/// empty, at least one of `any_of`; otherwise it is refused as
/// `lead.not_contactable`. Without `[contact]` nothing is demanded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactRules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<ContactChannel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<ContactChannel>,
}

impl ContactRules {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.any_of.is_empty()
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The kinds of input a form can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Email,
    Phone,
    Textarea,
    Select,
    MultiSelect,
    Checkbox,
    Number,
    PostalCode,
    Hidden,
}

impl FieldKind {
    pub const ALL: &'static [FieldKind] = &[
        FieldKind::Text,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Textarea,
        FieldKind::Select,
        FieldKind::MultiSelect,
        FieldKind::Checkbox,
        FieldKind::Number,
        FieldKind::PostalCode,
        FieldKind::Hidden,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Textarea => "textarea",
            FieldKind::Select => "select",
            FieldKind::MultiSelect => "multi_select",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Number => "number",
            FieldKind::PostalCode => "postal_code",
            FieldKind::Hidden => "hidden",
        }
    }

    /// Whether values of this kind are free text with length bounds.
    pub const fn is_text_like(self) -> bool {
        matches!(
            self,
            FieldKind::Text | FieldKind::Textarea | FieldKind::Hidden
        )
    }

    /// Whether the kind takes its value from `options`.
    pub const fn has_options(self) -> bool {
        matches!(self, FieldKind::Select | FieldKind::MultiSelect)
    }
}

/// One choice of a select or multi-select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// What is submitted and stored.
    pub value: String,
    /// What the visitor sees; defaults to the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl ChoiceOption {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.value)
    }
}

/// "Show this field when field `field` has one of `equals`."
///
/// For checkboxes the values are `"true"` / `"false"`; for multi-selects the
/// condition holds when any chosen option is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub equals: Vec<String>,
}

/// One progressive-profiling stage: a group of fields asked together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub fields: Vec<String>,
}

/// How many new fields to ask per visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilingRules {
    /// How many not-yet-answered stages to show in one visit (as steps with
    /// Back/Next). Default 1.
    #[serde(default = "one")]
    pub stages_per_visit: u32,
    /// Upper bound on new fields asked in one visit; `None` = no bound.
    /// Identity fields ([`FieldSpec::is_identity`]) are always asked and do
    /// not count towards it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_new_fields_per_visit: Option<u32>,
    /// Fields asked on every visit even when known, besides the identity
    /// fields (which always are), put first. They do not count towards the
    /// bound above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub always_ask: Vec<String>,
}

fn one() -> u32 {
    1
}

impl Default for ProfilingRules {
    fn default() -> Self {
        ProfilingRules {
            stages_per_visit: 1,
            max_new_fields_per_visit: None,
            always_ask: Vec::new(),
        }
    }
}

/// What happens after a successful submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessAction {
    #[serde(default = "default_thank_you")]
    pub message: String,
    /// Absolute https URL (or same-origin path) to navigate to instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

fn default_thank_you() -> String {
    "Thank you! We will be in touch soon.".to_owned()
}

impl Default for SuccessAction {
    fn default() -> Self {
        SuccessAction {
            message: default_thank_you(),
            redirect_url: None,
        }
    }
}

/// Anti-spam settings checked by the edge (and partly prepared by the widget).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AntiSpam {
    /// Submissions faster than this (ms from first render to submit) fire the
    /// `too_fast` signal (quarantined unless `[anti_spam.quarantine]` says otherwise).
    #[serde(default = "default_min_fill_ms")]
    pub min_fill_ms: u32,
    /// Cloudflare Turnstile site key; when set, the widget renders Turnstile and
    /// the edge verifies the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_site_key: Option<String>,
    /// Submissions per minute allowed from one IP address for this form.
    #[serde(default = "default_per_ip_per_minute")]
    pub per_ip_per_minute: u32,
    /// Submissions per minute allowed for this form in total.
    #[serde(default = "default_per_form_per_minute")]
    pub per_form_per_minute: u32,
    /// Same form + same email (or phone) within this many seconds returns the
    /// earlier receipt instead of a second lead; after it, the edge stores a
    /// new lead linked to the earlier one (`previous_lead_id`).
    #[serde(default = "default_dedup_window_s")]
    pub dedup_window_s: u32,
    /// `[anti_spam.quarantine]`: which soft signals quarantine a submission
    /// (stored for the owner's review, not delivered) instead of refusing it.
    /// Server-side only: [`FormSpec::public`] resets it, so the rules never
    /// reach a browser, and without the `destinations` feature (the widget)
    /// the key is not read at all.
    #[serde(default, skip_serializing_if = "QuarantineRules::is_default")]
    #[cfg_attr(not(feature = "destinations"), serde(skip_deserializing))]
    pub quarantine: QuarantineRules,
}

/// The soft spam signals the edge knows, by the names `[anti_spam.quarantine]`
/// lists: honeypot filled, filled under `min_fill_ms`, per-IP rate over the
/// limit, Turnstile's siteverify unreachable, a URL or markup in a name
/// field, a disposable-email domain, the same text in every free-text field.
pub const SPAM_SIGNALS: &[&str] = &[
    "honeypot",
    "too_fast",
    "rate_limited",
    "turnstile_unavailable",
    "url_in_name",
    "disposable_email",
    "same_text",
];

/// Most days a quarantined submission may be kept.
pub const MAX_QUARANTINE_RETENTION_DAYS: u32 = 365;

/// What a soft spam signal does on this form. By default every signal in
/// [`SPAM_SIGNALS`] quarantines: the submission is answered like an accepted
/// one, stored sealed, and kept `retention_days` for the owner to release or
/// discard. Signals in `refuse` are refused with their code (as before
/// quarantine existed); signals in `ignore` are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuarantineRules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refuse: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Quarantined submissions per hour from one IP for this form; over it, 429.
    #[serde(default = "default_quarantine_per_ip_per_hour")]
    pub per_ip_per_hour: u32,
    /// Quarantined submissions per hour for this form; over it, 429.
    #[serde(default = "default_quarantine_per_form_per_hour")]
    pub per_form_per_hour: u32,
    /// Days a quarantined submission is kept before it is deleted (an audit
    /// stub stays), 1 to [`MAX_QUARANTINE_RETENTION_DAYS`].
    #[serde(default = "default_quarantine_retention_days")]
    pub retention_days: u32,
}

fn default_quarantine_per_ip_per_hour() -> u32 {
    20
}
fn default_quarantine_per_form_per_hour() -> u32 {
    500
}
fn default_quarantine_retention_days() -> u32 {
    30
}

/// Most days any `[retention]` period may be (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// A form's retention (`[retention]`), in days from a lead's receipt: after
/// `personal_data_days` the edge's cron erases the lead's personal data (the
/// record and its values; an audit stub stays), after `evidence_days` its
/// consent evidence (the certificates' contents; their ids and seals stay).
/// Evidence is kept at least as long as personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// 1 to [`MAX_RETENTION_DAYS`]; 730 (two years) by default.
    #[serde(default = "default_personal_data_days")]
    pub personal_data_days: u32,
    /// `personal_data_days` to [`MAX_RETENTION_DAYS`]; 1825 (five years) by default.
    #[serde(default = "default_evidence_days")]
    pub evidence_days: u32,
}

fn default_personal_data_days() -> u32 {
    730
}
fn default_evidence_days() -> u32 {
    1825
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            personal_data_days: default_personal_data_days(),
            evidence_days: default_evidence_days(),
        }
    }
}

impl Retention {
    pub fn is_default(&self) -> bool {
        *self == Retention::default()
    }

    fn check(&self, errors: &mut Vec<SpecError>) {
        for (key, days) in [
            ("personal_data_days", self.personal_data_days),
            ("evidence_days", self.evidence_days),
        ] {
            if !(1..=MAX_RETENTION_DAYS).contains(&days) {
                errors.push(SpecError::RetentionOutOfRange(key, days));
            }
        }
        if self.evidence_days < self.personal_data_days {
            errors.push(SpecError::RetentionEvidenceShorter);
        }
    }
}

impl Default for QuarantineRules {
    fn default() -> Self {
        QuarantineRules {
            refuse: Vec::new(),
            ignore: Vec::new(),
            per_ip_per_hour: default_quarantine_per_ip_per_hour(),
            per_form_per_hour: default_quarantine_per_form_per_hour(),
            retention_days: default_quarantine_retention_days(),
        }
    }
}

impl QuarantineRules {
    pub fn is_default(&self) -> bool {
        *self == QuarantineRules::default()
    }

    /// Whether `signal` refuses on this form.
    pub fn refuses(&self, signal: &str) -> bool {
        self.refuse.iter().any(|s| s == signal)
    }

    /// Whether `signal` is not checked on this form.
    pub fn ignores(&self, signal: &str) -> bool {
        self.ignore.iter().any(|s| s == signal)
    }

    fn check(&self, errors: &mut Vec<SpecError>) {
        let mut seen = StrSet::default();
        for signal in self.refuse.iter().chain(&self.ignore) {
            if !SPAM_SIGNALS.contains(&signal.as_str()) {
                errors.push(SpecError::QuarantineUnknownSignal(signal.clone()));
            } else if !seen.insert(signal.as_str()) {
                errors.push(SpecError::QuarantineSignalTwice(signal.clone()));
            }
        }
        if self.per_ip_per_hour == 0 {
            errors.push(SpecError::QuarantineCapZero("per_ip_per_hour"));
        }
        if self.per_form_per_hour == 0 {
            errors.push(SpecError::QuarantineCapZero("per_form_per_hour"));
        }
        if !(1..=MAX_QUARANTINE_RETENTION_DAYS).contains(&self.retention_days) {
            errors.push(SpecError::QuarantineRetentionOutOfRange(
                self.retention_days,
            ));
        }
    }
}

fn default_min_fill_ms() -> u32 {
    1500
}
fn default_per_ip_per_minute() -> u32 {
    10
}
fn default_per_form_per_minute() -> u32 {
    600
}
fn default_dedup_window_s() -> u32 {
    600
}

impl Default for AntiSpam {
    fn default() -> Self {
        AntiSpam {
            min_fill_ms: default_min_fill_ms(),
            turnstile_site_key: None,
            per_ip_per_minute: default_per_ip_per_minute(),
            per_form_per_minute: default_per_form_per_minute(),
            dedup_window_s: default_dedup_window_s(),
            quarantine: QuarantineRules::default(),
        }
    }
}

/// Where a lead is forwarded. Secrets are never in the spec: only the names of
/// Worker secrets that hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    /// JSON POST signed per the Standard Webhooks spec.
    Webhook {
        url: String,
        /// Name of the Worker secret holding the `whsec_...` signing key.
        secret: String,
    },
    /// HubSpot Forms Submission API v3.
    Hubspot {
        portal_id: String,
        form_guid: String,
        /// Override of the API base URL (tests point it at a local server).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        /// Leadform field id → HubSpot property name; unmapped fields keep their id.
        #[serde(default, skip_serializing_if = "FieldMap::is_empty")]
        field_map: FieldMap<String>,
        /// Name of the Worker secret holding a private-app access token: when
        /// set, the authenticated `secure/submit` endpoint is used with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_secret: Option<String>,
        /// The consent block whose answer is HubSpot's `consentToProcess`
        /// (its text the consent's `text`). Needed when the form has any
        /// consent block not based on legitimate interest.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processing_consent: Option<String>,
        /// Consent block id → HubSpot subscription type id: each other
        /// consent block is one `communications` entry (or the
        /// `legitimateInterest`) for its subscription type.
        #[serde(default, skip_serializing_if = "FieldMap::is_empty")]
        subscription_types: FieldMap<u64>,
        /// HubSpot's `legalBasis` for a legitimate-interest block.
        #[serde(default, skip_serializing_if = "HubspotLegalBasis::is_lead")]
        legitimate_interest_basis: HubspotLegalBasis,
    },
    /// Salesforce Web-to-Lead (form-encoded POST).
    Salesforce {
        org_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        /// Leadform field id → Web-to-Lead field name (`first_name`, `email`, ...).
        #[serde(default, skip_serializing_if = "FieldMap::is_empty")]
        field_map: FieldMap<String>,
    },
    /// Salesforce REST API: a `Lead` created with
    /// `POST {instance_url}/services/data/v{api_version}/sobjects/Lead`,
    /// authenticated by the OAuth 2.0 client-credentials flow.
    SalesforceApi {
        /// The org's My Domain URL, e.g. `https://acme.my.salesforce.com`.
        instance_url: String,
        /// Names of the Worker secrets holding the connected app's consumer
        /// key and secret.
        client_id_secret: String,
        client_secret_secret: String,
        /// REST API version, e.g. `62.0`.
        #[serde(default = "default_salesforce_api_version")]
        api_version: String,
        /// Leadform field id → Lead field API name (`LastName`, `Company`, ...).
        #[serde(default, skip_serializing_if = "FieldMap::is_empty")]
        field_map: FieldMap<String>,
        /// A full-name field split into `FirstName` (all but the last word)
        /// and `LastName` (the last word).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        split_name: Option<String>,
        /// The `Company` sent when no field is mapped to it (or it is empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_company: Option<String>,
    },
    /// Sold to the form's `[[buyers]]` by ping-post auction
    /// ([`crate::distribution`]); when nothing is sold the lead goes to
    /// its `fallback` destination, if it names one. Only with the
    /// `destinations` feature (the widget never sees destinations).
    #[cfg(feature = "destinations")]
    Distribution {
        /// Buyer ids pinged; every buyer when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buyers: Vec<String>,
        /// Field ids whose answers the ping carries (choice, number and
        /// checkbox fields only).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ping_fields: Vec<String>,
        /// How long after the pings posts may cascade to the next bid (ms).
        #[serde(default = "default_auction_ms")]
        auction_ms: u32,
        /// Index of the destination the lead goes to when nothing is sold
        /// (no bid over a floor, every post refused or failed); it gets no
        /// other lead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback: Option<usize>,
    },
}

#[cfg(feature = "destinations")]
fn default_auction_ms() -> u32 {
    crate::distribution::DEFAULT_AUCTION_MS
}

fn default_salesforce_api_version() -> String {
    SALESFORCE_API_VERSION.to_owned()
}

/// The Salesforce REST API version used unless a destination names one.
pub const SALESFORCE_API_VERSION: &str = "62.0";

/// Salesforce `Lead` standard text fields and their maximum lengths
/// (Salesforce's Lead object reference): a form field mapped to one of them
/// whose `max_length` is larger, or unset, fails the spec check.
pub const SALESFORCE_LEAD_FIELD_LIMITS: &[(&str, u32)] = &[
    ("FirstName", 40),
    ("LastName", 80),
    ("MiddleName", 40),
    ("Suffix", 40),
    ("Salutation", 40),
    ("Company", 255),
    ("Title", 128),
    ("Email", 80),
    ("Phone", 40),
    ("MobilePhone", 40),
    ("Fax", 40),
    ("Website", 255),
    ("Street", 255),
    ("City", 40),
    ("State", 80),
    ("PostalCode", 20),
    ("Country", 80),
    ("Industry", 255),
    ("LeadSource", 255),
    ("Description", 32_000),
];

/// HubSpot's `legalBasis` for legitimate interest: an existing customer or a
/// prospective one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HubspotLegalBasis {
    #[default]
    Lead,
    Customer,
}

impl HubspotLegalBasis {
    /// The value HubSpot expects (`LEAD`, `CUSTOMER`).
    pub const fn as_hubspot(self) -> &'static str {
        match self {
            HubspotLegalBasis::Lead => "LEAD",
            HubspotLegalBasis::Customer => "CUSTOMER",
        }
    }

    fn is_lead(&self) -> bool {
        *self == HubspotLegalBasis::Lead
    }
}

impl Destination {
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Webhook { .. } => "webhook",
            Destination::Hubspot { .. } => "hubspot",
            Destination::Salesforce { .. } => "salesforce",
            Destination::SalesforceApi { .. } => "salesforce_api",
            #[cfg(feature = "destinations")]
            Destination::Distribution { .. } => "distribution",
        }
    }
}

/// Why a spec was refused. Each variant names the offending place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// The TOML or JSON did not parse into a spec (message from the parser).
    Syntax(String),
    InvalidId {
        place: String,
        id: String,
    },
    DuplicateFieldId(String),
    DuplicateConsentId(String),
    DuplicateStageId(String),
    DuplicateOption {
        field: String,
        value: String,
    },
    EmptyOptions(String),
    OptionsOnNonChoiceField(String),
    EmptyLabel(String),
    NoFields,
    TooManyFields(usize),
    TooManyOptions(String),
    InvertedLength {
        field: String,
    },
    LengthTooLarge {
        field: String,
    },
    InvertedRange {
        field: String,
    },
    InvalidRangeBound {
        field: String,
    },
    InvertedSelectionBounds {
        field: String,
    },
    ConstraintNotApplicable {
        field: String,
        constraint: &'static str,
    },
    ConditionUnknownField {
        field: String,
        refers_to: String,
    },
    ConditionSelfReference(String),
    ConditionCycle(String),
    ConditionEmptyValues(String),
    ConditionValueNotAnOption {
        field: String,
        value: String,
    },
    StageUnknownField {
        stage: String,
        field: String,
    },
    FieldInTwoStages(String),
    FieldInNoStage(String),
    EmptyStage(String),
    AlwaysAskUnknownField(String),
    ZeroStagesPerVisit,
    ConsentEmptyText(String),
    ConsentEmptyVersion(String),
    ConsentNoChannels(String),
    InvalidOrigin(String),
    InvalidDestinationUrl(String),
    InvalidRedirect(String),
    CountryRequired(String),
    /// `[contact]` names a channel the form has no identity field for.
    ContactChannelWithoutField(ContactChannel),
    /// `[contact]` names a channel twice (in one list or in both).
    ContactDuplicateChannel(ContactChannel),
    /// A `contact.required` channel whose identity fields are all optional:
    /// the form would call the field optional and then refuse the lead.
    ContactRequiredFieldOptional(ContactChannel),
    /// An identity field has a `show_when` condition: it could be hidden, and
    /// a hidden value is dropped.
    IdentityFieldConditional(String),
    /// `covers` lists an id that is not a field.
    ConsentCoversUnknownField {
        consent: String,
        field: String,
    },
    /// `covers` lists a field that is not an identity field (so a returning
    /// visitor might not be shown it).
    ConsentCoversNonIdentityField {
        consent: String,
        field: String,
    },
    /// A consent's channel has no covered field of its kind (sms, phone_call,
    /// automated_calls: a phone field; email: an email field).
    ConsentChannelNotCovered {
        consent: String,
        channel: crate::consent::ConsentChannel,
    },
    /// A consent's covered fields are in different stages, so no one step
    /// shows them all beside the consent.
    ConsentCoversSplitStages(String),
    /// `[anti_spam.quarantine]` names a signal that is not in [`SPAM_SIGNALS`].
    QuarantineUnknownSignal(String),
    /// A signal is listed twice (in one list, or in `refuse` and `ignore`).
    QuarantineSignalTwice(String),
    /// A quarantine cap (`per_ip_per_hour`, `per_form_per_hour`) is 0.
    QuarantineCapZero(&'static str),
    /// `retention_days` is 0 or above [`MAX_QUARANTINE_RETENTION_DAYS`].
    QuarantineRetentionOutOfRange(u32),
    /// A `[retention]` period (named) is 0 or above [`MAX_RETENTION_DAYS`].
    RetentionOutOfRange(&'static str, u32),
    /// `[retention] evidence_days` is shorter than `personal_data_days`.
    RetentionEvidenceShorter,
    /// A HubSpot destination's `processing_consent` or `subscription_types`
    /// names a consent block the form does not have.
    HubspotUnknownConsent(String),
    /// A HubSpot destination has no subscription type id for a consent
    /// block that is neither its processing consent nor absent.
    HubspotSubscriptionTypeMissing(String),
    /// The form has consent blocks (other than legitimate interest) but the
    /// HubSpot destination names no `processing_consent`.
    HubspotProcessingConsentMissing,
    /// HubSpot takes either consent (with communications) or one
    /// legitimate interest per submission, not both or two.
    HubspotConsentMixed(String),
    /// A `salesforce_api` destination sends no `LastName` (none mapped, no
    /// `split_name`) or no `Company` (none mapped, no `default_company`):
    /// Salesforce requires both on every Lead.
    SalesforceRequiredFieldUnmapped(&'static str),
    /// A `salesforce_api` destination's `field_map` or `split_name` names a
    /// field the form does not have.
    SalesforceUnknownField(String),
    /// A form field mapped to a Salesforce Lead field may be longer than
    /// that field's limit (its `max_length` is unset or larger).
    SalesforceFieldTooLong {
        field: String,
        target: String,
        limit: u32,
    },
    /// A `[[routes]]`, `[[recipients]]` or `[[channels]]` problem.
    Routing(crate::routing::RoutingError),
    /// A `[scoring]`, `[[tiers]]`, `[grading]` or `[closed_loop]` problem
    /// (or one in a [`crate::scoring::Match`] used elsewhere).
    Scoring(crate::scoring::ScoringError),
    /// An `analytics`, `[experiment]` or `[[variants]]` problem.
    Analytics(crate::analytics::AnalyticsError),
    /// A `[[buyers]]` or `distribution` destination problem.
    #[cfg(feature = "destinations")]
    Distribution(crate::distribution::DistributionError),
}

impl SpecError {
    /// Stable machine code, e.g. `spec.condition_unknown_field`.
    pub fn code(&self) -> &'static str {
        match self {
            SpecError::Syntax(_) => "spec.syntax",
            SpecError::InvalidId { .. } => "spec.invalid_id",
            SpecError::DuplicateFieldId(_) => "spec.duplicate_field_id",
            SpecError::DuplicateConsentId(_) => "spec.duplicate_consent_id",
            SpecError::DuplicateStageId(_) => "spec.duplicate_stage_id",
            SpecError::DuplicateOption { .. } => "spec.duplicate_option",
            SpecError::EmptyOptions(_) => "spec.empty_options",
            SpecError::OptionsOnNonChoiceField(_) => "spec.options_on_non_choice_field",
            SpecError::EmptyLabel(_) => "spec.empty_label",
            SpecError::NoFields => "spec.no_fields",
            SpecError::TooManyFields(_) => "spec.too_many_fields",
            SpecError::TooManyOptions(_) => "spec.too_many_options",
            SpecError::InvertedLength { .. } => "spec.inverted_length",
            SpecError::LengthTooLarge { .. } => "spec.length_too_large",
            SpecError::InvertedRange { .. } => "spec.inverted_range",
            SpecError::InvalidRangeBound { .. } => "spec.invalid_range_bound",
            SpecError::InvertedSelectionBounds { .. } => "spec.inverted_selection_bounds",
            SpecError::ConstraintNotApplicable { .. } => "spec.constraint_not_applicable",
            SpecError::ConditionUnknownField { .. } => "spec.condition_unknown_field",
            SpecError::ConditionSelfReference(_) => "spec.condition_self_reference",
            SpecError::ConditionCycle(_) => "spec.condition_cycle",
            SpecError::ConditionEmptyValues(_) => "spec.condition_empty_values",
            SpecError::ConditionValueNotAnOption { .. } => "spec.condition_value_not_an_option",
            SpecError::StageUnknownField { .. } => "spec.stage_unknown_field",
            SpecError::FieldInTwoStages(_) => "spec.field_in_two_stages",
            SpecError::FieldInNoStage(_) => "spec.field_in_no_stage",
            SpecError::EmptyStage(_) => "spec.empty_stage",
            SpecError::AlwaysAskUnknownField(_) => "spec.always_ask_unknown_field",
            SpecError::ZeroStagesPerVisit => "spec.zero_stages_per_visit",
            SpecError::ConsentEmptyText(_) => "spec.consent_empty_text",
            SpecError::ConsentEmptyVersion(_) => "spec.consent_empty_version",
            SpecError::ConsentNoChannels(_) => "spec.consent_no_channels",
            SpecError::InvalidOrigin(_) => "spec.invalid_origin",
            SpecError::InvalidDestinationUrl(_) => "spec.invalid_destination_url",
            SpecError::InvalidRedirect(_) => "spec.invalid_redirect",
            SpecError::CountryRequired(_) => "spec.country_required",
            SpecError::ContactChannelWithoutField(_) => "spec.contact_channel_without_field",
            SpecError::ContactDuplicateChannel(_) => "spec.contact_duplicate_channel",
            SpecError::ContactRequiredFieldOptional(_) => "spec.contact_required_field_optional",
            SpecError::IdentityFieldConditional(_) => "spec.identity_field_conditional",
            SpecError::ConsentCoversUnknownField { .. } => "spec.consent_covers_unknown_field",
            SpecError::ConsentCoversNonIdentityField { .. } => {
                "spec.consent_covers_non_identity_field"
            }
            SpecError::ConsentChannelNotCovered { .. } => "spec.consent_channel_not_covered",
            SpecError::ConsentCoversSplitStages(_) => "spec.consent_covers_split_stages",
            SpecError::QuarantineUnknownSignal(_) => "spec.quarantine_unknown_signal",
            SpecError::QuarantineSignalTwice(_) => "spec.quarantine_signal_twice",
            SpecError::QuarantineCapZero(_) => "spec.quarantine_cap_zero",
            SpecError::QuarantineRetentionOutOfRange(_) => "spec.quarantine_retention_out_of_range",
            SpecError::RetentionOutOfRange(..) => "spec.retention_out_of_range",
            SpecError::RetentionEvidenceShorter => "spec.retention_evidence_shorter",
            SpecError::HubspotUnknownConsent(_) => "spec.hubspot_unknown_consent",
            SpecError::HubspotSubscriptionTypeMissing(_) => {
                "spec.hubspot_subscription_type_missing"
            }
            SpecError::HubspotProcessingConsentMissing => "spec.hubspot_processing_consent_missing",
            SpecError::HubspotConsentMixed(_) => "spec.hubspot_consent_mixed",
            SpecError::SalesforceRequiredFieldUnmapped(_) => {
                "spec.salesforce_required_field_unmapped"
            }
            SpecError::SalesforceUnknownField(_) => "spec.salesforce_unknown_field",
            SpecError::SalesforceFieldTooLong { .. } => "spec.salesforce_field_too_long",
            SpecError::Routing(error) => error.code(),
            SpecError::Scoring(error) => error.code(),
            SpecError::Analytics(error) => error.code(),
            #[cfg(feature = "destinations")]
            SpecError::Distribution(error) => error.code(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        match self {
            SpecError::Syntax(message) => write!(f, "the spec does not parse: {message}"),
            SpecError::InvalidId { place, id } => write!(
                f,
                "{place} id `{id}` must be 1-{MAX_ID_LEN} characters of a-z, 0-9, `_` or `-`, starting with a letter"
            ),
            SpecError::DuplicateFieldId(id) => write!(f, "field id `{id}` is used twice"),
            SpecError::DuplicateConsentId(id) => write!(f, "consent id `{id}` is used twice"),
            SpecError::DuplicateStageId(id) => write!(f, "stage id `{id}` is used twice"),
            SpecError::DuplicateOption { field, value } => {
                write!(f, "field `{field}` lists option `{value}` twice")
            }
            SpecError::EmptyOptions(id) => write!(f, "field `{id}` is a choice but has no options"),
            SpecError::OptionsOnNonChoiceField(id) => {
                write!(f, "field `{id}` has options but is not a select or multi_select")
            }
            SpecError::EmptyLabel(id) => write!(f, "field `{id}` has an empty label"),
            SpecError::NoFields => write!(f, "the form has no fields"),
            SpecError::TooManyFields(n) => write!(f, "the form has {n} fields; at most {MAX_FIELDS} are allowed"),
            SpecError::TooManyOptions(id) => {
                write!(f, "field `{id}` has more than {MAX_OPTIONS} options")
            }
            SpecError::InvertedLength { field } => {
                write!(f, "field `{field}` has min_length greater than max_length")
            }
            SpecError::LengthTooLarge { field } => {
                write!(f, "field `{field}` allows more than {MAX_TEXT_LEN} characters")
            }
            SpecError::InvertedRange { field } => write!(f, "field `{field}` has min greater than max"),
            SpecError::InvalidRangeBound { field } => {
                write!(f, "field `{field}` has a min or max that is not a finite number")
            }
            SpecError::InvertedSelectionBounds { field } => write!(
                f,
                "field `{field}` has min_selected greater than max_selected or than its number of options"
            ),
            SpecError::ConstraintNotApplicable { field, constraint } => write!(
                f,
                "field `{field}` sets `{constraint}`, which does not apply to its kind"
            ),
            SpecError::ConditionUnknownField { field, refers_to } => write!(
                f,
                "field `{field}` is shown when `{refers_to}` has a value, but there is no field `{refers_to}`"
            ),
            SpecError::ConditionSelfReference(id) => {
                write!(f, "field `{id}` is shown depending on itself")
            }
            SpecError::ConditionCycle(id) => {
                write!(f, "the show_when conditions starting at field `{id}` form a cycle")
            }
            SpecError::ConditionEmptyValues(id) => {
                write!(f, "field `{id}` has a show_when condition with no values")
            }
            SpecError::ConditionValueNotAnOption { field, value } => write!(
                f,
                "field `{field}` is shown when another field equals `{value}`, which that field can never hold"
            ),
            SpecError::StageUnknownField { stage, field } => {
                write!(f, "stage `{stage}` lists field `{field}`, which does not exist")
            }
            SpecError::FieldInTwoStages(id) => write!(f, "field `{id}` is in more than one stage"),
            SpecError::FieldInNoStage(id) => write!(
                f,
                "field `{id}` is in no stage; when stages are declared, every field must be in one"
            ),
            SpecError::EmptyStage(id) => write!(f, "stage `{id}` has no fields"),
            SpecError::AlwaysAskUnknownField(id) => {
                write!(f, "profiling.always_ask lists `{id}`, which is not a field")
            }
            SpecError::ZeroStagesPerVisit => write!(f, "profiling.stages_per_visit must be at least 1"),
            SpecError::ConsentEmptyText(id) => write!(f, "consent `{id}` has no disclosure text"),
            SpecError::ConsentEmptyVersion(id) => write!(f, "consent `{id}` has no version"),
            SpecError::ConsentNoChannels(id) => write!(f, "consent `{id}` lists no channels"),
            SpecError::InvalidOrigin(origin) => write!(
                f,
                "allowed origin `{origin}` must look like https://example.com or http://127.0.0.1:8787 (no path, no trailing slash)"
            ),
            SpecError::InvalidDestinationUrl(url) => {
                write!(f, "destination URL `{url}` must be an absolute http(s) URL")
            }
            SpecError::InvalidRedirect(url) => write!(
                f,
                "success.redirect_url `{url}` must be an absolute http(s) URL or a path starting with /"
            ),
            SpecError::CountryRequired(id) => {
                write!(f, "postal_code field `{id}` needs a `country`")
            }
            SpecError::ContactChannelWithoutField(channel) => write!(
                f,
                "[contact] asks for channel `{}`, but the form has no identity field of kind `{}`",
                channel.as_str(),
                channel.kind().as_str()
            ),
            SpecError::ContactDuplicateChannel(channel) => write!(
                f,
                "[contact] lists channel `{}` more than once (in `required` and `any_of` together)",
                channel.as_str()
            ),
            SpecError::ContactRequiredFieldOptional(channel) => write!(
                f,
                "[contact] requires channel `{}`, but every {} field is optional; mark one `required = true`",
                channel.as_str(),
                channel.kind().as_str()
            ),
            SpecError::IdentityFieldConditional(id) => write!(
                f,
                "identity field `{id}` has a show_when condition; identity fields must always be shown"
            ),
            SpecError::ConsentCoversUnknownField { consent, field } => {
                write!(f, "consent `{consent}` covers `{field}`, which is not a field")
            }
            SpecError::ConsentCoversNonIdentityField { consent, field } => write!(
                f,
                "consent `{consent}` covers `{field}`, which is not an identity field (set `identity = true` on it)"
            ),
            SpecError::ConsentChannelNotCovered { consent, channel } => write!(
                f,
                "consent `{consent}` has channel `{}` but covers no {} field",
                channel.as_str(),
                if *channel == crate::consent::ConsentChannel::Email { "email" } else { "phone" }
            ),
            SpecError::ConsentCoversSplitStages(id) => write!(
                f,
                "consent `{id}` covers fields in different stages; they must share one stage to be shown with it"
            ),
            SpecError::QuarantineUnknownSignal(signal) => write!(
                f,
                "[anti_spam.quarantine] names signal `{signal}`; the signals are {}",
                SPAM_SIGNALS.join(", ")
            ),
            SpecError::QuarantineSignalTwice(signal) => write!(
                f,
                "[anti_spam.quarantine] lists signal `{signal}` more than once (in `refuse` and `ignore` together)"
            ),
            SpecError::QuarantineCapZero(key) => write!(
                f,
                "anti_spam.quarantine.{key} must be at least 1 (list the signals in `refuse` to refuse them instead)"
            ),
            SpecError::QuarantineRetentionOutOfRange(days) => write!(
                f,
                "anti_spam.quarantine.retention_days is {days}; it must be 1 to {MAX_QUARANTINE_RETENTION_DAYS}"
            ),
            SpecError::RetentionOutOfRange(key, days) => write!(
                f,
                "retention.{key} is {days}; it must be 1 to {MAX_RETENTION_DAYS}"
            ),
            SpecError::RetentionEvidenceShorter => write!(
                f,
                "retention.evidence_days is shorter than retention.personal_data_days (consent evidence outlives the personal data)"
            ),
            SpecError::HubspotUnknownConsent(id) => write!(
                f,
                "the HubSpot destination names consent `{id}`, which is not a consent block of this form"
            ),
            SpecError::HubspotSubscriptionTypeMissing(id) => write!(
                f,
                "the HubSpot destination has no subscription type id for consent `{id}`: add it to `subscription_types` (HubSpot: Settings > Marketing > Email > Subscription types)"
            ),
            SpecError::HubspotProcessingConsentMissing => write!(
                f,
                "the HubSpot destination needs `processing_consent`: the consent block whose answer is HubSpot's consent to process"
            ),
            SpecError::HubspotConsentMixed(id) => write!(
                f,
                "consent `{id}`: HubSpot takes either consent blocks or one legitimate-interest block per form, not both or two"
            ),
            SpecError::SalesforceRequiredFieldUnmapped(target) => write!(
                f,
                "the salesforce_api destination sends no `{target}`, which every Salesforce Lead needs: map a field to it{}",
                if *target == "LastName" { " or set `split_name`" } else { " or set `default_company`" }
            ),
            SpecError::SalesforceUnknownField(id) => write!(
                f,
                "the salesforce_api destination names field `{id}`, which is not a field of this form"
            ),
            SpecError::SalesforceFieldTooLong { field, target, limit } => write!(
                f,
                "field `{field}` goes to Salesforce Lead.{target}, which holds at most {limit} characters: set `max_length` to {limit} or less"
            ),
            SpecError::Routing(error) => error.fmt(f),
            SpecError::Scoring(error) => error.fmt(f),
            SpecError::Analytics(error) => error.fmt(f),
            #[cfg(feature = "destinations")]
            SpecError::Distribution(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for SpecError {}

/// All problems found in a spec at once, so an owner can fix them in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

impl FormSpec {
    /// Parses a TOML spec and checks it.
    pub fn parse_toml(source: &str) -> Result<FormSpec, SpecErrors> {
        let spec: FormSpec = toml::from_str(source)
            .map_err(|e| SpecErrors(vec![SpecError::Syntax(e.to_string())]))?;
        spec.check()?;
        Ok(spec)
    }

    /// Parses a JSON spec and checks it.
    pub fn parse_json(source: &str) -> Result<FormSpec, SpecErrors> {
        let spec: FormSpec = serde_json::from_str(source)
            .map_err(|e| SpecErrors(vec![SpecError::Syntax(e.to_string())]))?;
        spec.check()?;
        Ok(spec)
    }

    pub fn field(&self, id: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn consent(&self, id: &str) -> Option<&ConsentBlock> {
        self.consents.iter().find(|c| c.id == id)
    }

    /// The identity fields ([`FieldSpec::is_identity`]), in spec order.
    pub fn identity_fields(&self) -> impl Iterator<Item = &FieldSpec> {
        self.fields.iter().filter(|f| f.is_identity())
    }

    /// The stages, with the implicit single stage when none are declared.
    pub fn effective_stages(&self) -> Vec<StageSpec> {
        if self.stages.is_empty() {
            vec![StageSpec {
                id: "main".to_owned(),
                title: None,
                fields: self.fields.iter().map(|f| f.id.clone()).collect(),
            }]
        } else {
            self.stages.clone()
        }
    }

    /// The part of the spec a browser may see: everything but destinations,
    /// the quarantine rules (`[anti_spam.quarantine]`), the scoring
    /// sections (`[scoring]`, `[[tiers]]`, `[grading]`, `[closed_loop]`)
    /// and the buyers (`[[buyers]]`).
    pub fn public(&self) -> FormSpec {
        FormSpec {
            destinations: Vec::new(),
            routes: Vec::new(),
            recipients: Vec::new(),
            channels: Vec::new(),
            scoring: Scoring::default(),
            tiers: Vec::new(),
            grading: None,
            closed_loop: ClosedLoop::default(),
            #[cfg(feature = "destinations")]
            buyers: Vec::new(),
            retention: Retention::default(),
            anti_spam: AntiSpam {
                quarantine: QuarantineRules::default(),
                ..self.anti_spam.clone()
            },
            ..self.clone()
        }
    }

    /// The canonical JSON of [`FormSpec::public`]: exactly what the edge serves
    /// at `GET /v1/forms/{id}`, and what [`FormSpec::public_hash`] hashes.
    pub fn public_json(&self) -> String {
        // Serialising a struct of owned data with string keys cannot fail.
        serde_json::to_string(&self.public()).unwrap_or_default()
    }

    /// SHA-256 (lower-case hex) of [`FormSpec::public_json`].
    ///
    /// The widget sends it with each submission; the edge compares it with its
    /// own copy to detect a page that loaded an older spec. Because the edge
    /// serves those very bytes, the widget hashes the text it received
    /// (`hex_sha256(body)`) instead of serialising the spec again.
    pub fn public_hash(&self) -> String {
        crate::hex_sha256(self.public_json().as_bytes())
    }

    /// Checks the spec's internal consistency; returns every problem found.
    pub fn check(&self) -> Result<(), SpecErrors> {
        let mut errors = Vec::new();
        check_id("form", &self.id, &mut errors);
        if self.fields.is_empty() {
            errors.push(SpecError::NoFields);
        }
        if self.fields.len() > MAX_FIELDS {
            errors.push(SpecError::TooManyFields(self.fields.len()));
        }
        let mut field_ids = StrSet::default();
        for field in &self.fields {
            check_id("field", &field.id, &mut errors);
            if !field_ids.insert(field.id.as_str()) {
                errors.push(SpecError::DuplicateFieldId(field.id.clone()));
            }
            check_field(field, &mut errors);
        }
        // A phone field's extension travels as `<id>_extension` in payloads
        // and exports: no other field may take that id.
        for field in self.fields.iter().filter(|f| f.kind == FieldKind::Phone) {
            let sibling = crate::phone::extension_key(&field.id);
            if field_ids.contains(sibling.as_str()) {
                errors.push(SpecError::DuplicateFieldId(sibling));
            }
        }
        self.check_conditions(&mut errors);
        self.check_stages(&field_ids, &mut errors);
        for id in &self.profiling.always_ask {
            if !field_ids.contains(id.as_str()) {
                errors.push(SpecError::AlwaysAskUnknownField(id.clone()));
            }
        }
        if self.profiling.stages_per_visit == 0 {
            errors.push(SpecError::ZeroStagesPerVisit);
        }
        let mut consent_ids = StrSet::default();
        for consent in &self.consents {
            check_id("consent", &consent.id, &mut errors);
            if field_ids.contains(consent.id.as_str()) || !consent_ids.insert(consent.id.as_str()) {
                errors.push(SpecError::DuplicateConsentId(consent.id.clone()));
            }
            if consent.text.trim().is_empty() {
                errors.push(SpecError::ConsentEmptyText(consent.id.clone()));
            }
            if consent.version.trim().is_empty() {
                errors.push(SpecError::ConsentEmptyVersion(consent.id.clone()));
            }
            if consent.channels.is_empty() {
                errors.push(SpecError::ConsentNoChannels(consent.id.clone()));
            }
            self.check_covers(consent, &mut errors);
        }
        self.check_contact(&mut errors);
        // Scoring is server-side: the widget (feature off) never reads it.
        #[cfg(feature = "destinations")]
        crate::scoring::check(self, &mut errors);
        crate::analytics::check(self, &mut errors);
        self.anti_spam.quarantine.check(&mut errors);
        self.retention.check(&mut errors);
        for origin in &self.allowed_origins {
            if !is_valid_origin(origin) {
                errors.push(SpecError::InvalidOrigin(origin.clone()));
            }
        }
        #[cfg(feature = "destinations")]
        crate::routing::check(self, &mut errors);
        #[cfg(feature = "destinations")]
        crate::distribution::check(self, &mut errors);
        for destination in &self.destinations {
            // Only owner specs carry destinations: the widget (feature off)
            // leaves these checks out of its wasm.
            #[cfg(feature = "destinations")]
            {
                self.check_hubspot_consent(destination, &mut errors);
                self.check_salesforce_api(destination, &mut errors);
            }
            let url = match destination {
                Destination::Webhook { url, .. } => Some(url),
                Destination::SalesforceApi { instance_url, .. } => Some(instance_url),
                Destination::Hubspot { endpoint, .. }
                | Destination::Salesforce { endpoint, .. } => endpoint.as_ref(),
                #[cfg(feature = "destinations")]
                Destination::Distribution { .. } => None,
            };
            if let Some(url) = url {
                if !is_http_url(url) {
                    errors.push(SpecError::InvalidDestinationUrl(url.clone()));
                }
            }
        }
        if let Some(redirect) = &self.success.redirect_url {
            if !(is_http_url(redirect)
                || (redirect.starts_with('/') && !redirect.starts_with("//")))
            {
                errors.push(SpecError::InvalidRedirect(redirect.clone()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(SpecErrors(errors))
        }
    }

    /// A HubSpot destination maps every consent block: the processing one
    /// to `consentToProcess`, each other to a subscription type; a
    /// legitimate-interest block alone, with its subscription type.
    #[cfg(feature = "destinations")]
    fn check_hubspot_consent(&self, destination: &Destination, errors: &mut Vec<SpecError>) {
        let Destination::Hubspot {
            processing_consent,
            subscription_types,
            ..
        } = destination
        else {
            return;
        };
        let named = processing_consent.iter().chain(subscription_types.keys());
        for id in named {
            if self.consent(id).is_none() {
                errors.push(SpecError::HubspotUnknownConsent(id.clone()));
            }
        }
        let interest =
            |c: &&ConsentBlock| c.legal_basis == crate::consent::LegalBasis::LegitimateInterest;
        let interests: Vec<&ConsentBlock> = self.consents.iter().filter(interest).collect();
        let consents: Vec<&ConsentBlock> = self.consents.iter().filter(|c| !interest(c)).collect();
        if let Some(extra) = interests
            .get(1)
            .or(interests.first().filter(|_| !consents.is_empty()))
        {
            errors.push(SpecError::HubspotConsentMixed(extra.id.clone()));
        }
        if !consents.is_empty() && processing_consent.is_none() {
            errors.push(SpecError::HubspotProcessingConsentMissing);
        }
        for block in &self.consents {
            let processing = processing_consent.as_deref() == Some(block.id.as_str());
            if processing && interest(&block) {
                errors.push(SpecError::HubspotConsentMixed(block.id.clone()));
            }
            if !processing && !subscription_types.contains_key(&block.id) {
                errors.push(SpecError::HubspotSubscriptionTypeMissing(block.id.clone()));
            }
        }
    }

    /// A `salesforce_api` destination sends `LastName` and `Company`, names
    /// only fields of the form, and maps no field longer than its target.
    #[cfg(feature = "destinations")]
    fn check_salesforce_api(&self, destination: &Destination, errors: &mut Vec<SpecError>) {
        let Destination::SalesforceApi {
            field_map,
            split_name,
            default_company,
            ..
        } = destination
        else {
            return;
        };
        let maps_to = |target: &str| field_map.iter().any(|(_, t)| t == target);
        if !maps_to("LastName") && split_name.is_none() {
            errors.push(SpecError::SalesforceRequiredFieldUnmapped("LastName"));
        }
        if !maps_to("Company") && default_company.is_none() {
            errors.push(SpecError::SalesforceRequiredFieldUnmapped("Company"));
        }
        let mut targets: Vec<(&str, &str)> = field_map
            .iter()
            .map(|(id, target)| (id.as_str(), target.as_str()))
            .collect();
        if let Some(id) = split_name {
            targets.push((id.as_str(), "LastName"));
        }
        for (id, target) in targets {
            let Some(field) = self.fields.iter().find(|f| f.id == id) else {
                // A phone's extension (`<id>_extension`) and the repeat
                // lead's `previous_lead_id` are sent without being fields.
                let extension = self.fields.iter().any(|f| {
                    f.kind == FieldKind::Phone && crate::phone::extension_key(&f.id) == id
                });
                // So are the lead's score, tier, mark, grade and fired rules.
                let qualification = crate::scoring::QUALIFICATION_KEYS.contains(&id);
                if !extension && id != "previous_lead_id" && !qualification {
                    errors.push(SpecError::SalesforceUnknownField(id.to_owned()));
                }
                continue;
            };
            let Some((_, limit)) = SALESFORCE_LEAD_FIELD_LIMITS
                .iter()
                .find(|(t, _)| *t == target)
            else {
                continue;
            };
            if !matches!(field.kind, FieldKind::Text | FieldKind::Textarea) {
                continue;
            }
            if field.max_length.is_none_or(|max| max > *limit) {
                errors.push(SpecError::SalesforceFieldTooLong {
                    field: id.to_owned(),
                    target: target.to_owned(),
                    limit: *limit,
                });
            }
        }
    }

    fn check_conditions(&self, errors: &mut Vec<SpecError>) {
        for field in &self.fields {
            let Some(condition) = &field.show_when else {
                continue;
            };
            if condition.field == field.id {
                errors.push(SpecError::ConditionSelfReference(field.id.clone()));
                continue;
            }
            if condition.equals.is_empty() {
                errors.push(SpecError::ConditionEmptyValues(field.id.clone()));
            }
            let Some(target) = self.field(&condition.field) else {
                errors.push(SpecError::ConditionUnknownField {
                    field: field.id.clone(),
                    refers_to: condition.field.clone(),
                });
                continue;
            };
            for value in &condition.equals {
                let possible = match target.kind {
                    FieldKind::Select | FieldKind::MultiSelect => {
                        target.options.iter().any(|o| &o.value == value)
                    }
                    FieldKind::Checkbox => value == "true" || value == "false",
                    _ => true,
                };
                if !possible {
                    errors.push(SpecError::ConditionValueNotAnOption {
                        field: field.id.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
        // Cycles: follow each chain at most `fields.len()` steps; a chain that
        // comes back to where it started is a cycle (self-references are
        // reported above).
        for field in &self.fields {
            let mut current = field;
            for _ in 0..self.fields.len() {
                let Some(next) = current
                    .show_when
                    .as_ref()
                    .and_then(|c| self.field(&c.field))
                else {
                    break;
                };
                if next.id == field.id {
                    if current.id != field.id {
                        errors.push(SpecError::ConditionCycle(field.id.clone()));
                    }
                    break;
                }
                current = next;
            }
        }
    }

    fn check_contact(&self, errors: &mut Vec<SpecError>) {
        let mut named: Vec<ContactChannel> = Vec::new();
        for &channel in self.contact.required.iter().chain(&self.contact.any_of) {
            if named.contains(&channel) {
                errors.push(SpecError::ContactDuplicateChannel(channel));
                continue;
            }
            named.push(channel);
            if !self.identity_fields().any(|f| f.kind == channel.kind()) {
                errors.push(SpecError::ContactChannelWithoutField(channel));
            }
        }
        for &channel in &self.contact.required {
            let mut fields = self.identity_fields().filter(|f| f.kind == channel.kind());
            let first = fields.next();
            if first.is_some() && !first.into_iter().chain(fields).any(|f| f.required) {
                errors.push(SpecError::ContactRequiredFieldOptional(channel));
            }
        }
        for field in self.identity_fields() {
            if field.show_when.is_some() {
                errors.push(SpecError::IdentityFieldConditional(field.id.clone()));
            }
        }
    }

    fn check_covers(&self, consent: &ConsentBlock, errors: &mut Vec<SpecError>) {
        use crate::consent::ConsentChannel;
        let mut covered: Vec<&FieldSpec> = Vec::new();
        for id in &consent.covers {
            match self.field(id) {
                None => errors.push(SpecError::ConsentCoversUnknownField {
                    consent: consent.id.clone(),
                    field: id.clone(),
                }),
                Some(field) if !field.is_identity() => {
                    errors.push(SpecError::ConsentCoversNonIdentityField {
                        consent: consent.id.clone(),
                        field: id.clone(),
                    })
                }
                Some(field) => covered.push(field),
            }
        }
        let mut reported: Vec<FieldKind> = Vec::new();
        for &channel in &consent.channels {
            let needs = match channel {
                ConsentChannel::Sms
                | ConsentChannel::PhoneCall
                | ConsentChannel::AutomatedCalls => FieldKind::Phone,
                ConsentChannel::Email => FieldKind::Email,
                ConsentChannel::PostalMail => continue,
            };
            // One error per missing kind is enough: name its first channel.
            if !covered.iter().any(|f| f.kind == needs) && !reported.contains(&needs) {
                reported.push(needs);
                errors.push(SpecError::ConsentChannelNotCovered {
                    consent: consent.id.clone(),
                    channel,
                });
            }
        }
        let stages = self.effective_stages();
        let stage_of = |id: &str| stages.iter().position(|s| s.fields.iter().any(|f| f == id));
        let mut homes = covered.iter().filter_map(|f| stage_of(&f.id));
        if let Some(first) = homes.next() {
            if homes.any(|other| other != first) {
                errors.push(SpecError::ConsentCoversSplitStages(consent.id.clone()));
            }
        }
    }

    fn check_stages(&self, field_ids: &StrSet<'_>, errors: &mut Vec<SpecError>) {
        if self.stages.is_empty() {
            return;
        }
        let mut stage_ids = StrSet::default();
        let mut placed = StrSet::default();
        for stage in &self.stages {
            check_id("stage", &stage.id, errors);
            if !stage_ids.insert(stage.id.as_str()) {
                errors.push(SpecError::DuplicateStageId(stage.id.clone()));
            }
            if stage.fields.is_empty() {
                errors.push(SpecError::EmptyStage(stage.id.clone()));
            }
            for id in &stage.fields {
                if !field_ids.contains(id.as_str()) {
                    errors.push(SpecError::StageUnknownField {
                        stage: stage.id.clone(),
                        field: id.clone(),
                    });
                } else if !placed.insert(id.as_str()) {
                    errors.push(SpecError::FieldInTwoStages(id.clone()));
                }
            }
        }
        for field in &self.fields {
            if !placed.contains(field.id.as_str()) {
                errors.push(SpecError::FieldInNoStage(field.id.clone()));
            }
        }
    }
}

fn check_id(place: &str, id: &str, errors: &mut Vec<SpecError>) {
    if !is_valid_id(id) {
        errors.push(SpecError::InvalidId {
            place: place.to_owned(),
            id: id.to_owned(),
        });
    }
}

/// Ids are short ASCII slugs: `[a-z][a-z0-9_-]{0,63}`.
pub fn is_valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && id.len() <= MAX_ID_LEN
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

fn check_field(field: &FieldSpec, errors: &mut Vec<SpecError>) {
    let id = &field.id;
    let kind = field.kind;
    if field.label.trim().is_empty() && kind != FieldKind::Hidden {
        errors.push(SpecError::EmptyLabel(id.clone()));
    }
    let mut not_applicable = |constraint: &'static str| {
        errors.push(SpecError::ConstraintNotApplicable {
            field: id.clone(),
            constraint,
        })
    };
    let length_applies = kind.is_text_like();
    if !length_applies && field.min_length.is_some() {
        not_applicable("min_length");
    }
    if !length_applies && field.max_length.is_some() {
        not_applicable("max_length");
    }
    if kind != FieldKind::Number {
        if field.min.is_some() {
            not_applicable("min");
        }
        if field.max.is_some() {
            not_applicable("max");
        }
        if field.allow_decimals {
            not_applicable("allow_decimals");
        }
    }
    if kind != FieldKind::MultiSelect {
        if field.min_selected.is_some() {
            not_applicable("min_selected");
        }
        if field.max_selected.is_some() {
            not_applicable("max_selected");
        }
    }
    if !matches!(kind, FieldKind::Phone | FieldKind::PostalCode) && field.country.is_some() {
        not_applicable("country");
    }
    if kind != FieldKind::Hidden && field.default_value.is_some() {
        not_applicable("default_value");
    }
    if let (Some(min), Some(max)) = (field.min_length, field.max_length) {
        if min > max {
            errors.push(SpecError::InvertedLength { field: id.clone() });
        }
    }
    if field.max_length.is_some_and(|max| max > MAX_TEXT_LEN)
        || field.min_length.is_some_and(|min| min > MAX_TEXT_LEN)
    {
        errors.push(SpecError::LengthTooLarge { field: id.clone() });
    }
    if field.min.is_some_and(|v| !v.is_finite()) || field.max.is_some_and(|v| !v.is_finite()) {
        errors.push(SpecError::InvalidRangeBound { field: id.clone() });
    } else if let (Some(min), Some(max)) = (field.min, field.max) {
        if min > max {
            errors.push(SpecError::InvertedRange { field: id.clone() });
        }
    }
    if kind.has_options() {
        if field.options.is_empty() {
            errors.push(SpecError::EmptyOptions(id.clone()));
        }
        if field.options.len() > MAX_OPTIONS {
            errors.push(SpecError::TooManyOptions(id.clone()));
        }
        let mut values = StrSet::default();
        for option in &field.options {
            if !values.insert(option.value.as_str()) {
                errors.push(SpecError::DuplicateOption {
                    field: id.clone(),
                    value: option.value.clone(),
                });
            }
        }
        let options = field.options.len() as u32;
        let min = field.min_selected.unwrap_or(0);
        let max = field.max_selected.unwrap_or(options);
        if min > max || min > options {
            errors.push(SpecError::InvertedSelectionBounds { field: id.clone() });
        }
    } else if !field.options.is_empty() {
        errors.push(SpecError::OptionsOnNonChoiceField(id.clone()));
    }
    if kind == FieldKind::PostalCode && field.country.is_none() {
        errors.push(SpecError::CountryRequired(id.clone()));
    }
}

/// `scheme://host[:port]` with scheme http or https, no path, no trailing slash.
pub fn is_valid_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// An absolute `http://` or `https://` URL with a non-empty host and no spaces.
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// Whether `value` is one of the field's options.
pub(crate) fn has_option(field: &FieldSpec, value: &str) -> bool {
    field.options.iter().any(|o| o.value == value)
}

/// A set of borrowed strings as a vector: specs and submissions hold at most a
/// few hundred ids, and one small type keeps the widget's wasm small (each
/// `BTreeSet` key type brings its own copy of the tree code).
#[derive(Debug, Default)]
pub(crate) struct StrSet<'a>(Vec<&'a str>);

impl<'a> StrSet<'a> {
    /// Adds `id`; `false` when it was already there (like `BTreeSet::insert`).
    pub(crate) fn insert(&mut self, id: &'a str) -> bool {
        let new = !self.contains(id);
        if new {
            self.0.push(id);
        }
        new
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.0.contains(&id)
    }
}
