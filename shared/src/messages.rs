//! Every built-in human text, per language: the messages of [`ErrorCode`]s
//! and the widget's interface strings ([`UiText`]), and the catalog the edge
//! serves for a language ([`catalog_json`], `GET /v1/i18n/{lang}`).
//!
//! English lives beside each code in `error.rs` (so code and wording cannot
//! drift apart) and in [`UiText::english`]; every other language is one
//! `match` here. Spanish is written in neutral Latin-American/European Spanish
//! (`tú`, `escribe`, `elige`). The widget carries English only and reads any
//! other language from the catalog its loader fetches, so a language costs
//! its download nothing until a visitor uses it.
//!
//! To add a language:
//! 1. add a [`Lang`] variant (serde name = its lower-case BCP 47 primary tag),
//!    and add it to [`Lang::ALL`] and [`Lang::tag`] ([`Lang::with_tag`] finds
//!    it through them);
//! 2. write a function like `spanish` below with one arm per [`ErrorCode`], no
//!    wildcard: the compiler then refuses a missing code, now and whenever a
//!    code is added;
//! 3. route it in [`message`]; the tests refuse an empty message or one without
//!    a closing full stop;
//! 4. translate the widget's interface strings: a function like
//!    `ui_spanish`, routed in [`ui_text`]. The edge then serves its catalog.
//!
//! This module must not format values into messages: they are static texts.

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, FieldMap};

/// A language the built-in messages exist in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::Es];

    /// The BCP 47 primary tag, `"en"` or `"es"`.
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language whose [`Lang::tag`] is exactly `tag` (`"es"`, as a
    /// catalog names it and the loader asks for it: the page's primary subtag,
    /// lower-cased); `None` for any other text.
    pub fn with_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.iter().copied().find(|lang| lang.tag() == tag)
    }
}

/// The message for `code` in `lang`.
pub fn message(code: ErrorCode, lang: Lang) -> &'static str {
    match lang {
        Lang::En => code.english(),
        Lang::Es => spanish(code),
    }
}

fn spanish(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        Required => "Este campo es obligatorio.",
        UnknownField => "Este campo no forma parte del formulario.",
        WrongValueType => "Este valor no tiene el tipo correcto para el campo.",
        TextTooShort => "Es demasiado corto.",
        TextTooLong => "Es demasiado largo.",
        TextControlCharacter => "Contiene caracteres no permitidos.",
        TextLineBreak => "Aquí no se permiten saltos de línea.",
        EmailEmpty => "Escribe una dirección de correo electrónico.",
        EmailAtMissing => "Una dirección de correo electrónico necesita una @.",
        EmailLocalEmpty => "Escribe la parte anterior a la @.",
        EmailLocalTooLong => "La parte anterior a la @ es demasiado larga (64 caracteres como máximo).",
        EmailLocalInvalid => "La parte anterior a la @ contiene caracteres no permitidos.",
        EmailDomainMissing => "Escribe la parte posterior a la @, como ejemplo.com.",
        EmailDomainTooLong => "El dominio es demasiado largo (255 caracteres como máximo).",
        EmailDomainInvalid => "El dominio después de la @ no es válido.",
        EmailDomainLabelTooLong => "Una parte del dominio es demasiado larga (63 caracteres como máximo).",
        EmailDomainNoDot => "El dominio necesita un punto, como ejemplo.com.",
        EmailTooLong => "La dirección de correo electrónico es demasiado larga (254 caracteres como máximo).",
        PhoneEmpty => "Escribe un número de teléfono.",
        PhoneInvalidCharacters => "Un número de teléfono solo puede tener dígitos, espacios, guiones, puntos, paréntesis y un + al principio.",
        PhoneTooShort => "Este número de teléfono es demasiado corto.",
        PhoneTooLong => "Este número de teléfono es demasiado largo.",
        PhoneUnknownCountryCode => "No conocemos este código de país.",
        PhoneInvalidForCountry => "Este número no es válido para su país.",
        PhoneUnsupportedCountry => "Todavía no aceptamos números de teléfono de este país.",
        PostalEmpty => "Escribe un código postal.",
        PostalInvalid => "Este código postal no es válido.",
        PostalUnsupportedCountry => "Todavía no aceptamos códigos postales de este país.",
        OptionNotAllowed => "Elige una de las opciones de la lista.",
        TooFewSelected => "Elige más opciones.",
        TooManySelected => "Elige menos opciones.",
        DuplicateSelection => "Se eligió la misma opción dos veces.",
        NumberInvalid => "Escribe un número.",
        NumberTooSmall => "Este número es demasiado pequeño.",
        NumberTooLarge => "Este número es demasiado grande.",
        CheckboxInvalid => "Esta casilla debe estar marcada o desmarcada.",
        ConsentRequired => "Marca esta casilla para continuar.",
        ConsentUnknown => "Este consentimiento no forma parte del formulario.",
        ConsentTextMismatch => "El texto del consentimiento no coincide con la redacción actual del formulario.",
        ConsentHashMismatch => "El hash del texto del consentimiento no coincide con el texto.",
        ConsentVersionMismatch => "La versión del consentimiento no coincide con la versión actual del formulario.",
        ConsentChannelsMismatch => "Los canales del consentimiento no coinciden con el formulario.",
        ConsentDuplicate => "El mismo consentimiento se envió dos veces.",
        EnvelopeTooLarge => "El envío es demasiado grande.",
        EnvelopeMalformed => "El envío no es un JSON válido con la estructura esperada.",
        EnvelopeUnknownField => "El envío contiene un campo que este servidor no acepta.",
        EnvelopeUnsupportedVersion => "Esta versión del formato de envío no es compatible.",
        EnvelopeFormMismatch => "El envío corresponde a otro formulario.",
        EnvelopeSpecHashMismatch => "El formulario ha cambiado desde que se cargó la página. Vuelve a cargarla e inténtalo de nuevo.",
        EnvelopeLimitExceeded => "El envío tiene demasiados valores o valores demasiado largos.",
        EnvelopeInvalidIdentifier => "Un identificador del envío no es válido.",
        EnvelopeInvalidTimings => "Los tiempos del envío no son válidos.",
    }
}

/// One of the widget's built-in interface strings (buttons, progress, status
/// lines). Field labels and consent texts are not here: they are the owner's,
/// shown exactly as the spec declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiText {
    Next,
    Back,
    Sending,
    Optional,
    Required,
    ChooseOne,
    Retry,
    /// Network failure: the submission is kept on this device.
    SavedOffline,
    /// The server refused the submission for a reason not tied to one field.
    NotAccepted,
    /// Fields need fixing; focus was moved to the first one.
    FixErrors,
    /// A submission kept from an earlier visit has now been delivered.
    EarlierSent,
    /// Label of the honeypot input (screen readers never reach it).
    HoneypotLabel,
    /// Prefix of the live E.164 preview under a phone input.
    PhoneSentAs,
    /// "Step" in "Step 2 of 3".
    Step,
    /// "of" in "Step 2 of 3".
    Of,
}

impl UiText {
    pub const ALL: &'static [UiText] = &[
        UiText::Next,
        UiText::Back,
        UiText::Sending,
        UiText::Optional,
        UiText::Required,
        UiText::ChooseOne,
        UiText::Retry,
        UiText::SavedOffline,
        UiText::NotAccepted,
        UiText::FixErrors,
        UiText::EarlierSent,
        UiText::HoneypotLabel,
        UiText::PhoneSentAs,
        UiText::Step,
        UiText::Of,
    ];

    /// The stable key of the text in a catalog's `ui` object.
    pub const fn key(self) -> &'static str {
        UI_TEXTS[self as usize].0
    }

    /// The English text, built into the widget.
    pub const fn english(self) -> &'static str {
        UI_TEXTS[self as usize].1
    }
}

/// `(catalog key, English)` of every [`UiText`], in declaration order: one
/// table the widget indexes rather than two `match`es it would branch through.
const UI_TEXTS: [(&str, &str); UiText::ALL.len()] = [
    ("next", "Next"),
    ("back", "Back"),
    ("sending", "Sending…"),
    ("optional", "(optional)"),
    ("required", "(required)"),
    ("choose_one", "Choose…"),
    ("retry", "Try again"),
    ("saved_offline", "We could not reach the server. Your answers are saved on this device and will be sent automatically next time, or you can try again now."),
    ("not_accepted", "Your answers could not be sent. Please check them and try again."),
    ("fix_errors", "Please correct the highlighted fields."),
    ("earlier_sent", "Your earlier answers have now been sent."),
    ("honeypot_label", "Leave this field empty"),
    ("phone_sent_as", "Will be sent as"),
    ("step", "Step"),
    ("of", "of"),
];

/// The interface text `key` in `lang`.
pub fn ui_text(key: UiText, lang: Lang) -> &'static str {
    match lang {
        Lang::En => key.english(),
        Lang::Es => ui_spanish(key),
    }
}

fn ui_spanish(key: UiText) -> &'static str {
    match key {
        UiText::Next => "Siguiente",
        UiText::Back => "Atrás",
        UiText::Sending => "Enviando…",
        UiText::Optional => "(opcional)",
        UiText::Required => "(obligatorio)",
        UiText::ChooseOne => "Elige…",
        UiText::Retry => "Reintentar",
        UiText::SavedOffline => "No pudimos conectar con el servidor. Tus respuestas se han guardado en este dispositivo y se enviarán automáticamente la próxima vez, o puedes reintentarlo ahora.",
        UiText::NotAccepted => "No se pudieron enviar tus respuestas. Revísalas e inténtalo de nuevo.",
        UiText::FixErrors => "Corrige los campos marcados.",
        UiText::EarlierSent => "Tus respuestas anteriores ya se han enviado.",
        UiText::HoneypotLabel => "Deja este campo vacío",
        UiText::PhoneSentAs => "Se enviará como",
        UiText::Step => "Paso",
        UiText::Of => "de",
    }
}

/// The catalog of every built-in text in `lang`, as the edge serves it at
/// `GET /v1/i18n/{lang}` and the widget reads it:
/// `{"lang": "es", "ui": {"next": "Siguiente", ...}, "codes":
/// {"field.required": "Este campo es obligatorio.", ...}}`, with every
/// [`UiText`] key and every [`ErrorCode`].
pub fn catalog_json(lang: Lang) -> String {
    #[derive(Serialize)]
    struct Catalog {
        lang: Lang,
        ui: FieldMap<&'static str>,
        codes: FieldMap<&'static str>,
    }
    let mut catalog = Catalog {
        lang,
        ui: FieldMap::new(),
        codes: FieldMap::new(),
    };
    for &key in UiText::ALL {
        catalog.ui.insert(key.key().to_owned(), ui_text(key, lang));
    }
    for &code in ErrorCode::ALL {
        catalog
            .codes
            .insert(code.as_str().to_owned(), message(code, lang));
    }
    // Strings and a unit enum always serialise.
    serde_json::to_string(&catalog).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ui_text_is_translated() {
        for &key in UiText::ALL {
            assert!(!key.english().is_empty(), "{key:?}");
            for &lang in Lang::ALL {
                assert!(!ui_text(key, lang).trim().is_empty(), "{key:?} in {lang:?}");
            }
            // "Optional"/"Back" etc. differ between languages; identical text
            // would mean a forgotten translation.
            assert_ne!(key.english(), ui_spanish(key), "{key:?} is not translated");
        }
        for (index, &key) in UiText::ALL.iter().enumerate() {
            assert_eq!(key as usize, index, "{key:?}: ALL is in declaration order");
            // Each row of UI_TEXTS belongs to its variant: the key is the
            // variant's name in snake case.
            let mut snake = String::new();
            for c in format!("{key:?}").chars() {
                if c.is_ascii_uppercase() && !snake.is_empty() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(key.key(), snake);
        }
        assert_eq!(UiText::Next.english(), "Next");
        assert_eq!(UiText::Of.english(), "of");
        let keys: Vec<&str> = UiText::ALL.iter().map(|k| k.key()).collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "catalog keys are unique");
    }

    #[test]
    fn catalogs_hold_every_text_of_their_language() {
        for &lang in Lang::ALL {
            let catalog: serde_json::Value =
                serde_json::from_str(&catalog_json(lang)).expect("catalog is JSON");
            assert_eq!(catalog["lang"], lang.tag());
            for &key in UiText::ALL {
                assert_eq!(catalog["ui"][key.key()], ui_text(key, lang), "{key:?}");
            }
            for &code in ErrorCode::ALL {
                assert_eq!(
                    catalog["codes"][code.as_str()],
                    message(code, lang),
                    "{code}"
                );
            }
            assert_eq!(
                catalog["ui"].as_object().map(|o| o.len()),
                Some(UiText::ALL.len())
            );
            assert_eq!(
                catalog["codes"].as_object().map(|o| o.len()),
                Some(ErrorCode::ALL.len())
            );
        }
    }

    #[test]
    fn every_code_has_a_message_in_every_language() {
        for &lang in Lang::ALL {
            for &code in ErrorCode::ALL {
                let text = message(code, lang);
                assert!(!text.trim().is_empty(), "{code} has no {lang:?} message");
                assert!(
                    text.ends_with('.'),
                    "{code} in {lang:?} ends with a full stop"
                );
            }
        }
    }

    #[test]
    fn tags() {
        assert_eq!(Lang::with_tag("es"), Some(Lang::Es));
        assert_eq!(Lang::with_tag("en"), Some(Lang::En));
        for other in ["ES", "es-MX", " es ", "fr", "", "est", "spa"] {
            assert_eq!(Lang::with_tag(other), None, "{other:?}");
        }
        assert_eq!(serde_json::to_string(&Lang::Es).unwrap(), "\"es\"");
        assert_eq!(serde_json::from_str::<Lang>("\"en\"").unwrap(), Lang::En);
        for &lang in Lang::ALL {
            assert_eq!(Lang::with_tag(lang.tag()), Some(lang));
        }
    }
}
