//! Every built-in text exists in every language: for each [`Lang`] × each
//! [`ErrorCode`] and each [`UiText`], the text is there, trimmed, not the
//! English one (a forgotten translation) unless allow-listed below, and
//! shaped like its English original (messages end with a full stop; a
//! parenthesised label stays parenthesised; a trailing ellipsis stays); and
//! every language's catalog, as the edge serves it, holds exactly those texts.
//!
//! The match arms in `shared/src/messages.rs` already make a missing code a
//! compile error; this catches the texts the compiler cannot: empty, English
//! pasted in, or a different shape.

use leadform_shared::messages::{catalog_json, message, ui_text, UiText};
use leadform_shared::{ErrorCode, Lang};

/// Texts a language writes exactly as English does. Keep it short: each entry
/// is a word the language really uses, not a translation left for later.
const SAME_AS_ENGLISH: &[(Lang, &str)] = &[(Lang::De, "(optional)")];

/// Why `text`, the `lang` version of `english`, is wrong; `None` when fine.
fn problem(lang: Lang, english: &str, text: &str, is_message: bool) -> Option<&'static str> {
    if text.trim().is_empty() {
        return Some("is empty");
    }
    if text.trim() != text || text.contains("  ") {
        return Some("has stray whitespace");
    }
    if lang != Lang::En && text == english && !SAME_AS_ENGLISH.contains(&(lang, text)) {
        return Some("is the English text (not translated)");
    }
    if is_message && !text.ends_with('.') {
        return Some("does not end with a full stop");
    }
    let parenthesised = |t: &str| t.starts_with('(') && t.ends_with(')');
    if parenthesised(english) != parenthesised(text) {
        return Some("is not parenthesised like the English text");
    }
    if english.ends_with('…') != text.ends_with('…') {
        return Some("does not end with an ellipsis like the English text");
    }
    None
}

/// Every problem of every text in every language, as readable lines.
fn problems() -> Vec<String> {
    let mut found = Vec::new();
    for &lang in Lang::ALL {
        for &code in ErrorCode::ALL {
            let text = message(code, lang);
            if let Some(why) = problem(lang, code.english(), text, true) {
                found.push(format!("{lang:?} {code}: {text:?} {why}"));
            }
        }
        for &key in UiText::ALL {
            let text = ui_text(key, lang);
            if let Some(why) = problem(lang, key.english(), text, false) {
                found.push(format!("{lang:?} ui.{}: {text:?} {why}", key.key()));
            }
        }
    }
    found
}

#[test]
fn every_text_exists_in_every_language() {
    let found = problems();
    assert!(found.is_empty(), "{}", found.join("\n"));
    // English, Spanish, French, German, Brazilian Portuguese, Italian, Dutch.
    let tags: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
    assert_eq!(tags, ["en", "es", "fr", "de", "pt", "it", "nl"]);
}

#[test]
fn the_check_refuses_what_it_should() {
    let fr = Lang::Fr;
    let cases: &[(Lang, &str, &str, bool, Option<&str>)] = &[
        (fr, "Enter a number.", "Saisissez un nombre.", true, None),
        (fr, "Enter a number.", "", true, Some("is empty")),
        (fr, "Enter a number.", "  ", true, Some("is empty")),
        (
            fr,
            "Enter a number.",
            " Saisissez un nombre.",
            true,
            Some("has stray whitespace"),
        ),
        (
            fr,
            "Enter a number.",
            "Saisissez  un nombre.",
            true,
            Some("has stray whitespace"),
        ),
        (
            fr,
            "Enter a number.",
            "Enter a number.",
            true,
            Some("is the English text (not translated)"),
        ),
        (
            fr,
            "Enter a number.",
            "Saisissez un nombre",
            true,
            Some("does not end with a full stop"),
        ),
        (fr, "Next", "Suivant", false, None),
        (
            fr,
            "Next",
            "Next",
            false,
            Some("is the English text (not translated)"),
        ),
        (fr, "(optional)", "(facultatif)", false, None),
        (
            fr,
            "(optional)",
            "facultatif",
            false,
            Some("is not parenthesised like the English text"),
        ),
        (
            fr,
            "(optional)",
            "(optional)",
            false,
            Some("is the English text (not translated)"),
        ),
        (Lang::De, "(optional)", "(optional)", false, None),
        (
            fr,
            "Sending…",
            "Envoi en cours",
            false,
            Some("does not end with an ellipsis like the English text"),
        ),
        (Lang::En, "Next", "Next", false, None),
    ];
    for &(lang, english, text, is_message, expected) in cases {
        assert_eq!(
            problem(lang, english, text, is_message),
            expected,
            "{lang:?} {english:?} -> {text:?}"
        );
    }
}

#[test]
fn every_language_has_a_served_catalog_of_its_own_texts() {
    for &lang in Lang::ALL {
        let body = catalog_json(lang);
        let catalog: serde_json::Value = serde_json::from_str(&body).expect("catalog is JSON");
        assert_eq!(
            Lang::with_tag(lang.tag()),
            Some(lang),
            "the edge finds {lang:?}"
        );
        assert_eq!(catalog["lang"], lang.tag());
        let ui = catalog["ui"].as_object().expect("ui");
        let codes = catalog["codes"].as_object().expect("codes");
        assert_eq!(ui.len(), UiText::ALL.len(), "{lang:?}");
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "{lang:?}");
        for &key in UiText::ALL {
            assert_eq!(ui[key.key()], ui_text(key, lang), "{lang:?} {key:?}");
        }
        for &code in ErrorCode::ALL {
            assert_eq!(codes[code.as_str()], message(code, lang), "{lang:?} {code}");
        }
    }
    // Two languages never share a whole catalog (a language routed to
    // another's functions).
    let catalogs: std::collections::BTreeSet<String> = Lang::ALL
        .iter()
        .map(|&lang| {
            let catalog: serde_json::Value =
                serde_json::from_str(&catalog_json(lang)).expect("catalog is JSON");
            format!("{} {}", catalog["ui"], catalog["codes"])
        })
        .collect();
    assert_eq!(catalogs.len(), Lang::ALL.len());
}
