//! Countries known to the phone and postal rules, as ISO 3166-1 alpha-2 codes.
//!
//! A country is serialised as its upper-case alpha-2 code (`"US"`); parsing is
//! exact (`"us"` is refused). Only the data the rules need (the ITU calling
//! code) lives here; this module must not grow names, locale data or anything
//! else that would weigh on the widget.

use serde::{Deserialize, Serialize};

macro_rules! countries {
    ($( $variant:ident => $calling:literal ),+ $(,)?) => {
        /// A country, serialised as its upper-case alpha-2 code (`"US"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Country { $( $variant, )+ }

        impl Country {
            /// Every supported country, in declaration order.
            pub const ALL: &'static [Country] = &[ $( Country::$variant, )+ ];

            /// `"US"` for [`Country::US`].
            pub const fn as_str(self) -> &'static str {
                match self { $( Country::$variant => stringify!($variant), )+ }
            }

            /// Parses an exact upper-case alpha-2 code.
            pub fn from_alpha2(code: &str) -> Option<Country> {
                match code { $( stringify!($variant) => Some(Country::$variant), )+ _ => None }
            }

            /// The ITU calling code (`1` for the NANP countries).
            pub const fn calling_code(self) -> u16 {
                match self { $( Country::$variant => $calling, )+ }
            }
        }
    };
}

countries! {
    US => 1, CA => 1, GB => 44, DE => 49, FR => 33, ES => 34, IT => 39, NL => 31,
    BE => 32, CH => 41, AT => 43, IE => 353, AU => 61, NZ => 64, IN => 91,
    MX => 52, BR => 55, JP => 81, SE => 46, NO => 47, DK => 45, PT => 351, PL => 48,
}

/// Read by [`Country::from_alpha2`] (the derive would match every code a
/// second time, in the widget too).
impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl serde::de::Visitor<'_> for CodeVisitor {
            type Value = Country;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an upper-case ISO 3166-1 alpha-2 code of a supported country")
            }

            fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<Country, E> {
                Country::from_alpha2(code)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(code), &self))
            }
        }
        deserializer.deserialize_str(CodeVisitor)
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for &country in Country::ALL {
            assert_eq!(Country::from_alpha2(country.as_str()), Some(country));
            let json = serde_json::to_string(&country).unwrap();
            assert_eq!(json, format!("\"{country}\""));
            assert_eq!(serde_json::from_str::<Country>(&json).ok(), Some(country));
        }
        assert_eq!(Country::from_alpha2("us"), None);
        assert_eq!(Country::from_alpha2("XX"), None);
        assert_eq!(Country::from_alpha2(""), None);
        assert!(serde_json::from_str::<Country>("\"gb\"").is_err());
        assert_eq!(Country::IE.calling_code(), 353);
        assert_eq!(Country::CA.calling_code(), 1);
    }
}
