//! Every built-in human text, per language: the messages of [`ErrorCode`]s
//! and the widget's interface strings ([`UiText`]), and the catalog the edge
//! serves for a language ([`catalog_json`], `GET /v1/i18n/{lang}`).
//!
//! English lives beside each code in `error.rs` (so code and wording cannot
//! drift apart) and in [`UiText::english`]; every other language is one
//! `match` here, in the register visitors of a form expect: Spanish in
//! neutral Latin-American/European Spanish (`tú`: `escribe`, `elige`), French
//! with `vous` (`saisissez`), German with `Sie` (`geben Sie … ein`),
//! Portuguese in Brazilian Portuguese with `você` (`digite`, `escolha`; tag
//! `pt`, since the loader asks for the page's primary subtag, so `pt-BR` and
//! `pt-PT` pages both get it), Italian with `tu` (`inserisci`) and Dutch with
//! `je` (`vul … in`). Consent texts keep their force in every language: what
//! English calls required is `obligatorio`, `obligatoire`, `erforderlich`,
//! `obrigatório`, `obbligatorio`, `verplicht`. Examples keep `example.com`
//! (reserved for documentation) rather than a translated domain someone may
//! own. The widget carries English only and reads any
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
//!    `ui_spanish`, routed in [`ui_text`]. The edge then serves its catalog;
//!    `shared/tests/messages_complete.rs` refuses a text left empty or equal
//!    to the English one (outside its short allow-list of words both
//!    languages write alike).
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
    Fr,
    De,
    /// Brazilian Portuguese, under the primary tag `pt` (a `pt-PT` page gets
    /// it too: the loader asks for the primary subtag only).
    Pt,
    It,
    Nl,
}

impl Lang {
    pub const ALL: &'static [Lang] = &[
        Lang::En,
        Lang::Es,
        Lang::Fr,
        Lang::De,
        Lang::Pt,
        Lang::It,
        Lang::Nl,
    ];

    /// The BCP 47 primary tag, `"en"`, `"es"`, `"fr"`, `"de"`, `"pt"`,
    /// `"it"` or `"nl"`.
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Pt => "pt",
            Lang::It => "it",
            Lang::Nl => "nl",
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
        Lang::Fr => french(code),
        Lang::De => german(code),
        Lang::Pt => portuguese(code),
        Lang::It => italian(code),
        Lang::Nl => dutch(code),
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
        PhoneExtensionInvalid => "Una extensión tiene de 1 a 10 dígitos después de x, ext o #, como x123.",
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
        ConsentCoveredFieldMissing => "Completa los datos de contacto a los que se refiere este consentimiento o desmarca la casilla.",
        LeadNotContactable => "Indica una forma de contactarte, como tu correo electrónico o tu número de teléfono.",
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

fn french(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        Required => "Ce champ est obligatoire.",
        UnknownField => "Ce champ ne fait pas partie du formulaire.",
        WrongValueType => "Cette valeur n'a pas le bon type pour ce champ.",
        TextTooShort => "Ce texte est trop court.",
        TextTooLong => "Ce texte est trop long.",
        TextControlCharacter => "Ce texte contient des caractères non autorisés.",
        TextLineBreak => "Les retours à la ligne ne sont pas autorisés ici.",
        EmailEmpty => "Saisissez une adresse e-mail.",
        EmailAtMissing => "Une adresse e-mail doit contenir le signe @.",
        EmailLocalEmpty => "Saisissez la partie avant le @.",
        EmailLocalTooLong => "La partie avant le @ est trop longue (64 caractères au maximum).",
        EmailLocalInvalid => "La partie avant le @ contient des caractères non autorisés.",
        EmailDomainMissing => "Saisissez la partie après le @, par exemple example.com.",
        EmailDomainTooLong => "Le domaine est trop long (255 caractères au maximum).",
        EmailDomainInvalid => "Le domaine après le @ n'est pas valide.",
        EmailDomainLabelTooLong => "Une partie du domaine est trop longue (63 caractères au maximum).",
        EmailDomainNoDot => "Le domaine doit contenir un point, par exemple example.com.",
        EmailTooLong => "L'adresse e-mail est trop longue (254 caractères au maximum).",
        PhoneEmpty => "Saisissez un numéro de téléphone.",
        PhoneInvalidCharacters => "Un numéro de téléphone ne peut contenir que des chiffres, des espaces, des tirets, des points, des parenthèses et un + au début.",
        PhoneTooShort => "Ce numéro de téléphone est trop court.",
        PhoneTooLong => "Ce numéro de téléphone est trop long.",
        PhoneUnknownCountryCode => "Cet indicatif de pays est inconnu.",
        PhoneInvalidForCountry => "Ce numéro de téléphone n'est pas valide pour son pays.",
        PhoneUnsupportedCountry => "Les numéros de téléphone de ce pays ne sont pas encore pris en charge.",
        PhoneExtensionInvalid => "Un numéro de poste compte de 1 à 10 chiffres après x, ext ou #, par exemple x123.",
        PostalEmpty => "Saisissez un code postal.",
        PostalInvalid => "Ce code postal n'est pas valide.",
        PostalUnsupportedCountry => "Les codes postaux de ce pays ne sont pas encore pris en charge.",
        OptionNotAllowed => "Choisissez l'une des options proposées.",
        TooFewSelected => "Choisissez plus d'options.",
        TooManySelected => "Choisissez moins d'options.",
        DuplicateSelection => "La même option a été choisie deux fois.",
        NumberInvalid => "Saisissez un nombre.",
        NumberTooSmall => "Ce nombre est trop petit.",
        NumberTooLarge => "Ce nombre est trop grand.",
        CheckboxInvalid => "Cette case doit être cochée ou non cochée.",
        ConsentRequired => "Veuillez cocher cette case pour continuer.",
        ConsentUnknown => "Ce consentement ne fait pas partie du formulaire.",
        ConsentTextMismatch => "Le texte du consentement ne correspond pas à la formulation actuelle du formulaire.",
        ConsentHashMismatch => "Le hachage du texte du consentement ne correspond pas au texte.",
        ConsentVersionMismatch => "La version du consentement ne correspond pas à la version actuelle du formulaire.",
        ConsentChannelsMismatch => "Les canaux du consentement ne correspondent pas au formulaire.",
        ConsentDuplicate => "Le même consentement a été envoyé deux fois.",
        ConsentCoveredFieldMissing => "Renseignez les coordonnées auxquelles ce consentement s'applique, ou décochez la case.",
        LeadNotContactable => "Indiquez un moyen de vous contacter, comme votre adresse e-mail ou votre numéro de téléphone.",
        EnvelopeTooLarge => "L'envoi est trop volumineux.",
        EnvelopeMalformed => "L'envoi n'est pas un JSON valide ayant la structure attendue.",
        EnvelopeUnknownField => "L'envoi contient un champ que ce serveur n'accepte pas.",
        EnvelopeUnsupportedVersion => "Cette version du format d'envoi n'est pas prise en charge.",
        EnvelopeFormMismatch => "L'envoi concerne un autre formulaire.",
        EnvelopeSpecHashMismatch => "Le formulaire a changé depuis le chargement de cette page. Veuillez la recharger et réessayer.",
        EnvelopeLimitExceeded => "L'envoi contient trop de valeurs ou des valeurs trop longues.",
        EnvelopeInvalidIdentifier => "Un identifiant de l'envoi n'est pas valide.",
        EnvelopeInvalidTimings => "Les mesures de temps de l'envoi ne sont pas valides.",
    }
}

fn german(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        Required => "Dieses Feld ist erforderlich.",
        UnknownField => "Dieses Feld gehört nicht zum Formular.",
        WrongValueType => "Dieser Wert hat den falschen Typ für das Feld.",
        TextTooShort => "Die Eingabe ist zu kurz.",
        TextTooLong => "Die Eingabe ist zu lang.",
        TextControlCharacter => "Die Eingabe enthält Zeichen, die nicht erlaubt sind.",
        TextLineBreak => "Zeilenumbrüche sind hier nicht erlaubt.",
        EmailEmpty => "Geben Sie eine E-Mail-Adresse ein.",
        EmailAtMissing => "Eine E-Mail-Adresse muss ein @-Zeichen enthalten.",
        EmailLocalEmpty => "Geben Sie den Teil vor dem @ ein.",
        EmailLocalTooLong => "Der Teil vor dem @ ist zu lang (höchstens 64 Zeichen).",
        EmailLocalInvalid => "Der Teil vor dem @ enthält Zeichen, die nicht erlaubt sind.",
        EmailDomainMissing => "Geben Sie den Teil nach dem @ ein, zum Beispiel example.com.",
        EmailDomainTooLong => "Die Domain ist zu lang (höchstens 255 Zeichen).",
        EmailDomainInvalid => "Die Domain nach dem @ ist ungültig.",
        EmailDomainLabelTooLong => "Ein Teil der Domain ist zu lang (höchstens 63 Zeichen).",
        EmailDomainNoDot => "Die Domain muss einen Punkt enthalten, zum Beispiel example.com.",
        EmailTooLong => "Die E-Mail-Adresse ist zu lang (höchstens 254 Zeichen).",
        PhoneEmpty => "Geben Sie eine Telefonnummer ein.",
        PhoneInvalidCharacters => "Eine Telefonnummer darf nur Ziffern, Leerzeichen, Bindestriche, Punkte, Klammern und ein + am Anfang enthalten.",
        PhoneTooShort => "Diese Telefonnummer ist zu kurz.",
        PhoneTooLong => "Diese Telefonnummer ist zu lang.",
        PhoneUnknownCountryCode => "Diese Ländervorwahl ist unbekannt.",
        PhoneInvalidForCountry => "Diese Telefonnummer ist für das zugehörige Land ungültig.",
        PhoneUnsupportedCountry => "Telefonnummern aus diesem Land werden noch nicht unterstützt.",
        PhoneExtensionInvalid => "Eine Durchwahl hat 1 bis 10 Ziffern nach x, ext oder #, zum Beispiel x123.",
        PostalEmpty => "Geben Sie eine Postleitzahl ein.",
        PostalInvalid => "Diese Postleitzahl ist ungültig.",
        PostalUnsupportedCountry => "Postleitzahlen aus diesem Land werden noch nicht unterstützt.",
        OptionNotAllowed => "Wählen Sie eine der aufgeführten Optionen aus.",
        TooFewSelected => "Wählen Sie mehr Optionen aus.",
        TooManySelected => "Wählen Sie weniger Optionen aus.",
        DuplicateSelection => "Dieselbe Option wurde zweimal gewählt.",
        NumberInvalid => "Geben Sie eine Zahl ein.",
        NumberTooSmall => "Diese Zahl ist zu klein.",
        NumberTooLarge => "Diese Zahl ist zu groß.",
        CheckboxInvalid => "Dieses Kästchen muss angekreuzt oder nicht angekreuzt sein.",
        ConsentRequired => "Bitte kreuzen Sie dieses Kästchen an, um fortzufahren.",
        ConsentUnknown => "Diese Einwilligung gehört nicht zum Formular.",
        ConsentTextMismatch => "Der Text der Einwilligung stimmt nicht mit dem aktuellen Wortlaut des Formulars überein.",
        ConsentHashMismatch => "Der Hash des Einwilligungstexts stimmt nicht mit dem Text überein.",
        ConsentVersionMismatch => "Die Version der Einwilligung stimmt nicht mit der aktuellen Version des Formulars überein.",
        ConsentChannelsMismatch => "Die Kanäle der Einwilligung stimmen nicht mit dem Formular überein.",
        ConsentDuplicate => "Dieselbe Einwilligung wurde zweimal gesendet.",
        ConsentCoveredFieldMissing => "Geben Sie die Kontaktdaten an, auf die sich diese Einwilligung bezieht, oder entfernen Sie das Häkchen.",
        LeadNotContactable => "Geben Sie an, wie wir Sie erreichen können, zum Beispiel Ihre E-Mail-Adresse oder Telefonnummer.",
        EnvelopeTooLarge => "Die Übermittlung ist zu groß.",
        EnvelopeMalformed => "Die Übermittlung ist kein gültiges JSON mit der erwarteten Struktur.",
        EnvelopeUnknownField => "Die Übermittlung enthält ein Feld, das dieser Server nicht annimmt.",
        EnvelopeUnsupportedVersion => "Diese Version des Übermittlungsformats wird nicht unterstützt.",
        EnvelopeFormMismatch => "Die Übermittlung gehört zu einem anderen Formular.",
        EnvelopeSpecHashMismatch => "Das Formular wurde geändert, seit diese Seite geladen wurde. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
        EnvelopeLimitExceeded => "Die Übermittlung enthält zu viele oder zu lange Werte.",
        EnvelopeInvalidIdentifier => "Eine Kennung in der Übermittlung ist ungültig.",
        EnvelopeInvalidTimings => "Die Zeitangaben der Übermittlung sind ungültig.",
    }
}

/// Brazilian Portuguese.
fn portuguese(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        Required => "Este campo é obrigatório.",
        UnknownField => "Este campo não faz parte do formulário.",
        WrongValueType => "Este valor tem o tipo errado para o campo.",
        TextTooShort => "O texto está curto demais.",
        TextTooLong => "O texto está longo demais.",
        TextControlCharacter => "O texto contém caracteres não permitidos.",
        TextLineBreak => "Quebras de linha não são permitidas aqui.",
        EmailEmpty => "Digite um endereço de e-mail.",
        EmailAtMissing => "Um endereço de e-mail precisa ter um @.",
        EmailLocalEmpty => "Digite a parte antes do @.",
        EmailLocalTooLong => "A parte antes do @ está longa demais (no máximo 64 caracteres).",
        EmailLocalInvalid => "A parte antes do @ contém caracteres não permitidos.",
        EmailDomainMissing => "Digite a parte depois do @, por exemplo, example.com.",
        EmailDomainTooLong => "O domínio está longo demais (no máximo 255 caracteres).",
        EmailDomainInvalid => "O domínio depois do @ não é válido.",
        EmailDomainLabelTooLong => "Uma parte do domínio está longa demais (no máximo 63 caracteres).",
        EmailDomainNoDot => "O domínio precisa ter um ponto, por exemplo, example.com.",
        EmailTooLong => "O endereço de e-mail está longo demais (no máximo 254 caracteres).",
        PhoneEmpty => "Digite um número de telefone.",
        PhoneInvalidCharacters => "Um número de telefone só pode ter dígitos, espaços, hifens, pontos, parênteses e um + no início.",
        PhoneTooShort => "Este número de telefone está curto demais.",
        PhoneTooLong => "Este número de telefone está longo demais.",
        PhoneUnknownCountryCode => "Este código de país é desconhecido.",
        PhoneInvalidForCountry => "Este número de telefone não é válido para o país correspondente.",
        PhoneUnsupportedCountry => "Números de telefone deste país ainda não são aceitos.",
        PhoneExtensionInvalid => "Um ramal tem de 1 a 10 dígitos depois de x, ext ou #, como x123.",
        PostalEmpty => "Digite um código postal.",
        PostalInvalid => "Este código postal não é válido.",
        PostalUnsupportedCountry => "Códigos postais deste país ainda não são aceitos.",
        OptionNotAllowed => "Escolha uma das opções da lista.",
        TooFewSelected => "Escolha mais opções.",
        TooManySelected => "Escolha menos opções.",
        DuplicateSelection => "A mesma opção foi escolhida duas vezes.",
        NumberInvalid => "Digite um número.",
        NumberTooSmall => "Este número é pequeno demais.",
        NumberTooLarge => "Este número é grande demais.",
        CheckboxInvalid => "Esta caixa deve estar marcada ou desmarcada.",
        ConsentRequired => "Marque esta caixa para continuar.",
        ConsentUnknown => "Este consentimento não faz parte do formulário.",
        ConsentTextMismatch => "O texto do consentimento não corresponde à redação atual do formulário.",
        ConsentHashMismatch => "O hash do texto do consentimento não corresponde ao texto.",
        ConsentVersionMismatch => "A versão do consentimento não corresponde à versão atual do formulário.",
        ConsentChannelsMismatch => "Os canais do consentimento não correspondem ao formulário.",
        ConsentDuplicate => "O mesmo consentimento foi enviado duas vezes.",
        ConsentCoveredFieldMissing => "Preencha os dados de contato a que este consentimento se refere ou desmarque a caixa.",
        LeadNotContactable => "Informe uma forma de contato, como seu endereço de e-mail ou número de telefone.",
        EnvelopeTooLarge => "O envio é grande demais.",
        EnvelopeMalformed => "O envio não é um JSON válido com a estrutura esperada.",
        EnvelopeUnknownField => "O envio contém um campo que este servidor não aceita.",
        EnvelopeUnsupportedVersion => "Esta versão do formato de envio não é aceita.",
        EnvelopeFormMismatch => "O envio é de outro formulário.",
        EnvelopeSpecHashMismatch => "O formulário mudou desde que esta página foi carregada. Recarregue a página e tente novamente.",
        EnvelopeLimitExceeded => "O envio tem valores demais ou valores longos demais.",
        EnvelopeInvalidIdentifier => "Um identificador do envio não é válido.",
        EnvelopeInvalidTimings => "Os tempos do envio não são válidos.",
    }
}

fn italian(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        Required => "Questo campo è obbligatorio.",
        UnknownField => "Questo campo non fa parte del modulo.",
        WrongValueType => "Questo valore non è del tipo corretto per il campo.",
        TextTooShort => "Il testo è troppo corto.",
        TextTooLong => "Il testo è troppo lungo.",
        TextControlCharacter => "Il testo contiene caratteri non consentiti.",
        TextLineBreak => "Qui non sono consentiti ritorni a capo.",
        EmailEmpty => "Inserisci un indirizzo email.",
        EmailAtMissing => "Un indirizzo email deve contenere il simbolo @.",
        EmailLocalEmpty => "Inserisci la parte prima della @.",
        EmailLocalTooLong => "La parte prima della @ è troppo lunga (al massimo 64 caratteri).",
        EmailLocalInvalid => "La parte prima della @ contiene caratteri non consentiti.",
        EmailDomainMissing => "Inserisci la parte dopo la @, ad esempio example.com.",
        EmailDomainTooLong => "Il dominio è troppo lungo (al massimo 255 caratteri).",
        EmailDomainInvalid => "Il dominio dopo la @ non è valido.",
        EmailDomainLabelTooLong => "Una parte del dominio è troppo lunga (al massimo 63 caratteri).",
        EmailDomainNoDot => "Il dominio deve contenere un punto, ad esempio example.com.",
        EmailTooLong => "L'indirizzo email è troppo lungo (al massimo 254 caratteri).",
        PhoneEmpty => "Inserisci un numero di telefono.",
        PhoneInvalidCharacters => "Un numero di telefono può contenere solo cifre, spazi, trattini, punti, parentesi e un + iniziale.",
        PhoneTooShort => "Questo numero di telefono è troppo corto.",
        PhoneTooLong => "Questo numero di telefono è troppo lungo.",
        PhoneUnknownCountryCode => "Questo prefisso internazionale è sconosciuto.",
        PhoneInvalidForCountry => "Questo numero di telefono non è valido per il paese corrispondente.",
        PhoneUnsupportedCountry => "I numeri di telefono di questo paese non sono ancora supportati.",
        PhoneExtensionInvalid => "Un interno ha da 1 a 10 cifre dopo x, ext o #, ad esempio x123.",
        PostalEmpty => "Inserisci un codice postale.",
        PostalInvalid => "Questo codice postale non è valido.",
        PostalUnsupportedCountry => "I codici postali di questo paese non sono ancora supportati.",
        OptionNotAllowed => "Scegli una delle opzioni elencate.",
        TooFewSelected => "Scegli più opzioni.",
        TooManySelected => "Scegli meno opzioni.",
        DuplicateSelection => "La stessa opzione è stata scelta due volte.",
        NumberInvalid => "Inserisci un numero.",
        NumberTooSmall => "Questo numero è troppo piccolo.",
        NumberTooLarge => "Questo numero è troppo grande.",
        CheckboxInvalid => "Questa casella deve essere selezionata o non selezionata.",
        ConsentRequired => "Seleziona questa casella per continuare.",
        ConsentUnknown => "Questo consenso non fa parte del modulo.",
        ConsentTextMismatch => "Il testo del consenso non corrisponde alla formulazione attuale del modulo.",
        ConsentHashMismatch => "L'hash del testo del consenso non corrisponde al testo.",
        ConsentVersionMismatch => "La versione del consenso non corrisponde alla versione attuale del modulo.",
        ConsentChannelsMismatch => "I canali del consenso non corrispondono al modulo.",
        ConsentDuplicate => "Lo stesso consenso è stato inviato due volte.",
        ConsentCoveredFieldMissing => "Inserisci i recapiti a cui si riferisce questo consenso oppure togli la spunta.",
        LeadNotContactable => "Indica un modo per contattarti, come il tuo indirizzo email o il tuo numero di telefono.",
        EnvelopeTooLarge => "L'invio è troppo grande.",
        EnvelopeMalformed => "L'invio non è un JSON valido con la struttura prevista.",
        EnvelopeUnknownField => "L'invio contiene un campo che questo server non accetta.",
        EnvelopeUnsupportedVersion => "Questa versione del formato di invio non è supportata.",
        EnvelopeFormMismatch => "L'invio riguarda un altro modulo.",
        EnvelopeSpecHashMismatch => "Il modulo è cambiato da quando questa pagina è stata caricata. Ricarica la pagina e riprova.",
        EnvelopeLimitExceeded => "L'invio contiene troppi valori o valori troppo lunghi.",
        EnvelopeInvalidIdentifier => "Un identificativo dell'invio non è valido.",
        EnvelopeInvalidTimings => "I tempi dell'invio non sono validi.",
    }
}

fn dutch(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        Required => "Dit veld is verplicht.",
        UnknownField => "Dit veld hoort niet bij het formulier.",
        WrongValueType => "Deze waarde heeft het verkeerde type voor dit veld.",
        TextTooShort => "Dit is te kort.",
        TextTooLong => "Dit is te lang.",
        TextControlCharacter => "Dit bevat tekens die niet zijn toegestaan.",
        TextLineBreak => "Regeleinden zijn hier niet toegestaan.",
        EmailEmpty => "Vul een e-mailadres in.",
        EmailAtMissing => "Een e-mailadres moet een @ bevatten.",
        EmailLocalEmpty => "Vul het deel vóór de @ in.",
        EmailLocalTooLong => "Het deel vóór de @ is te lang (maximaal 64 tekens).",
        EmailLocalInvalid => "Het deel vóór de @ bevat tekens die niet zijn toegestaan.",
        EmailDomainMissing => "Vul het deel na de @ in, zoals example.com.",
        EmailDomainTooLong => "Het domein is te lang (maximaal 255 tekens).",
        EmailDomainInvalid => "Het domein na de @ is ongeldig.",
        EmailDomainLabelTooLong => "Een deel van het domein is te lang (maximaal 63 tekens).",
        EmailDomainNoDot => "Het domein moet een punt bevatten, zoals example.com.",
        EmailTooLong => "Het e-mailadres is te lang (maximaal 254 tekens).",
        PhoneEmpty => "Vul een telefoonnummer in.",
        PhoneInvalidCharacters => "Een telefoonnummer mag alleen cijfers, spaties, streepjes, punten, haakjes en een + aan het begin bevatten.",
        PhoneTooShort => "Dit telefoonnummer is te kort.",
        PhoneTooLong => "Dit telefoonnummer is te lang.",
        PhoneUnknownCountryCode => "Deze landcode is onbekend.",
        PhoneInvalidForCountry => "Dit is geen geldig telefoonnummer voor het bijbehorende land.",
        PhoneUnsupportedCountry => "Telefoonnummers uit dit land worden nog niet ondersteund.",
        PhoneExtensionInvalid => "Een toestelnummer heeft 1 tot 10 cijfers na x, ext of #, bijvoorbeeld x123.",
        PostalEmpty => "Vul een postcode in.",
        PostalInvalid => "Deze postcode is ongeldig.",
        PostalUnsupportedCountry => "Postcodes uit dit land worden nog niet ondersteund.",
        OptionNotAllowed => "Kies een van de vermelde opties.",
        TooFewSelected => "Kies meer opties.",
        TooManySelected => "Kies minder opties.",
        DuplicateSelection => "Dezelfde optie is twee keer gekozen.",
        NumberInvalid => "Vul een getal in.",
        NumberTooSmall => "Dit getal is te klein.",
        NumberTooLarge => "Dit getal is te groot.",
        CheckboxInvalid => "Dit vakje moet aangevinkt of niet aangevinkt zijn.",
        ConsentRequired => "Vink dit vakje aan om verder te gaan.",
        ConsentUnknown => "Deze toestemming hoort niet bij het formulier.",
        ConsentTextMismatch => "De tekst van de toestemming komt niet overeen met de huidige formulering van het formulier.",
        ConsentHashMismatch => "De hash van de toestemmingstekst komt niet overeen met de tekst.",
        ConsentVersionMismatch => "De versie van de toestemming komt niet overeen met de huidige versie van het formulier.",
        ConsentChannelsMismatch => "De kanalen van de toestemming komen niet overeen met het formulier.",
        ConsentDuplicate => "Dezelfde toestemming is twee keer verzonden.",
        ConsentCoveredFieldMissing => "Vul de contactgegevens in waarop deze toestemming betrekking heeft, of vink het vakje uit.",
        LeadNotContactable => "Geef aan hoe we je kunnen bereiken, bijvoorbeeld je e-mailadres of telefoonnummer.",
        EnvelopeTooLarge => "De inzending is te groot.",
        EnvelopeMalformed => "De inzending is geen geldige JSON met de verwachte structuur.",
        EnvelopeUnknownField => "De inzending bevat een veld dat deze server niet accepteert.",
        EnvelopeUnsupportedVersion => "Deze versie van het inzendingsformaat wordt niet ondersteund.",
        EnvelopeFormMismatch => "De inzending hoort bij een ander formulier.",
        EnvelopeSpecHashMismatch => "Het formulier is gewijzigd sinds deze pagina is geladen. Laad de pagina opnieuw en probeer het nog eens.",
        EnvelopeLimitExceeded => "De inzending heeft te veel of te lange waarden.",
        EnvelopeInvalidIdentifier => "Een ID in de inzending is ongeldig.",
        EnvelopeInvalidTimings => "De tijdgegevens van de inzending zijn ongeldig.",
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
        Lang::Fr => ui_french(key),
        Lang::De => ui_german(key),
        Lang::Pt => ui_portuguese(key),
        Lang::It => ui_italian(key),
        Lang::Nl => ui_dutch(key),
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

fn ui_french(key: UiText) -> &'static str {
    match key {
        UiText::Next => "Suivant",
        UiText::Back => "Retour",
        UiText::Sending => "Envoi en cours…",
        UiText::Optional => "(facultatif)",
        UiText::Required => "(obligatoire)",
        UiText::ChooseOne => "Choisissez…",
        UiText::Retry => "Réessayer",
        UiText::SavedOffline => "Nous n'avons pas pu joindre le serveur. Vos réponses sont enregistrées sur cet appareil et seront envoyées automatiquement la prochaine fois, ou vous pouvez réessayer maintenant.",
        UiText::NotAccepted => "Vos réponses n'ont pas pu être envoyées. Veuillez les vérifier et réessayer.",
        UiText::FixErrors => "Veuillez corriger les champs signalés.",
        UiText::EarlierSent => "Vos réponses précédentes ont maintenant été envoyées.",
        UiText::HoneypotLabel => "Laissez ce champ vide",
        UiText::PhoneSentAs => "Sera envoyé sous la forme",
        UiText::Step => "Étape",
        UiText::Of => "sur",
    }
}

fn ui_german(key: UiText) -> &'static str {
    match key {
        UiText::Next => "Weiter",
        UiText::Back => "Zurück",
        UiText::Sending => "Wird gesendet…",
        UiText::Optional => "(optional)",
        UiText::Required => "(erforderlich)",
        UiText::ChooseOne => "Bitte wählen…",
        UiText::Retry => "Erneut versuchen",
        UiText::SavedOffline => "Wir konnten den Server nicht erreichen. Ihre Antworten sind auf diesem Gerät gespeichert und werden beim nächsten Mal automatisch gesendet, oder Sie versuchen es jetzt noch einmal.",
        UiText::NotAccepted => "Ihre Antworten konnten nicht gesendet werden. Bitte prüfen Sie sie und versuchen Sie es noch einmal.",
        UiText::FixErrors => "Bitte korrigieren Sie die markierten Felder.",
        UiText::EarlierSent => "Ihre früheren Antworten wurden jetzt gesendet.",
        UiText::HoneypotLabel => "Dieses Feld leer lassen",
        UiText::PhoneSentAs => "Wird gesendet als",
        UiText::Step => "Schritt",
        UiText::Of => "von",
    }
}

/// Brazilian Portuguese.
fn ui_portuguese(key: UiText) -> &'static str {
    match key {
        UiText::Next => "Próximo",
        UiText::Back => "Voltar",
        UiText::Sending => "Enviando…",
        UiText::Optional => "(opcional)",
        UiText::Required => "(obrigatório)",
        UiText::ChooseOne => "Selecione…",
        UiText::Retry => "Tentar novamente",
        UiText::SavedOffline => "Não foi possível conectar ao servidor. Suas respostas estão salvas neste dispositivo e serão enviadas automaticamente na próxima vez, ou você pode tentar novamente agora.",
        UiText::NotAccepted => "Não foi possível enviar suas respostas. Confira-as e tente novamente.",
        UiText::FixErrors => "Corrija os campos destacados.",
        UiText::EarlierSent => "Suas respostas anteriores foram enviadas.",
        UiText::HoneypotLabel => "Deixe este campo em branco",
        UiText::PhoneSentAs => "Será enviado como",
        UiText::Step => "Etapa",
        UiText::Of => "de",
    }
}

fn ui_italian(key: UiText) -> &'static str {
    match key {
        UiText::Next => "Avanti",
        UiText::Back => "Indietro",
        UiText::Sending => "Invio in corso…",
        UiText::Optional => "(facoltativo)",
        UiText::Required => "(obbligatorio)",
        UiText::ChooseOne => "Scegli…",
        UiText::Retry => "Riprova",
        UiText::SavedOffline => "Non siamo riusciti a raggiungere il server. Le tue risposte sono salvate su questo dispositivo e verranno inviate automaticamente la prossima volta, oppure puoi riprovare ora.",
        UiText::NotAccepted => "Non è stato possibile inviare le tue risposte. Controllale e riprova.",
        UiText::FixErrors => "Correggi i campi evidenziati.",
        UiText::EarlierSent => "Le tue risposte precedenti sono state inviate.",
        UiText::HoneypotLabel => "Lascia vuoto questo campo",
        UiText::PhoneSentAs => "Verrà inviato come",
        UiText::Step => "Passaggio",
        UiText::Of => "di",
    }
}

fn ui_dutch(key: UiText) -> &'static str {
    match key {
        UiText::Next => "Volgende",
        UiText::Back => "Terug",
        UiText::Sending => "Verzenden…",
        UiText::Optional => "(optioneel)",
        UiText::Required => "(verplicht)",
        UiText::ChooseOne => "Kies…",
        UiText::Retry => "Opnieuw proberen",
        UiText::SavedOffline => "We konden de server niet bereiken. Je antwoorden zijn op dit apparaat opgeslagen en worden de volgende keer automatisch verzonden, of je kunt het nu opnieuw proberen.",
        UiText::NotAccepted => "Je antwoorden konden niet worden verzonden. Controleer ze en probeer het opnieuw.",
        UiText::FixErrors => "Corrigeer de gemarkeerde velden.",
        UiText::EarlierSent => "Je eerdere antwoorden zijn nu verzonden.",
        UiText::HoneypotLabel => "Laat dit veld leeg",
        UiText::PhoneSentAs => "Wordt verzonden als",
        UiText::Step => "Stap",
        UiText::Of => "van",
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

    // Every text of every language, non-empty and translated:
    // shared/tests/messages_complete.rs.

    #[test]
    fn ui_texts_table_rows_belong_to_their_variants() {
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
    fn tags() {
        assert_eq!(Lang::with_tag("es"), Some(Lang::Es));
        assert_eq!(Lang::with_tag("en"), Some(Lang::En));
        for other in [
            "ES", "es-MX", "pt-BR", "pt-br", " es ", "FR", "xx", "", "est", "spa", "por",
        ] {
            assert_eq!(Lang::with_tag(other), None, "{other:?}");
        }
        assert_eq!(serde_json::to_string(&Lang::Es).unwrap(), "\"es\"");
        assert_eq!(serde_json::from_str::<Lang>("\"en\"").unwrap(), Lang::En);
        assert_eq!(Lang::with_tag("pt"), Some(Lang::Pt));
        for &lang in Lang::ALL {
            assert_eq!(Lang::with_tag(lang.tag()), Some(lang));
            // The serde name is the tag: a catalog's "lang" reads back.
            let json = format!("\"{}\"", lang.tag());
            assert_eq!(serde_json::to_string(&lang).unwrap(), json);
            assert_eq!(serde_json::from_str::<Lang>(&json).unwrap(), lang);
        }
        let tags: std::collections::BTreeSet<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
        assert_eq!(tags.len(), Lang::ALL.len(), "tags are unique");
    }
}
