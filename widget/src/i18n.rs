//! The widget's own interface strings (buttons, progress, status lines) in every
//! supported language.
//!
//! Validation messages are not here: they come from `leadform_shared::messages`
//! so the widget and the edge word every [`leadform_shared::ErrorCode`] the
//! same way. This module must not hold field labels or consent text either:
//! those are the owner's, shown exactly as the spec declares them.

use leadform_shared::json::write_u64;
use leadform_shared::Lang;

/// One built-in interface string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
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

/// The text of `key` in `lang`.
pub fn t(lang: Lang, key: Text) -> &'static str {
    if lang == Lang::Es {
        spanish(key)
    } else {
        english(key)
    }
}

fn english(key: Text) -> &'static str {
    match key {
        Text::Next => "Next",
        Text::Back => "Back",
        Text::Sending => "Sending…",
        Text::Optional => "(optional)",
        Text::Required => "(required)",
        Text::ChooseOne => "Choose…",
        Text::Retry => "Try again",
        Text::SavedOffline => "We could not reach the server. Your answers are saved on this device and will be sent automatically next time, or you can try again now.",
        Text::NotAccepted => "Your answers could not be sent. Please check them and try again.",
        Text::FixErrors => "Please correct the highlighted fields.",
        Text::EarlierSent => "Your earlier answers have now been sent.",
        Text::HoneypotLabel => "Leave this field empty",
        Text::PhoneSentAs => "Will be sent as",
        Text::Step => "Step",
        Text::Of => "of",
    }
}

fn spanish(key: Text) -> &'static str {
    match key {
        Text::Next => "Siguiente",
        Text::Back => "Atrás",
        Text::Sending => "Enviando…",
        Text::Optional => "(opcional)",
        Text::Required => "(obligatorio)",
        Text::ChooseOne => "Elige…",
        Text::Retry => "Reintentar",
        Text::SavedOffline => "No pudimos conectar con el servidor. Tus respuestas se han guardado en este dispositivo y se enviarán automáticamente la próxima vez, o puedes reintentarlo ahora.",
        Text::NotAccepted => "No se pudieron enviar tus respuestas. Revísalas e inténtalo de nuevo.",
        Text::FixErrors => "Corrige los campos marcados.",
        Text::EarlierSent => "Tus respuestas anteriores ya se han enviado.",
        Text::HoneypotLabel => "Deja este campo vacío",
        Text::PhoneSentAs => "Se enviará como",
        Text::Step => "Paso",
        Text::Of => "de",
    }
}

/// "Step 2 of 3" in `lang` (1-based `current`).
pub fn step_of(lang: Lang, current: usize, total: usize) -> String {
    let (step, of) = (t(lang, Text::Step), t(lang, Text::Of));
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

/// The BCP 47 tag set as the `lang` attribute of the form.
pub fn lang_tag(lang: Lang) -> &'static str {
    if lang == Lang::Es {
        "es"
    } else {
        "en"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Text] = &[
        Text::Next,
        Text::Back,
        Text::Sending,
        Text::Optional,
        Text::Required,
        Text::ChooseOne,
        Text::Retry,
        Text::SavedOffline,
        Text::NotAccepted,
        Text::FixErrors,
        Text::EarlierSent,
        Text::HoneypotLabel,
        Text::PhoneSentAs,
        Text::Step,
        Text::Of,
    ];

    #[test]
    fn every_string_is_translated() {
        for &key in ALL {
            assert!(!english(key).is_empty());
            assert!(!spanish(key).is_empty());
            // "Optional"/"Back" etc. differ between languages; identical text
            // would mean a forgotten translation.
            assert_ne!(english(key), spanish(key), "{key:?} is not translated");
        }
        assert_eq!(step_of(Lang::Es, 2, 3), "Paso 2 de 3");
        assert_eq!(step_of(Lang::En, 1, 3), "Step 1 of 3");
    }
}
