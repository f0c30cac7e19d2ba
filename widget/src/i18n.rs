//! The form's built-in texts in the visitor's language: English is built in;
//! any other language is the catalog the loader fetched from the edge
//! (`GET /v1/i18n/{lang}`, written by `leadform_shared::messages::catalog_json`).
//!
//! Every text, in every language, is written once in
//! `leadform_shared::messages`; this module only reads a served catalog, and
//! falls back to English for a catalog that is missing, malformed or lacks a
//! key. It must not hold texts of its own (the other languages would then be
//! downloaded by every visitor), nor field labels or consent text: those are
//! the owner's, shown exactly as the spec declares them.

use leadform_shared::json::{self, write_u64, Json};
use leadform_shared::messages::UiText;
use leadform_shared::{ErrorCode, Lang};

/// The texts one mounted form shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    /// The language of the catalog's texts (English when none was read).
    pub lang: Lang,
    ui: Vec<(String, Json)>,
    codes: Vec<(String, Json)>,
}

impl Catalog {
    /// Reads a catalog served by the edge; `""` (no catalog: English) and
    /// anything that is not a catalog of a known language give English.
    pub fn from_json(text: &str) -> Catalog {
        Catalog::read(text).unwrap_or_default()
    }

    fn read(text: &str) -> Option<Catalog> {
        let Json::Object(members) = json::parse(text).ok()? else {
            return None;
        };
        let (mut lang, mut ui, mut codes) = (None, None, None);
        // Taken apart by value: the texts are kept without a copy.
        for (key, value) in members {
            match (key.as_str(), value) {
                ("lang", Json::String(tag)) => {
                    lang = Lang::with_tag(&tag);
                }
                ("ui", Json::Object(texts)) => ui = Some(texts),
                ("codes", Json::Object(texts)) => codes = Some(texts),
                _ => {}
            }
        }
        Some(Catalog {
            lang: lang?,
            ui: ui?,
            codes: codes?,
        })
    }

    /// The interface text `key`.
    pub fn t(&self, key: UiText) -> &str {
        lookup(&self.ui, key.key()).unwrap_or(key.english())
    }

    /// The message of `code`.
    pub fn message(&self, code: ErrorCode) -> &str {
        lookup(&self.codes, code.as_str()).unwrap_or(code.english())
    }

    /// "Step 2 of 3" (1-based `current`).
    pub fn step_of(&self, current: usize, total: usize) -> String {
        let (step, of) = (self.t(UiText::Step), self.t(UiText::Of));
        // The two words, three spaces and room for two numbers of a few digits.
        let mut text = String::with_capacity(step.len() + of.len() + 3 + 8);
        text.push_str(step);
        text.push(' ');
        write_u64(&mut text, current as u64);
        text.push(' ');
        text.push_str(of);
        text.push(' ');
        write_u64(&mut text, total as u64);
        text
    }
}

/// A non-empty string member of a catalog object.
fn lookup<'a>(texts: &'a [(String, Json)], key: &str) -> Option<&'a str> {
    match json::member(texts, key) {
        Some(Json::String(text)) if !text.is_empty() => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_shared::messages::{catalog_json, message, ui_text};

    #[test]
    fn served_catalogs_are_read_whole() {
        for &lang in Lang::ALL {
            let catalog = Catalog::from_json(&catalog_json(lang));
            assert_eq!(catalog.lang, lang);
            for &key in UiText::ALL {
                assert_eq!(catalog.t(key), ui_text(key, lang), "{key:?}");
            }
            for &code in ErrorCode::ALL {
                assert_eq!(catalog.message(code), message(code, lang), "{code}");
            }
        }
        let spanish = Catalog::from_json(&catalog_json(Lang::Es));
        assert_eq!(spanish.step_of(2, 3), "Paso 2 de 3");
        assert_eq!(Catalog::default().step_of(1, 3), "Step 1 of 3");
    }

    #[test]
    fn anything_else_is_english() {
        for text in [
            "",
            "not json",
            "[]",
            r#"{"lang":"fr","ui":{},"codes":{}}"#,
            r#"{"lang":"es","ui":{}}"#,
            r#"{"lang":"es","ui":[],"codes":{}}"#,
        ] {
            assert_eq!(Catalog::from_json(text), Catalog::default(), "{text}");
        }
        // A catalog that lacks a key, or holds a non-string, falls back per key.
        let partial = Catalog::from_json(
            r#"{"lang":"es","ui":{"next":"Siguiente","back":7},"codes":{"field.required":""}}"#,
        );
        assert_eq!(partial.lang, Lang::Es);
        assert_eq!(partial.t(UiText::Next), "Siguiente");
        assert_eq!(partial.t(UiText::Back), "Back");
        assert_eq!(partial.t(UiText::Retry), "Try again");
        assert_eq!(
            partial.message(ErrorCode::Required),
            ErrorCode::Required.english()
        );
    }
}
