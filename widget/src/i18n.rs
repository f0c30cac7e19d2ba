//! The form's built-in texts in the visitor's language: English is built in;
//! any other language is the catalog the loader fetched from the edge
//! (`GET /v1/i18n/{lang}`, written by `leadform_shared::messages::catalog_json`),
//! read through serde.
//!
//! Every text, in every language, is written once in
//! `leadform_shared::messages`; this module only reads a served catalog, and
//! falls back to English for a catalog that is missing, malformed or lacks a
//! key. It must not hold texts of its own (the other languages would then be
//! downloaded by every visitor), nor field labels or consent text: those are
//! the owner's, shown exactly as the spec declares them.

use leadform_shared::messages::UiText;
use leadform_shared::{ErrorCode, FieldMap, Lang};
use serde::Deserialize;

/// The texts one mounted form shows.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Catalog {
    /// The language of the catalog's texts (English when none was read).
    pub lang: Lang,
    ui: FieldMap<String>,
    codes: FieldMap<String>,
}

impl Catalog {
    /// Reads a catalog served by the edge (`JSON.parse` + serde-wasm-bindgen);
    /// `""` (no catalog: English) and anything that is not a catalog of a
    /// known language give English.
    pub fn from_json(text: &str) -> Catalog {
        if text.is_empty() {
            return Catalog::default();
        }
        crate::platform::from_json(text).unwrap_or_default()
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
        let (current, total) = (current.to_string(), total.to_string());
        leadform_shared::concat(&[step, " ", &current, " ", of, " ", &total])
    }
}

/// A non-empty text of a catalog section.
fn lookup<'a>(texts: &'a FieldMap<String>, key: &str) -> Option<&'a str> {
    texts.get(key).map(String::as_str).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadform_shared::messages::{catalog_json, message, ui_text};

    /// What the widget reads from a served catalog text (natively: serde_json
    /// stands in for the browser's JSON.parse + serde-wasm-bindgen, the same
    /// serde derive reading both).
    fn read(text: &str) -> Catalog {
        serde_json::from_str(text).unwrap_or_default()
    }

    #[test]
    fn served_catalogs_are_read_whole() {
        for &lang in Lang::ALL {
            let catalog = read(&catalog_json(lang));
            assert_eq!(catalog.lang, lang);
            for &key in UiText::ALL {
                assert_eq!(catalog.t(key), ui_text(key, lang), "{key:?}");
            }
            for &code in ErrorCode::ALL {
                assert_eq!(catalog.message(code), message(code, lang), "{code}");
            }
        }
        let spanish = read(&catalog_json(Lang::Es));
        assert_eq!(spanish.step_of(2, 3), "Paso 2 de 3");
        assert_eq!(Catalog::default().step_of(1, 3), "Step 1 of 3");
    }

    #[test]
    fn anything_else_is_english() {
        for text in [
            "",
            "not json",
            "[]",
            r#"{"lang":"xx","ui":{},"codes":{}}"#,
            r#"{"lang":"es","ui":{}}"#,
            r#"{"lang":"es","ui":[],"codes":{}}"#,
            // A text of the wrong type: the catalog is not the edge's.
            r#"{"lang":"es","ui":{"next":"Siguiente","back":7},"codes":{}}"#,
        ] {
            assert_eq!(read(text), Catalog::default(), "{text}");
        }
        // A catalog that lacks a key, or holds an empty text, falls back per key.
        let partial =
            read(r#"{"lang":"es","ui":{"next":"Siguiente"},"codes":{"field.required":""}}"#);
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
