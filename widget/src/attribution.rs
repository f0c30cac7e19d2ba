//! Marketing attribution: UTM parameters, click ids, referrer and landing URL
//! of this visit, plus the first touch kept in the visitor's browser.
//!
//! [`touch_from`] is pure (query pairs in, [`Touch`] out, values cut to the
//! envelope's limits at a character boundary so the edge never refuses a lead
//! over a long campaign name). It must not read values of form fields.

use leadform_shared::envelope::{Attribution, Touch, MAX_PARAM_BYTES, MAX_URL_BYTES};

use crate::platform;

/// Storage key of the first touch (shared by every form on the site).
pub const FIRST_TOUCH_KEY: &str = "leadform:v1:first_touch";

/// Builds this visit's touch from the page's query parameters (`param`
/// gives the first value of one), referrer and URL. Blank values count as
/// absent.
pub fn touch_from(
    param: &dyn Fn(&str) -> Option<String>,
    referrer: Option<String>,
    landing_url: &str,
    now_ms: u64,
) -> Touch {
    let param = |name: &str| {
        param(name)
            .filter(|value| !value.trim().is_empty())
            .map(|value| cut(value.trim(), MAX_PARAM_BYTES))
    };
    Touch {
        utm_source: param("utm_source"),
        utm_medium: param("utm_medium"),
        utm_campaign: param("utm_campaign"),
        utm_term: param("utm_term"),
        utm_content: param("utm_content"),
        gclid: param("gclid"),
        fbclid: param("fbclid"),
        referrer: referrer.map(|r| cut(&r, MAX_URL_BYTES)),
        landing_url: (!landing_url.is_empty()).then(|| cut(landing_url, MAX_URL_BYTES)),
        hubspot_utk: None,
        captured_at_ms: Some(now_ms),
        variant: None,
    }
}

/// The value of cookie `name` in a `document.cookie` string.
pub fn cookie_value(cookies: &str, name: &str) -> Option<String> {
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| cut(value, MAX_PARAM_BYTES))
}

/// The longest prefix of `value` that fits in `max` bytes.
pub fn cut(value: &str, max: usize) -> String {
    if value.len() <= max {
        return value.to_owned();
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value[..end].to_owned()
}

/// This visit's attribution; stores it as the first touch when none is kept.
pub fn capture(now_ms: u64) -> Attribution {
    let mut current = touch_from(
        &platform::query_param,
        platform::referrer(),
        &platform::page_url(),
        now_ms,
    );
    // HubSpot's visitor cookie, so HubSpot can tie the lead to its analytics.
    current.hubspot_utk = platform::cookies().and_then(|c| cookie_value(&c, "hubspotutk"));
    let first_touch = platform::load(FIRST_TOUCH_KEY).and_then(|text| platform::from_json(&text));
    let first_touch = match first_touch {
        Some(first) => first,
        None => {
            if let Some(json) = platform::to_json(&current) {
                platform::save(FIRST_TOUCH_KEY, &json);
            }
            current.clone()
        }
    };
    Attribution {
        current,
        first_touch: Some(first_touch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first value of each name among `list`'s pairs (as URLSearchParams).
    fn pairs<'a>(list: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            list.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn reads_utm_and_click_ids() {
        let touch = touch_from(
            &pairs(&[
                ("utm_source", "news"),
                ("utm_medium", " email "),
                ("utm_campaign", ""),
                ("utm_term", " "),
                ("utm_term", "second"),
                ("utm_content", "first"),
                ("utm_content", "second"),
                ("gclid", "abc"),
                ("fbclid", "fb1"),
                ("other", "x"),
            ]),
            Some("https://ref.example/".into()),
            "https://site.example/?utm_source=news",
            42,
        );
        assert_eq!(touch.utm_source.as_deref(), Some("news"));
        assert_eq!(touch.utm_medium.as_deref(), Some("email"));
        assert_eq!(touch.utm_campaign, None);
        assert_eq!(touch.utm_term, None, "the first value is blank");
        assert_eq!(touch.utm_content.as_deref(), Some("first"));
        assert_eq!(touch.gclid.as_deref(), Some("abc"));
        assert_eq!(touch.fbclid.as_deref(), Some("fb1"));
        assert_eq!(touch.referrer.as_deref(), Some("https://ref.example/"));
        assert_eq!(touch.captured_at_ms, Some(42));
    }

    #[test]
    fn reads_the_hubspot_cookie() {
        let cookies = "a=1; hubspotutk=6a3f0c2b9d8e7f10; b=";
        assert_eq!(
            cookie_value(cookies, "hubspotutk").as_deref(),
            Some("6a3f0c2b9d8e7f10")
        );
        assert_eq!(cookie_value(cookies, "b"), None);
        assert_eq!(cookie_value("", "hubspotutk"), None);
        assert_eq!(cookie_value("xhubspotutk=1", "hubspotutk"), None);
    }

    #[test]
    fn cuts_at_char_boundary() {
        let long = "é".repeat(600); // 1200 bytes
        let touch = touch_from(&pairs(&[("utm_term", &long)]), None, "", 0);
        let term = touch.utm_term.unwrap_or_default();
        assert!(term.len() <= MAX_PARAM_BYTES && term.len() >= MAX_PARAM_BYTES - 1);
        assert!(term.chars().all(|c| c == 'é'));
        assert_eq!(touch.landing_url, None);
    }
}
