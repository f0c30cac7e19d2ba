//! Table-driven checks of the field rules: `tests/data/*.tsv` hold real-world
//! inputs with their expected normalised form or error code. Every failing row
//! is reported at once, with its line number.
//!
//! Table format (one case a line, columns separated by one tab):
//! - lines starting with `#` are comments, empty lines are skipped;
//! - an expected column `!code` is an error ([`ErrorCode::from_code`]); anything
//!   else is the expected normalised value, which must itself normalise to
//!   itself (idempotence);
//! - escapes, in every column: `\\` backslash, `\t` tab, `\n` line feed,
//!   `\r` carriage return, `\u{hex}` any scalar value. Write a leading `#` or
//!   `!`, and leading or trailing spaces, as `\u{23}`, `\u{21}`, `\u{20}` so
//!   that editors and the comment rule leave them alone.

use leadform_shared::email::normalise_email;
use leadform_shared::phone::{normalise_phone, normalise_phone_number, PhoneNumber};
use leadform_shared::postal::normalise_postal;
use leadform_shared::{Country, ErrorCode};

type Verdict = Result<String, ErrorCode>;

/// Undoes the tables' escapes.
fn unescape(field: &str) -> Result<String, String> {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                if chars.next() != Some('{') {
                    return Err(format!("`\\u` without `{{` in {field:?}"));
                }
                let mut hex = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => hex.push(c),
                        None => return Err(format!("unterminated `\\u{{` in {field:?}")),
                    }
                }
                let scalar = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad escape \\u{{{hex}}} in {field:?}"))?;
                out.push(scalar);
            }
            other => return Err(format!("unknown escape \\{other:?} in {field:?}")),
        }
    }
    Ok(out)
}

/// The expected column: `!code` or an escaped value.
fn expected(column: &str) -> Result<Verdict, String> {
    match column.strip_prefix('!') {
        Some(code) => ErrorCode::from_code(code)
            .map(Err)
            .ok_or_else(|| format!("unknown error code {code:?}")),
        None => unescape(column).map(Ok),
    }
}

fn country(code: &str) -> Result<Country, String> {
    Country::from_alpha2(code).ok_or_else(|| format!("unknown country {code:?}"))
}

/// Runs every row of `name` through `run`, which gets the raw columns and
/// returns (got, want, normaliser for the idempotence check).
fn check_table<F>(name: &str, columns: usize, minimum: usize, run: F)
where
    F: Fn(&[&str]) -> Result<(Verdict, Verdict, Box<dyn Fn(&str) -> Verdict>), String>,
{
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = 0;
    let mut failures = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        cases += 1;
        let at = format!("{name}:{}", index + 1);
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != columns {
            failures.push(format!(
                "{at}: {} columns, want {columns}: {line:?}",
                fields.len()
            ));
            continue;
        }
        match run(&fields) {
            Err(problem) => failures.push(format!("{at}: malformed row: {problem}")),
            Ok((got, want, _)) if got != want => {
                failures.push(format!("{at}: {fields:?}: want {want:?}, got {got:?}"));
            }
            Ok((Ok(value), _, normalise)) => {
                let again = normalise(&value);
                if again.as_ref() != Ok(&value) {
                    failures.push(format!("{at}: not idempotent: {value:?} gives {again:?}"));
                }
            }
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases >= minimum,
        "{name}: {cases} cases, want at least {minimum}"
    );
}

#[test]
fn email_table() {
    check_table("email_cases.tsv", 2, 160, |c| {
        let input = unescape(c[0])?;
        Ok((
            normalise_email(&input),
            expected(c[1])?,
            Box::new(normalise_email),
        ))
    });
}

#[test]
fn phone_table() {
    check_table("phone_cases.tsv", 3, 360, |c| {
        let input = unescape(c[0])?;
        let default = country(c[1])?;
        // An E.164 result must read the same whatever the default country.
        let other = if default == Country::JP {
            Country::US
        } else {
            Country::JP
        };
        // Every accepted value splits into E.164 + extension, the same as
        // typed input gives them, and joins back to itself.
        let got = normalise_phone(&input, default).map(|value| {
            let split = PhoneNumber::parse_normalised(&value);
            let typed = normalise_phone_number(&input, default).ok();
            match split {
                Some(number)
                    if number.to_normalised() == value && typed.as_ref() == Some(&number) =>
                {
                    value
                }
                _ => format!("{value} (does not split into E.164 and extension and back)"),
            }
        });
        Ok((
            got,
            expected(c[2])?,
            Box::new(move |v| normalise_phone(v, other)),
        ))
    });
}

#[test]
fn postal_table() {
    check_table("postal_cases.tsv", 3, 40, |c| {
        let input = unescape(c[0])?;
        let country = country(c[1])?;
        Ok((
            normalise_postal(&input, country),
            expected(c[2])?,
            Box::new(move |v| normalise_postal(v, country)),
        ))
    });
}

#[test]
fn unescape_round_trips_the_documented_escapes() {
    assert_eq!(unescape(r"a\tb\\c\u{e9}\n\r").unwrap(), "a\tb\\cé\n\r");
    assert!(unescape(r"\x").is_err());
    assert!(unescape(r"\u{110000}").is_err());
    assert!(unescape(r"\u20").is_err());
    assert!(unescape(r"\u{41").is_err());
    assert!(unescape(r"\u{}").is_err());
    assert!(unescape("trailing\\").is_err());
    assert_eq!(expected("!email.empty"), Ok(Err(ErrorCode::EmailEmpty)));
    assert!(expected("!email.nope").is_err());
    assert_eq!(expected(r"\u{21}a@b.c"), Ok(Ok("!a@b.c".into())));
}
