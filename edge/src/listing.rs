//! What an owner's page of leads is narrowed to beside its form, time and
//! cursor: the lead's tier, grade and latest status (`new`: none reported
//! yet), and `waiting` (not contacted yet and not erased: the speed-to-lead
//! list), read from the query and turned into SQL conditions on the leads
//! columns of migration 0009.
//!
//! Pure: the platform binds the values it returns. This module must not
//! build SQL from input text: column names and operators are its own
//! constants, input only ever becomes a bound value.

use crate::routes::query_param;
use crate::status::LeadStatus;
use crate::EdgeError;

/// The filters of `GET /v1/leads` (`tier=`, `grade=`, `status=`, `waiting=true`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub tier: Option<String>,
    pub grade: Option<String>,
    /// `Some(None)`: leads without a status yet (`status=new`).
    pub status: Option<Option<LeadStatus>>,
    pub waiting: bool,
}

/// Longest tier or grade a filter accepts (spec ids are short).
const MAX_VALUE_LEN: usize = 64;

impl LeadFilter {
    /// Reads the filters; an unknown status, an empty or overlong tier or
    /// grade, or `waiting` other than `true`/`false` is refused by name.
    pub fn from_query(query: &str) -> Result<LeadFilter, EdgeError> {
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
        Ok(LeadFilter {
            tier: short("tier")?,
            grade: short("grade")?,
            status,
            waiting,
        })
    }

    /// ` AND ...` conditions on the leads table, their `?N` placeholders
    /// numbered from `first`, and the values to bind to them, in order.
    pub fn sql(&self, first: usize) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        let mut equal = |column: &str, value: &str| {
            sql.push_str(&format!(" AND {column} = ?{}", first + values.len()));
            values.push(value.to_owned());
        };
        if let Some(tier) = &self.tier {
            equal("tier", tier);
        }
        if let Some(grade) = &self.grade {
            equal("grade", grade);
        }
        if let Some(Some(status)) = self.status {
            equal("status", status.as_str());
        }
        if self.status == Some(None) {
            sql.push_str(" AND status IS NULL");
        }
        if self.waiting {
            sql.push_str(" AND first_contact_at_ms IS NULL AND erased_at IS NULL");
        }
        (sql, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_from_the_query_to_sql() {
        // query, the conditions, the bound values
        let cases: [(&str, &str, &[&str]); 7] = [
            ("form=f", "", &[]),
            ("form=f&tier=hot", " AND tier = ?6", &["hot"]),
            (
                "tier=hot&grade=A&status=won",
                " AND tier = ?6 AND grade = ?7 AND status = ?8",
                &["hot", "A", "won"],
            ),
            ("status=new", " AND status IS NULL", &[]),
            (
                "waiting=true&tier=warm",
                " AND tier = ?6 AND first_contact_at_ms IS NULL AND erased_at IS NULL",
                &["warm"],
            ),
            ("waiting=false", "", &[]),
            // Input is only ever a bound value.
            ("tier=x%27%20OR%201%3D1", " AND tier = ?6", &["x' OR 1=1"]),
        ];
        for (query, sql, values) in cases {
            let filter = LeadFilter::from_query(query).expect(query);
            let (got_sql, got_values) = filter.sql(6);
            assert_eq!(got_sql, sql, "{query}");
            assert_eq!(got_values, values, "{query}");
        }
    }

    #[test]
    fn malformed_filters_are_refused_by_name() {
        let long = format!("tier={}", "t".repeat(65));
        for (query, name) in [
            ("status=open", "status"),
            ("status=", "status"),
            ("tier=", "tier"),
            (long.as_str(), "tier"),
            ("grade=", "grade"),
            ("waiting=yes", "waiting"),
        ] {
            assert_eq!(
                LeadFilter::from_query(query),
                Err(EdgeError::BadQuery(name)),
                "{query}"
            );
        }
    }
}
