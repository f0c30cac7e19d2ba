//! What an owner's page of leads is narrowed to beside its form (one, or
//! every form when `form=` is left out), time and cursor: the lead's tier, grade and latest status (`new`: none reported
//! yet), `waiting` (not contacted yet and not erased: the speed-to-lead
//! list), the route its routing decision took (`route=`), a receive-time
//! range (`from=`, `to=`) and a search (`q=`: an email, a phone number or a
//! name), read from the query and turned into SQL conditions on the leads
//! columns of migrations 0009 and 0010.
//!
//! Search: personal fields are encrypted at rest, so nothing here compares
//! a value in SQL. An email or a phone number is normalised as at submit
//! into its contact key (`email:<address>`, `phone:<E.164>`, a phone read in
//! the format of each phone field of the forms listed); the platform turns
//! those into the keyed indexes `lead_contacts` holds, one per form and key
//! ([`LeadFilter::contact_indexes`]), and the condition is an exact match on
//! them (indexed by `lead_contacts_by_contact`, migration 0015). A name has
//! no index: the platform opens a bounded run of the filtered rows and keeps
//! those whose name fields, in their own form, contain it ([`name_matches`]).
//!
//! Pure: the platform binds the values it returns. This module must not
//! build SQL from input text: column names and operators are its own
//! constants, input only ever becomes a bound value.

use leadform_shared::email::{email_dedup_key, normalise_email};
use leadform_shared::phone::normalise_phone;
use leadform_shared::spec::NAME_AUTOCOMPLETE;
use leadform_shared::validate::DEFAULT_PHONE_COUNTRY;
use leadform_shared::{FieldKind, FieldMap, FieldValue, FormSpec};

use crate::routes::query_param;
use crate::status::LeadStatus;
use crate::{time, EdgeError};

/// The filters of `GET /v1/leads` (`tier=`, `grade=`, `status=`,
/// `waiting=true`, `route=`, `from=`, `to=`, `q=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub tier: Option<String>,
    pub grade: Option<String>,
    /// `Some(None)`: leads without a status yet (`status=new`).
    pub status: Option<Option<LeadStatus>>,
    pub waiting: bool,
    /// The route of the lead's routing decision (`leads.routing_json`).
    pub route: Option<String>,
    /// Received at or after (Unix ms).
    pub from_ms: Option<u64>,
    /// Received before (Unix ms, exclusive: `to=2026-12-02` is through
    /// that whole day, `to=<timestamp>` through that millisecond).
    pub to_ms: Option<u64>,
    pub search: Option<Search>,
    /// The keyed indexes of [`Search::Contact`]'s keys, filled by the
    /// platform (it holds `DATA_INDEX_KEY`); the condition matches any.
    pub contact_indexes: Vec<String>,
}

/// What `q=` looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Contact keys as `shared` writes them (`email:<address>`,
    /// `phone:<E.164>`): an exact match through `lead_contacts`.
    Contact(Vec<String>),
    /// A name, lower-cased with its spaces collapsed: a substring of the
    /// lead's name fields, matched on opened records.
    Name(String),
}

impl Search {
    /// `"email"`, `"phone"` or `"name"`: what the audit log records of a
    /// search (never the text searched for).
    pub fn kind(&self) -> &'static str {
        match self {
            Search::Contact(keys) if keys.iter().all(|k| k.starts_with("email:")) => "email",
            Search::Contact(_) => "phone",
            Search::Name(_) => "name",
        }
    }
}

/// Longest tier, grade or route a filter accepts (spec ids are short).
const MAX_VALUE_LEN: usize = 64;
/// Longest search text (an email address is at most 254 octets).
const MAX_SEARCH_LEN: usize = 256;
/// Fewest digits a search must have to be read as a phone number.
const MIN_PHONE_DIGITS: usize = 6;

impl LeadFilter {
    /// Reads the filters of a page of the leads of `specs` (the form asked
    /// for, or every form); a phone search is read in the format of any of
    /// their phone fields. An unknown status, an
    /// empty or overlong tier, grade or route, `waiting` other than
    /// `true`/`false`, a time that is not RFC 3339 (or `YYYY-MM-DD`), `to`
    /// before `from`, or a search that looks like an email or a phone
    /// number but is not a valid one, is refused by name.
    pub fn from_query(query: &str, specs: &[&FormSpec]) -> Result<LeadFilter, EdgeError> {
        let short = |name: &'static str| -> Result<Option<String>, EdgeError> {
            match query_param(query, name) {
                None => Ok(None),
                Some(v) if !v.is_empty() && v.chars().count() <= MAX_VALUE_LEN => Ok(Some(v)),
                Some(_) => Err(EdgeError::BadQuery(name)),
            }
        };
        let status = match query_param(query, "status").as_deref() {
            None => None,
            Some("new") => Some(None),
            Some(text) => Some(Some(
                LeadStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str() == text)
                    .ok_or(EdgeError::BadQuery("status"))?,
            )),
        };
        let waiting = match query_param(query, "waiting").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(EdgeError::BadQuery("waiting")),
        };
        let from_ms = match query_param(query, "from").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(time::parse_rfc3339(&v).ok_or(EdgeError::BadQuery("from"))?),
        };
        let to_ms = match query_param(query, "to").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => {
                let at = time::parse_rfc3339(&v).ok_or(EdgeError::BadQuery("to"))?;
                // A plain date is through its day; a timestamp through its ms.
                Some(if v.len() == 10 {
                    at + 86_400_000
                } else {
                    at + 1
                })
            }
        };
        if let (Some(from), Some(to)) = (from_ms, to_ms) {
            if to <= from {
                return Err(EdgeError::BadQuery("to"));
            }
        }
        let search = match query_param(query, "q") {
            None => None,
            Some(text) if text.chars().count() > MAX_SEARCH_LEN => {
                return Err(EdgeError::BadQuery("q"))
            }
            Some(text) => Search::parse(&text, specs)?,
        };
        Ok(LeadFilter {
            tier: short("tier")?,
            grade: short("grade")?,
            status,
            waiting,
            route: short("route")?,
            from_ms,
            to_ms,
            search,
            contact_indexes: Vec::new(),
        })
    }

    /// The name a [`Search::Name`] looks for.
    pub fn name_search(&self) -> Option<&str> {
        match &self.search {
            Some(Search::Name(name)) => Some(name),
            _ => None,
        }
    }

    /// ` AND ...` conditions on the leads table, their `?N` placeholders
    /// numbered from `first`, and the values to bind to them, in order. A
    /// contact search matches any of [`LeadFilter::contact_indexes`] (keyed
    /// per form, so no form id is needed beside them).
    pub fn sql(&self, first: usize) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut values: Vec<String> = Vec::new();
        let mut bind = |sql: &mut String, template: &str, value: &str| {
            sql.push_str(&template.replace("?N", &format!("?{}", first + values.len())));
            values.push(value.to_owned());
        };
        if let Some(tier) = &self.tier {
            bind(&mut sql, " AND tier = ?N", tier);
        }
        if let Some(grade) = &self.grade {
            bind(&mut sql, " AND grade = ?N", grade);
        }
        if let Some(Some(status)) = self.status {
            bind(&mut sql, " AND status = ?N", status.as_str());
        }
        if self.status == Some(None) {
            sql.push_str(" AND status IS NULL");
        }
        if self.waiting {
            sql.push_str(" AND first_contact_at_ms IS NULL AND erased_at IS NULL");
        }
        if let Some(route) = &self.route {
            bind(
                &mut sql,
                " AND json_extract(routing_json, '$.route') = ?N",
                route,
            );
        }
        if let Some(from) = self.from_ms {
            let from = from.to_string();
            bind(
                &mut sql,
                " AND received_at_ms >= CAST(?N AS INTEGER)",
                &from,
            );
        }
        if let Some(to) = self.to_ms {
            let to = to.to_string();
            bind(&mut sql, " AND received_at_ms < CAST(?N AS INTEGER)", &to);
        }
        match &self.search {
            Some(Search::Contact(_)) if self.contact_indexes.is_empty() => sql.push_str(" AND 0"),
            Some(Search::Contact(_)) => {
                sql.push_str(
                    " AND lead_id IN (SELECT lead_id FROM lead_contacts WHERE contact_key IN (",
                );
                for (i, index) in self.contact_indexes.iter().enumerate() {
                    let template = if i == 0 { "?N" } else { ", ?N" };
                    bind(&mut sql, template, index);
                }
                sql.push_str("))");
            }
            // Erased leads have no name left to match.
            Some(Search::Name(_)) => sql.push_str(" AND erased_at IS NULL"),
            None => {}
        }
        (sql, values)
    }
}

impl Search {
    /// `q=` read against the forms listed: empty is no search; with an `@`,
    /// an email address (invalid: refused); mostly digits, a phone number in
    /// the format of any of their phone fields (none valid: refused);
    /// anything else a name.
    fn parse(text: &str, specs: &[&FormSpec]) -> Result<Option<Search>, EdgeError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.contains('@') {
            let email = normalise_email(text).map_err(|_| EdgeError::BadQuery("q"))?;
            let key = format!("email:{}", email_dedup_key(&email));
            return Ok(Some(Search::Contact(vec![key])));
        }
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let phone_like =
            text.starts_with(['+', '(']) || text.starts_with(|c: char| c.is_ascii_digit());
        if phone_like && digits >= MIN_PHONE_DIGITS {
            let mut countries = Vec::new();
            let phone_fields = specs
                .iter()
                .flat_map(|spec| &spec.fields)
                .filter(|f| f.kind == FieldKind::Phone);
            for country in phone_fields.map(|f| f.country.unwrap_or(DEFAULT_PHONE_COUNTRY)) {
                if !countries.contains(&country) {
                    countries.push(country);
                }
            }
            if countries.is_empty() {
                countries.push(DEFAULT_PHONE_COUNTRY);
            }
            let mut keys: Vec<String> = Vec::new();
            for country in countries {
                if let Ok(phone) = normalise_phone(text, country) {
                    let key = format!("phone:{phone}");
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
            if keys.is_empty() {
                return Err(EdgeError::BadQuery("q"));
            }
            return Ok(Some(Search::Contact(keys)));
        }
        Ok(Some(Search::Name(fold(text))))
    }
}

/// The query of one page of `table` (`columns` and `id_column` are the
/// store's constants, never input): `?1` the form id (`one_form`; else
/// bound NULL and every form's rows), `?2` the `since` bound, `?3`/`?4` the
/// `(received_at_ms, id)` cursor, `?5` the limit, then `filters` (from
/// [`LeadFilter::sql`] with `first` 6). One form's pages read the
/// `(form_id, received_at_ms, id)` index; every form's, the
/// `(received_at_ms, id)` one (migration 0015).
pub fn page_sql(
    columns: &str,
    table: &str,
    id_column: &str,
    one_form: bool,
    newest_first: bool,
    filters: &str,
) -> String {
    let (beyond, order) = if newest_first {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let form = if one_form {
        "form_id = ?1"
    } else {
        "?1 IS NULL"
    };
    format!(
        "SELECT {columns} FROM {table} WHERE {form} AND received_at_ms >= ?2 \
         AND (received_at_ms {beyond} ?3 OR (received_at_ms = ?3 AND {id_column} {beyond} ?4)){filters} \
         ORDER BY received_at_ms {order}, {id_column} {order} LIMIT ?5"
    )
}

/// Most keyed contact indexes one D1 query binds (D1 binds at most 100
/// values a query; a page binds 5 and its other filters up to 6 more).
pub const CONTACT_INDEXES_PER_QUERY: usize = 64;

/// The page one query would give from the pages of several queries (one
/// per run of contact indexes), each in the page's order and cut to its
/// limit: every row once (by id), ordered by `key` (`(received_at_ms,
/// id)`), newest first or oldest first, cut to `limit`.
pub fn merge_runs<T>(
    runs: Vec<Vec<T>>,
    key: impl Fn(&T) -> (u64, &str),
    newest_first: bool,
    limit: usize,
) -> Vec<T> {
    let mut rows: Vec<T> = Vec::new();
    for row in runs.into_iter().flatten() {
        if !rows.iter().any(|r| key(r).1 == key(&row).1) {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| key(a).cmp(&key(b)));
    if newest_first {
        rows.reverse();
    }
    rows.truncate(limit);
    rows
}

/// Whether leads of `spec` can hold `contact_key` (`email:...` needs an
/// email field, `phone:...` a phone field): the forms whose keyed indexes a
/// search across forms looks up.
pub fn may_hold(spec: &FormSpec, contact_key: &str) -> bool {
    let kind = match contact_key.split_once(':') {
        Some(("email", _)) => FieldKind::Email,
        Some(("phone", _)) => FieldKind::Phone,
        _ => return false,
    };
    spec.fields.iter().any(|f| f.kind == kind)
}

/// Lower-cased, with runs of white space as one space.
fn fold(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the lead's name contains `name` (as [`Search::Name`] holds it):
/// its name fields (text fields whose `autocomplete` is a name token, or
/// whose id says `name`) joined in form order, so `ada lovelace` finds a
/// given and a family name apart.
pub fn name_matches(spec: &FormSpec, values: &FieldMap<FieldValue>, name: &str) -> bool {
    let parts: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Text)
        .filter(|f| {
            f.autocomplete
                .as_deref()
                .is_some_and(|token| NAME_AUTOCOMPLETE.contains(&token))
                || f.id.contains("name")
        })
        .filter_map(|f| match values.get(&f.id) {
            Some(FieldValue::Text(text)) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    !name.is_empty() && fold(&parts.join(" ")).contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FormSpec {
        FormSpec::parse_toml(
            r#"
id = "callback"
title = "Call me"
[[fields]]
id = "given"
kind = "text"
label = "First name"
autocomplete = "given-name"
[[fields]]
id = "family_name"
kind = "text"
label = "Last name"
[[fields]]
id = "company"
kind = "text"
label = "Company"
[[fields]]
id = "email"
kind = "email"
label = "Email"
[[fields]]
id = "phone"
kind = "phone"
label = "Office phone"
[[fields]]
id = "mobile"
kind = "phone"
label = "Mobile"
country = "GB"
"#,
        )
        .expect("test spec")
    }

    /// One query: the conditions (placeholders from ?6) and bound values,
    /// after the platform's indexes (`idx:<key>`) of any contact search.
    fn check(query: &str, sql: &str, values: &[&str]) {
        let mut filter = LeadFilter::from_query(query, &[&spec()]).expect(query);
        if let Some(Search::Contact(keys)) = &filter.search {
            filter.contact_indexes = keys.iter().map(|k| format!("idx:{k}")).collect();
        }
        let (got_sql, got_values) = filter.sql(6);
        assert_eq!(got_sql, sql, "{query}");
        assert_eq!(got_values, values, "{query}");
    }

    #[test]
    fn filters_from_the_query_to_sql() {
        let contacts = " AND lead_id IN (SELECT lead_id FROM lead_contacts WHERE contact_key IN (";
        let cases: Vec<(&str, String, Vec<&str>)> = vec![
            ("form=f", String::new(), vec![]),
            ("form=f&tier=hot", " AND tier = ?6".into(), vec!["hot"]),
            (
                "tier=hot&grade=A&status=won",
                " AND tier = ?6 AND grade = ?7 AND status = ?8".into(),
                vec!["hot", "A", "won"],
            ),
            ("status=new", " AND status IS NULL".into(), vec![]),
            (
                "waiting=true&tier=warm",
                " AND tier = ?6 AND first_contact_at_ms IS NULL AND erased_at IS NULL".into(),
                vec!["warm"],
            ),
            ("waiting=false", String::new(), vec![]),
            // Input is only ever a bound value.
            ("tier=x%27%20OR%201%3D1", " AND tier = ?6".into(), vec!["x' OR 1=1"]),
            (
                "route=east",
                " AND json_extract(routing_json, '$.route') = ?6".into(),
                vec!["east"],
            ),
            // A date is from its midnight (UTC) and through its whole day.
            (
                "from=2026-12-01&to=2026-12-01",
                " AND received_at_ms >= CAST(?6 AS INTEGER) AND received_at_ms < CAST(?7 AS INTEGER)"
                    .into(),
                vec!["1796083200000", "1796169600000"],
            ),
            (
                "to=2026-12-01T10:00:00.000Z",
                " AND received_at_ms < CAST(?6 AS INTEGER)".into(),
                vec!["1796119200001"],
            ),
            ("from=&to=&q=", String::new(), vec![]),
            // An email, normalised (lower-cased) as at submit.
            (
                "q=Ada%40Example.COM",
                format!("{contacts}?6))"),
                vec!["idx:email:ada@example.com"],
            ),
            // A phone in each phone field's format: US, then GB.
            (
                "q=%2B1%20415%20555%200100",
                format!("{contacts}?6))"),
                vec!["idx:phone:+14155550100"],
            ),
            (
                "tier=hot&q=07700%20900123",
                format!(" AND tier = ?6{contacts}?7))"),
                vec!["hot", "idx:phone:+447700900123"],
            ),
            // A name is matched on opened records: only the erased are left out.
            ("q=%20Ada%20%20Lovelace", " AND erased_at IS NULL".into(), vec![]),
        ];
        for (query, sql, values) in cases {
            check(query, &sql, &values);
        }
    }

    #[test]
    fn pages_of_one_form_or_of_every_form() {
        let window = "received_at_ms >= ?2 AND (received_at_ms";
        for (one_form, newest, filters, want) in [
            (
                true,
                false,
                "",
                format!("SELECT c FROM leads WHERE form_id = ?1 AND {window} > ?3 OR (received_at_ms = ?3 AND lead_id > ?4)) ORDER BY received_at_ms ASC, lead_id ASC LIMIT ?5"),
            ),
            (
                false,
                true,
                " AND tier = ?6",
                format!("SELECT c FROM leads WHERE ?1 IS NULL AND {window} < ?3 OR (received_at_ms = ?3 AND lead_id < ?4)) AND tier = ?6 ORDER BY received_at_ms DESC, lead_id DESC LIMIT ?5"),
            ),
        ] {
            assert_eq!(
                page_sql("c", "leads", "lead_id", one_form, newest, filters),
                want,
                "{one_form} {newest}"
            );
        }
    }

    #[test]
    fn runs_of_contact_indexes_merge_into_one_page() {
        fn key<'a>(row: &'a (u64, &'static str)) -> (u64, &'a str) {
            (row.0, row.1)
        }
        // Two runs' pages (each ordered, each cut to the limit), one lead
        // in both: each row once, in the page's order, cut to the limit.
        type Rows = Vec<(u64, &'static str)>;
        let cases: [(bool, usize, Vec<Rows>, Rows); 4] = [
            (
                true,
                3,
                vec![vec![(9, "c"), (5, "a")], vec![(7, "b"), (5, "a"), (1, "z")]],
                vec![(9, "c"), (7, "b"), (5, "a")],
            ),
            (
                false,
                10,
                vec![vec![(5, "a"), (9, "c")], vec![(1, "z"), (5, "a")]],
                vec![(1, "z"), (5, "a"), (9, "c")],
            ),
            // Same time: by id, as the SQL orders them.
            (
                true,
                2,
                vec![vec![(5, "a")], vec![(5, "b")]],
                vec![(5, "b"), (5, "a")],
            ),
            (false, 5, vec![vec![], vec![]], vec![]),
        ];
        for (newest, limit, runs, want) in cases {
            assert_eq!(
                merge_runs(runs.clone(), key, newest, limit),
                want,
                "{runs:?}"
            );
        }
    }

    #[test]
    fn searches_are_read_as_email_phone_or_name() {
        let cases: [(&str, Option<Search>, &str); 5] = [
            (
                "ADA@example.com ",
                Some(Search::Contact(vec!["email:ada@example.com".into()])),
                "email",
            ),
            (
                "(415) 555-0100",
                Some(Search::Contact(vec!["phone:+14155550100".into()])),
                "phone",
            ),
            (
                "Ada  LOVELACE",
                Some(Search::Name("ada lovelace".into())),
                "name",
            ),
            // Too few digits for a phone: a name (which matches nothing).
            ("123", Some(Search::Name("123".into())), "name"),
            ("   ", None, ""),
        ];
        for (text, want, kind) in cases {
            let got = Search::parse(text, &[&spec()]).expect(text);
            assert_eq!(got.as_ref().map(Search::kind).unwrap_or(""), kind, "{text}");
            assert_eq!(got, want, "{text}");
        }
    }

    fn one_phone_form(id: &str, country: &str) -> FormSpec {
        FormSpec::parse_toml(&format!(
            "id = \"{id}\"\ntitle = \"T\"\n[[fields]]\nid = \"tel\"\nkind = \"phone\"\nlabel = \"Phone\"\ncountry = \"{country}\"\n"
        ))
        .expect("phone form")
    }

    #[test]
    fn a_search_across_forms_reads_a_phone_in_any_forms_format() {
        let us = one_phone_form("us", "US");
        let gb = one_phone_form("gb", "GB");
        let email_only = FormSpec::parse_toml(
            "id = \"news\"\ntitle = \"N\"\n[[fields]]\nid = \"email\"\nkind = \"email\"\nlabel = \"Email\"\n",
        )
        .expect("email form");
        let full = spec();
        let gb_key = Search::Contact(vec!["phone:+447700900123".into()]);
        type Read = Result<Option<Search>, EdgeError>;
        let cases: Vec<(&str, Vec<&FormSpec>, Read)> = vec![
            // A GB national number: refused for the US form alone, found
            // across forms in the GB form's format.
            ("07700 900123", vec![&us], Err(EdgeError::BadQuery("q"))),
            ("07700 900123", vec![&us, &gb], Ok(Some(gb_key.clone()))),
            ("07700 900123", vec![&gb, &email_only], Ok(Some(gb_key))),
            // No phone field anywhere: the default country's format.
            (
                "(415) 555-0100",
                vec![&email_only],
                Ok(Some(Search::Contact(vec!["phone:+14155550100".into()]))),
            ),
            // International numbers read the same in every format, once.
            (
                "+44 7700 900123",
                vec![&us, &gb, &full],
                Ok(Some(Search::Contact(vec!["phone:+447700900123".into()]))),
            ),
        ];
        for (text, specs, want) in cases {
            assert_eq!(Search::parse(text, &specs), want, "{text}");
        }
        // Only the forms with a field of the key's kind are looked up.
        for (form, key, want) in [
            (&us, "phone:+14155550100", true),
            (&us, "email:ada@example.com", false),
            (&email_only, "email:ada@example.com", true),
            (&email_only, "phone:+14155550100", false),
            (&full, "name:ada", false),
        ] {
            assert_eq!(may_hold(form, key), want, "{} {key}", form.id);
        }
    }

    #[test]
    fn names_match_across_the_name_fields_only() {
        let values = FieldMap::from([
            ("given".to_owned(), FieldValue::Text("Ada".into())),
            (
                "family_name".to_owned(),
                FieldValue::Text("Lovelace".into()),
            ),
            (
                "company".to_owned(),
                FieldValue::Text("Analytical Engines".into()),
            ),
        ]);
        for (name, want) in [
            ("ada", true),
            ("ada lovelace", true),
            ("love", true),
            ("engines", false),
            ("grace", false),
            ("", false),
        ] {
            assert_eq!(name_matches(&spec(), &values, name), want, "{name}");
        }
    }

    #[test]
    fn malformed_filters_are_refused_by_name() {
        let long = format!("tier={}", "t".repeat(65));
        let long_q = format!("q={}", "a".repeat(257));
        for (query, name) in [
            ("status=open", "status"),
            ("status=", "status"),
            ("tier=", "tier"),
            (long.as_str(), "tier"),
            ("grade=", "grade"),
            ("waiting=yes", "waiting"),
            ("route=", "route"),
            ("from=yesterday", "from"),
            ("to=2026-13-01", "to"),
            ("from=2026-12-02&to=2026-12-01", "to"),
            ("q=ada%40", "q"),
            ("q=%2B1%20000%20000", "q"),
            (long_q.as_str(), "q"),
        ] {
            assert_eq!(
                LeadFilter::from_query(query, &[&spec()]),
                Err(EdgeError::BadQuery(name)),
                "{query}"
            );
        }
    }
}
