//! Validation of visitor input against a [`FormSpec`]: the one rule set the
//! widget runs on blur/submit and the edge runs again on every submission.
//!
//! Values are normalised as they are checked (trimmed, NFC, E.164 with an
//! optional `;ext=` extension, canonical postal codes), so what is stored is
//! what was validated. Fields whose `show_when` condition does not hold are
//! dropped, never trusted. This module decides validity only; it never talks
//! to the network or the DOM.

use serde::{Deserialize, Serialize};

use crate::consent::ConsentRecord;
use crate::fieldmap::FieldMap;
use crate::spec::{has_option, FieldKind, FieldSpec, FormSpec, StrSet};
use crate::text::{normalise_text, TextRules};
use crate::{
    email::normalise_email, phone::normalise_phone, postal::normalise_postal, Country, ErrorCode,
    FieldIssue,
};

/// Longest text accepted when a field declares no `max_length`.
pub const DEFAULT_MAX_TEXT_CHARS: u32 = 1_000;
/// Longest textarea accepted when a field declares no `max_length`.
pub const DEFAULT_MAX_TEXTAREA_CHARS: u32 = 5_000;
/// Country assumed for national phone formats when a field declares none.
pub const DEFAULT_PHONE_COUNTRY: Country = Country::US;

/// A value as it travels on the wire: text, a tick, or a list of options
/// (a JSON boolean, string or array of strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

/// Reads what the untagged `Serialize` writes, by the JSON type alone (the
/// derived untagged reader would buffer every value first, which costs the
/// widget about 2 KB gzip).
impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> serde::de::Visitor<'de> for ValueVisitor {
            type Value = FieldValue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean, a string or an array of strings")
            }

            fn visit_bool<E: serde::de::Error>(self, ticked: bool) -> Result<FieldValue, E> {
                Ok(FieldValue::Bool(ticked))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<FieldValue, E> {
                Ok(FieldValue::Text(text.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<FieldValue, E> {
                Ok(FieldValue::Text(text))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut items: A,
            ) -> Result<FieldValue, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = items.next_element::<String>()? {
                    list.push(item);
                }
                Ok(FieldValue::List(list))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

impl FieldValue {
    /// Whether the visitor left the field empty (blank text, empty list,
    /// unticked box).
    pub fn is_empty(&self) -> bool {
        match self {
            FieldValue::Bool(ticked) => !ticked,
            FieldValue::Text(text) => text.trim().is_empty(),
            FieldValue::List(items) => items.is_empty(),
        }
    }

    /// Whether the value matches one of a condition's `equals` values.
    pub fn matches_any(&self, equals: &[String]) -> bool {
        match self {
            FieldValue::Bool(ticked) => {
                let text = if *ticked { "true" } else { "false" };
                equals.iter().any(|e| e == text)
            }
            FieldValue::Text(text) => equals.iter().any(|e| e == text.trim()),
            FieldValue::List(items) => items.iter().any(|item| equals.contains(item)),
        }
    }

    /// The value as display text (lists joined with `; `).
    pub fn to_display(&self) -> String {
        match self {
            FieldValue::Bool(ticked) => (if *ticked { "true" } else { "false" }).to_owned(),
            FieldValue::Text(text) => text.clone(),
            FieldValue::List(items) => items.join("; "),
        }
    }
}

/// Validates and normalises one field's value.
///
/// `Ok(None)` means "empty and allowed to be"; a required empty field is
/// [`ErrorCode::Required`].
pub fn validate_field(
    field: &FieldSpec,
    value: Option<&FieldValue>,
) -> Result<Option<FieldValue>, ErrorCode> {
    let value = match value {
        Some(value) if !value.is_empty() => value,
        // A required checkbox means "must be ticked"; unticked is empty.
        _ if field.required => return Err(ErrorCode::Required),
        _ => return Ok(None),
    };
    let normalised = match field.kind {
        FieldKind::Text | FieldKind::Textarea | FieldKind::Hidden => {
            let text = expect_text(value)?;
            let multiline = field.kind == FieldKind::Textarea;
            let default_max = if multiline {
                DEFAULT_MAX_TEXTAREA_CHARS
            } else {
                DEFAULT_MAX_TEXT_CHARS
            };
            let rules = TextRules {
                min_chars: field.min_length,
                max_chars: Some(field.max_length.unwrap_or(default_max)),
                multiline,
            };
            FieldValue::Text(normalise_text(text, rules)?)
        }
        FieldKind::Email => FieldValue::Text(normalise_email(expect_text(value)?)?),
        FieldKind::Phone => {
            // One text either way (`+14155552671` or `+14155552671;ext=12`),
            // so a phone value has the shape of any other text value;
            // `phone::PhoneNumber::parse_normalised` splits it for payloads.
            let country = field.country.unwrap_or(DEFAULT_PHONE_COUNTRY);
            FieldValue::Text(normalise_phone(expect_text(value)?, country)?)
        }
        FieldKind::PostalCode => {
            let country = field.country.ok_or(ErrorCode::PostalUnsupportedCountry)?;
            FieldValue::Text(normalise_postal(expect_text(value)?, country)?)
        }
        FieldKind::Select => {
            let choice = expect_text(value)?.trim();
            if !has_option(field, choice) {
                return Err(ErrorCode::OptionNotAllowed);
            }
            FieldValue::Text(choice.to_owned())
        }
        FieldKind::MultiSelect => FieldValue::List(validate_choices(field, value)?),
        FieldKind::Checkbox => match value {
            FieldValue::Bool(ticked) => FieldValue::Bool(*ticked),
            _ => return Err(ErrorCode::CheckboxInvalid),
        },
        FieldKind::Number => FieldValue::Text(validate_number(field, expect_text(value)?)?),
    };
    Ok(Some(normalised))
}

fn expect_text(value: &FieldValue) -> Result<&str, ErrorCode> {
    match value {
        FieldValue::Text(text) => Ok(text),
        _ => Err(ErrorCode::WrongValueType),
    }
}

fn validate_choices(field: &FieldSpec, value: &FieldValue) -> Result<Vec<String>, ErrorCode> {
    let FieldValue::List(items) = value else {
        return Err(ErrorCode::WrongValueType);
    };
    let mut seen = StrSet::default();
    for item in items {
        if !has_option(field, item) {
            return Err(ErrorCode::OptionNotAllowed);
        }
        if !seen.insert(item.as_str()) {
            return Err(ErrorCode::DuplicateSelection);
        }
    }
    let count = items.len();
    if field.min_selected.is_some_and(|min| count < min as usize) {
        return Err(ErrorCode::TooFewSelected);
    }
    if field.max_selected.is_some_and(|max| count > max as usize) {
        return Err(ErrorCode::TooManySelected);
    }
    // Keep the spec's option order so equal selections store identically.
    Ok(field
        .options
        .iter()
        .filter(|o| seen.contains(o.value.as_str()))
        .map(|o| o.value.clone())
        .collect())
}

/// Plain decimal numbers only: optional sign, digits, optional fraction of at
/// most 6 digits, at most 15 digits in all (what an `f64` holds exactly). No
/// exponents, no `inf`/`NaN`, no thousands separators.
fn validate_number(field: &FieldSpec, text: &str) -> Result<String, ErrorCode> {
    let text = text.trim();
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = !whole.is_empty()
        && whole.len() + fraction.map_or(0, str::len) <= 15
        && digits_only(whole)
        && fraction.is_none_or(|f| !f.is_empty() && f.len() <= 6 && digits_only(f));
    if !well_formed {
        return Err(ErrorCode::NumberInvalid);
    }
    if fraction.is_some() && !field.allow_decimals {
        return Err(ErrorCode::NumberInvalid);
    }
    let number = decimal_to_f64(text.starts_with('-'), whole, fraction.unwrap_or(""));
    if field.min.is_some_and(|min| number < min) {
        return Err(ErrorCode::NumberTooSmall);
    }
    if field.max.is_some_and(|max| number > max) {
        return Err(ErrorCode::NumberTooLarge);
    }
    // Canonical text: no leading zeros, no trailing fractional zeros, no "-0".
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = fraction.map(|f| f.trim_end_matches('0')).unwrap_or("");
    let negative = text.starts_with('-') && (whole != "0" || !fraction.is_empty());
    let sign = if negative { "-" } else { "" };
    Ok(if fraction.is_empty() {
        crate::concat(&[sign, whole])
    } else {
        crate::concat(&[sign, whole, ".", fraction])
    })
}

/// The `f64` nearest to the decimal `[-]whole.fraction` (ties to even), as
/// `str::parse::<f64>` gives it, for the well-formed numbers
/// [`validate_number`] accepts: with at most 15 digits the digits as an
/// integer are below 2^53 and the divisor is at most 10^6, both exact in
/// `f64`, and IEEE division rounds their quotient correctly. (`parse` would
/// bring core's float tables into the widget.)
fn decimal_to_f64(negative: bool, whole: &str, fraction: &str) -> f64 {
    let mut digits: u64 = 0;
    let mut divisor = 1.0;
    for b in whole.bytes() {
        digits = digits * 10 + u64::from(b - b'0');
    }
    for b in fraction.bytes() {
        digits = digits * 10 + u64::from(b - b'0');
        divisor *= 10.0;
    }
    let magnitude = digits as f64 / divisor;
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Whether `field` is shown given the current values: its condition holds and
/// the field its condition depends on is itself shown.
pub fn is_visible(spec: &FormSpec, field: &FieldSpec, values: &FieldMap<FieldValue>) -> bool {
    let mut current = field;
    // A checked spec has no cycles; the bound also protects unchecked specs.
    for _ in 0..=spec.fields.len() {
        let Some(condition) = &current.show_when else {
            return true;
        };
        let holds = values
            .get(&condition.field)
            .is_some_and(|v| v.matches_any(&condition.equals));
        if !holds {
            return false;
        }
        match spec.field(&condition.field) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

/// A submission that passed validation: normalised values of the fields that
/// were asked and shown, and the consent records checked against the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanSubmission {
    pub values: FieldMap<FieldValue>,
    pub consents: Vec<ConsentRecord>,
}

impl CleanSubmission {
    /// The key used to spot the same person submitting twice: the first email
    /// field's address lower-cased, else the first phone field's normalised
    /// number, extension included (two desks behind one switchboard number
    /// are two people).
    pub fn contact_key(&self, spec: &FormSpec) -> Option<String> {
        let first_of = |kind: FieldKind| {
            spec.fields.iter().filter(|f| f.kind == kind).find_map(|f| {
                match self.values.get(&f.id) {
                    Some(FieldValue::Text(text)) => Some(text.clone()),
                    _ => None,
                }
            })
        };
        first_of(FieldKind::Email)
            .map(|email| format!("email:{}", crate::email::email_dedup_key(&email)))
            .or_else(|| first_of(FieldKind::Phone).map(|phone| format!("phone:{phone}")))
    }

    /// The normalised values of the fields `block` covers (`covers`), by
    /// field id: what a ticked consent authorises (the number for calls and
    /// texts, the address for email). Fields without a value are left out;
    /// [`validate_submission`] refuses a ticked consent missing one.
    pub fn covered_values(&self, block: &crate::ConsentBlock) -> FieldMap<String> {
        let mut covered = FieldMap::new();
        for id in &block.covers {
            if let Some(value) = self.values.get(id) {
                covered.insert(id.clone(), value.to_display());
            }
        }
        covered
    }

    /// Every contact key of the lead, one per identity field of kind email
    /// (`email:` + [`crate::email::email_dedup_key`]) or phone (`phone:` +
    /// the normalised number) that has a value, in spec order without
    /// repeats: what links a later lead of the same person to this one.
    pub fn contact_keys(&self, spec: &FormSpec) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for field in spec.identity_fields() {
            let Some(FieldValue::Text(text)) = self.values.get(&field.id) else {
                continue;
            };
            let key = match field.kind {
                FieldKind::Email => format!("email:{}", crate::email::email_dedup_key(text)),
                FieldKind::Phone => format!("phone:{text}"),
                _ => continue,
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }
}

/// Validates a whole submission.
///
/// `asked` lists the fields the visitor was shown this visit (progressive
/// profiling asks a subset); required-ness applies to those, and values for
/// fields that were not asked are refused. Hidden-branch fields are dropped.
/// Every consent block of the spec must have at most one record; required
/// blocks must have a ticked one. A ticked consent needs a value in every
/// field it `covers` (else [`ErrorCode::ConsentCoveredFieldMissing`] on the
/// consent's id), and the lead needs the channels of the spec's `[contact]`
/// (else one [`ErrorCode::LeadNotContactable`] about the whole submission,
/// field `""`). A covered or contact field refused for its own reason is
/// reported as that reason only. All issues are returned at once.
pub fn validate_submission(
    spec: &FormSpec,
    asked: &[String],
    values: &FieldMap<FieldValue>,
    consents: &[ConsentRecord],
) -> Result<CleanSubmission, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    // Sorted and without repeats, as the issues list them.
    let mut sorted: Vec<&str> = Vec::with_capacity(asked.len());
    for id in asked {
        if let Err(at) = sorted.binary_search(&id.as_str()) {
            sorted.insert(at, id);
        }
    }
    let asked = sorted;
    for id in &asked {
        if spec.field(id).is_none() {
            issues.push(FieldIssue::new(*id, ErrorCode::UnknownField));
        }
    }
    for id in values.keys() {
        if spec.field(id).is_none() || !asked.contains(&id.as_str()) {
            issues.push(FieldIssue::new(id.clone(), ErrorCode::UnknownField));
        }
    }
    for id in &spec.profiling.always_ask {
        if !asked.contains(&id.as_str()) {
            issues.push(FieldIssue::new(id.clone(), ErrorCode::Required));
        }
    }
    let mut clean = FieldMap::new();
    for field in spec
        .fields
        .iter()
        .filter(|f| asked.contains(&f.id.as_str()))
    {
        if !is_visible(spec, field, values) {
            continue;
        }
        match validate_field(field, values.get(&field.id)) {
            Ok(Some(value)) => {
                clean.insert(field.id.clone(), value);
            }
            Ok(None) => {}
            Err(code) => issues.push(FieldIssue::new(field.id.clone(), code)),
        }
    }
    let mut recorded = StrSet::default();
    for record in consents {
        let Some(block) = spec.consent(&record.consent_id) else {
            issues.push(FieldIssue::new(
                record.consent_id.clone(),
                ErrorCode::ConsentUnknown,
            ));
            continue;
        };
        if !recorded.insert(block.id.as_str()) {
            issues.push(FieldIssue::new(
                block.id.clone(),
                ErrorCode::ConsentDuplicate,
            ));
            continue;
        }
        if let Err(code) = record.check_against(block) {
            issues.push(FieldIssue::new(block.id.clone(), code));
        }
    }
    for block in spec.consents.iter().filter(|b| b.required) {
        if !recorded.contains(block.id.as_str()) {
            issues.push(FieldIssue::new(
                block.id.clone(),
                ErrorCode::ConsentRequired,
            ));
        }
    }
    // Present, or refused for a reason of its own (already reported).
    let accounted = |id: &str, issues: &[FieldIssue]| {
        clean.contains_key(id) || issues.iter().any(|issue| issue.field == id)
    };
    for block in &spec.consents {
        let ticked = consents
            .iter()
            .find(|r| r.consent_id == block.id)
            .is_some_and(|r| r.checked);
        if ticked && !block.covers.iter().all(|id| accounted(id, &issues)) {
            issues.push(FieldIssue::new(
                block.id.clone(),
                ErrorCode::ConsentCoveredFieldMissing,
            ));
        }
    }
    let has_channel = |channel: crate::spec::ContactChannel| {
        spec.identity_fields()
            .filter(|f| f.kind == channel.kind())
            .any(|f| accounted(&f.id, &issues))
    };
    let contact = &spec.contact;
    let contactable = contact.required.iter().all(|&c| has_channel(c))
        && (contact.any_of.is_empty() || contact.any_of.iter().any(|&c| has_channel(c)));
    if !contactable {
        issues.push(FieldIssue::new("", ErrorCode::LeadNotContactable));
    }
    if issues.is_empty() {
        Ok(CleanSubmission {
            values: clean,
            consents: consents.to_vec(),
        })
    } else {
        Err(issues)
    }
}

#[cfg(test)]
mod decimal_tests {
    use super::decimal_to_f64;
    use proptest::prelude::*;

    fn check(whole: &str, fraction: &str) {
        let text = if fraction.is_empty() {
            whole.to_owned()
        } else {
            format!("{whole}.{fraction}")
        };
        let expected: f64 = text.parse().expect("decimal");
        let got = decimal_to_f64(false, whole, fraction);
        assert_eq!(got.to_bits(), expected.to_bits(), "{text}");
        assert_eq!(decimal_to_f64(true, whole, fraction), -expected, "-{text}");
    }

    #[test]
    fn matches_parse_on_hard_cases() {
        for (whole, fraction) in [
            ("0", ""),
            ("0", "000000"),
            ("1", ""),
            ("0", "1"),
            ("0", "3"),
            ("999999999", "999999"),
            ("123456789", "678901"),
            ("90071992547409", "9"),
            ("4503599627", "37049"),
            ("1", "000001"),
            ("0", "000001"),
            ("100000", ""),
            ("999999999999999", ""),
            ("1", "5"),
            ("2", "675"),
        ] {
            check(whole, fraction);
        }
    }

    proptest! {
        #[test]
        fn matches_parse(whole in "[0-9]{1,15}", fraction in "[0-9]{0,6}") {
            let fraction = &fraction[..fraction.len().min(15 - whole.len())];
            check(&whole, fraction);
        }
    }
}

#[cfg(test)]
mod value_json_tests {
    use super::FieldValue;

    /// Reads `json` as a value, or `None` when it is not one.
    fn check(json: &str, expected: Option<FieldValue>) {
        let read = serde_json::from_str::<FieldValue>(json).ok();
        assert_eq!(read, expected, "{json}");
        if let Some(value) = read {
            // What is read is what is written back.
            assert_eq!(serde_json::to_string(&value).ok().as_deref(), Some(json));
        }
    }

    #[test]
    fn values_read_by_their_json_type() {
        let list = |items: &[&str]| FieldValue::List(items.iter().map(|s| s.to_string()).collect());
        check("true", Some(FieldValue::Bool(true)));
        check("false", Some(FieldValue::Bool(false)));
        check(r#""a \"b\"""#, Some(FieldValue::Text("a \"b\"".into())));
        check(r#""""#, Some(FieldValue::Text(String::new())));
        check(r#"["x","y"]"#, Some(list(&["x", "y"])));
        check("[]", Some(list(&[])));
        for refused in [
            "1",
            "1.5",
            "null",
            "{}",
            r#"["x",1]"#,
            r#"[["x"]]"#,
            r#"{"a":"b"}"#,
        ] {
            check(refused, None);
        }
    }
}
