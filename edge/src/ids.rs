//! Identifiers the edge mints: lead ids and certificate ids.
//!
//! Ids are a short prefix plus 128 random bits in lower-case hex, so they are
//! unguessable (certificates are shown to auditors by id) and URL-safe. The
//! randomness comes from the caller (`getrandom`, which is `crypto.getRandomValues`
//! in workerd); this module only formats.

/// Prefix of lead ids.
pub const LEAD_PREFIX: &str = "lead_";
/// Prefix of consent certificate ids.
pub const CERTIFICATE_PREFIX: &str = "cert_";

/// Formats `prefix` + hex of 16 random bytes.
pub fn format_id(prefix: &str, random: [u8; 16]) -> String {
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for byte in random {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// A new id with fresh randomness; `None` if the platform has no randomness.
pub fn new_id(prefix: &str) -> Option<String> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random).ok()?;
    Some(format_id(prefix, random))
}

/// Whether `id` looks like an id with this prefix (cheap check before D1 lookups).
pub fn is_well_formed(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_recognises() {
        let id = format_id(LEAD_PREFIX, [0xab; 16]);
        assert_eq!(id, format!("lead_{}", "ab".repeat(16)));
        assert!(is_well_formed(LEAD_PREFIX, &id));
        assert!(!is_well_formed(CERTIFICATE_PREFIX, &id));
        assert!(!is_well_formed(LEAD_PREFIX, "lead_ABAB"));
        assert!(!is_well_formed(LEAD_PREFIX, "lead_../../etc"));
    }

    #[test]
    fn fresh_ids_differ() {
        let a = new_id(LEAD_PREFIX).unwrap();
        let b = new_id(LEAD_PREFIX).unwrap();
        assert_ne!(a, b);
        assert!(is_well_formed(LEAD_PREFIX, &a));
    }
}
