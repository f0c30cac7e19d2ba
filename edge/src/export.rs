//! A lead's values as they leave the Worker in the webhook body and the
//! owner's JSON and CSV exports: the stored (sealed) values, with each phone
//! field split into its E.164 number and a sibling `<id>_extension`.
//!
//! The stored record keeps a phone field as one text, `+14155552671` or
//! `+14155552671;ext=123` (see `leadform_shared::phone`); receivers and
//! spreadsheets get `phone = "+14155552671"` and `phone_extension = "123"`
//! instead, so the phone column or key always holds a number they can dial
//! or match, and a value without an extension looks exactly as it did
//! before extensions were accepted. The spec refuses a field whose id is
//! another phone field's `<id>_extension`, so the sibling never overwrites a
//! field. CRM payloads split the same way in [`crate::crm`]. This module only
//! rearranges values; it neither validates nor formats cells.

use leadform_shared::phone::{extension_key, PhoneNumber};
use leadform_shared::{FieldKind, FieldMap, FieldValue, FormSpec};

/// The split of `value` when `id` is a phone field of `spec` holding a
/// normalised phone value; `None` for anything else (which then travels as
/// stored).
pub fn phone_parts(spec: &FormSpec, id: &str, value: &FieldValue) -> Option<PhoneNumber> {
    let field = spec.field(id)?;
    match (field.kind, value) {
        (FieldKind::Phone, FieldValue::Text(text)) => PhoneNumber::parse_normalised(text),
        _ => None,
    }
}

/// The values as payloads and exports carry them: phone fields as E.164,
/// each extension under `<id>_extension` (absent without one, as an empty
/// optional field is absent); every other value as stored.
pub fn payload_values(spec: &FormSpec, values: &FieldMap<FieldValue>) -> FieldMap<FieldValue> {
    let mut out = FieldMap::new();
    for (id, value) in values {
        match phone_parts(spec, id, value) {
            Some(number) => {
                out.insert(id.clone(), FieldValue::Text(number.e164().to_owned()));
                if let Some(extension) = number.extension() {
                    out.insert(extension_key(id), FieldValue::Text(extension.to_owned()));
                }
            }
            None => {
                out.insert(id.clone(), value.clone());
            }
        }
    }
    out
}

/// The export's value columns, in spec order: every field id, and right after
/// each phone field its `<id>_extension` column (always there, empty when the
/// visitor gave no extension, so every export of a form has the same header).
pub fn export_columns(spec: &FormSpec) -> Vec<String> {
    let mut columns = Vec::with_capacity(spec.fields.len() + 1);
    for field in &spec.fields {
        columns.push(field.id.clone());
        if field.kind == FieldKind::Phone {
            columns.push(extension_key(&field.id));
        }
    }
    columns
}

/// The sale columns of an export, after the status columns: the lead's
/// revenue (accepted posts less returns, in cents), the buyers it was sold
/// to (`;`-separated, a returned sale as `buyer (returned)`) and how many
/// sales it had. Empty for a lead never sold.
pub const SALE_COLUMNS: [&str; 3] = ["revenue_cents", "sold_to", "sale_count"];

/// The [`SALE_COLUMNS`] cells of a lead's sales.
pub fn sale_cells(sales: &[crate::distribution::SaleRow]) -> [String; 3] {
    if sales.is_empty() {
        return [String::new(), String::new(), String::new()];
    }
    let sold_to: Vec<String> = sales
        .iter()
        .map(|s| match s.returned_at_ms {
            Some(_) => format!("{} (returned)", s.buyer),
            None => s.buyer.clone(),
        })
        .collect();
    [
        crate::distribution::revenue_cents(sales).to_string(),
        sold_to.join(";"),
        sales.len().to_string(),
    ]
}

/// The sale of a lead as the JSON export carries it: the same three
/// figures.
pub fn sale_json(sales: &[crate::distribution::SaleRow]) -> serde_json::Value {
    if sales.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::json!({
        "revenue_cents": crate::distribution::revenue_cents(sales),
        "sold_to": sales.iter().map(|s| serde_json::json!({
            "buyer": s.buyer,
            "price_cents": s.price_cents,
            "returned": s.returned_at_ms.is_some(),
        })).collect::<Vec<_>>(),
        "sale_count": sales.len(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::record::tests::sample_lead;
    use crate::record::LeadRecord;

    /// A form with two phone fields, and a lead whose `phone` has an
    /// extension and whose `mobile` has none.
    pub(crate) fn phone_lead() -> (FormSpec, LeadRecord) {
        let spec = FormSpec::parse_toml(
            r#"
id = "callback"
title = "Call me"
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
[[fields]]
id = "note"
kind = "text"
label = "Note"
"#,
        )
        .expect("test spec");
        let (_, mut lead, _) = sample_lead();
        lead.form_id = spec.id.clone();
        lead.consents.clear();
        lead.values = FieldMap::from([
            (
                "email".to_owned(),
                FieldValue::Text("Ann@Example.com".to_owned()),
            ),
            (
                "phone".to_owned(),
                FieldValue::Text("+14155552671;ext=123".to_owned()),
            ),
            (
                "mobile".to_owned(),
                FieldValue::Text("+447700900123".to_owned()),
            ),
            // A text field holding what looks like a phone value stays as is.
            (
                "note".to_owned(),
                FieldValue::Text("+14155552671;ext=9".to_owned()),
            ),
        ]);
        (spec, lead)
    }

    #[test]
    fn phones_split_into_e164_and_a_sibling_extension() {
        let (spec, lead) = phone_lead();
        let text = |s: &str| FieldValue::Text(s.to_owned());
        assert_eq!(
            payload_values(&spec, &lead.values),
            FieldMap::from([
                ("email".to_owned(), text("Ann@Example.com")),
                ("mobile".to_owned(), text("+447700900123")),
                ("note".to_owned(), text("+14155552671;ext=9")),
                ("phone".to_owned(), text("+14155552671")),
                ("phone_extension".to_owned(), text("123")),
            ])
        );
        assert_eq!(
            export_columns(&spec),
            [
                "email",
                "phone",
                "phone_extension",
                "mobile",
                "mobile_extension",
                "note"
            ]
        );
        // Values that are not normalised phone values travel as stored.
        let odd = FieldMap::from([
            ("phone".to_owned(), text("0800 FLOWERS")),
            ("mobile".to_owned(), FieldValue::Bool(true)),
        ]);
        assert_eq!(payload_values(&spec, &odd), odd);
    }

    #[test]
    fn sale_cells_follow_returns() {
        use crate::distribution::SaleRow;
        let sale = |buyer: &str, price: u32, returned: bool| SaleRow {
            buyer: buyer.to_owned(),
            price_cents: price,
            sold_at_ms: 1,
            returned_at_ms: returned.then_some(2),
        };
        let check = |sales: Vec<SaleRow>, cells: [&str; 3]| {
            assert_eq!(sale_cells(&sales), cells.map(str::to_owned), "{sales:?}");
        };
        check(vec![], ["", "", ""]);
        check(vec![sale("sunco", 3_000, false)], ["3000", "sunco", "1"]);
        check(
            vec![sale("share-a", 1_200, true), sale("share-b", 1_000, false)],
            ["1000", "share-a (returned);share-b", "2"],
        );
        let json = sale_json(&[sale("share-a", 1_200, true)]);
        assert_eq!(json["revenue_cents"], 0);
        assert_eq!(json["sold_to"][0]["returned"], true);
        assert!(sale_json(&[]).is_null());
    }
}
