//! Human messages for [`ErrorCode`]s, per language.
//!
//! English lives beside each code in `error.rs` (so code and wording cannot
//! drift apart); every other language is one `match` here. Spanish is written
//! in neutral Latin-American/European Spanish (`tú`, `escribe`, `elige`).
//!
//! To add a language:
//! 1. add a [`Lang`] variant (serde name = its lower-case BCP 47 primary tag),
//!    and add it to [`Lang::ALL`] and [`Lang::tag`] ([`Lang::from_tag`] finds
//!    it through them);
//! 2. write a function like `spanish` below with one arm per [`ErrorCode`], no
//!    wildcard: the compiler then refuses a missing code, now and whenever a
//!    code is added;
//! 3. route it in [`message`]; the tests refuse an empty message or one without
//!    a closing full stop;
//! 4. translate the widget's interface strings (`widget/src/i18n.rs`).
//!
//! This module must not format values into messages: they are static texts.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

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

    /// The language for a BCP 47 tag such as `es-MX` or `es_419`, matched on
    /// its primary subtag, case-insensitively; English when unknown.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag
            .trim()
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        Lang::ALL
            .iter()
            .copied()
            .find(|lang| primary.eq_ignore_ascii_case(lang.tag()))
            .unwrap_or(Lang::En)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(Lang::from_tag("es-MX"), Lang::Es);
        assert_eq!(Lang::from_tag("ES"), Lang::Es);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("fr"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
        assert_eq!(Lang::from_tag("es_419"), Lang::Es);
        assert_eq!(Lang::from_tag(" es "), Lang::Es);
        assert_eq!(Lang::from_tag("est"), Lang::En);
        assert_eq!(Lang::from_tag("spa"), Lang::En);
        assert_eq!(serde_json::to_string(&Lang::Es).unwrap(), "\"es\"");
        assert_eq!(serde_json::from_str::<Lang>("\"en\"").unwrap(), Lang::En);
        for &lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), lang);
        }
    }
}
