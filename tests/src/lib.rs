//! Harnesses for Leadform's integration and end-to-end tests: a real
//! `wrangler dev` (workerd), a local destination server, headless Chromium via
//! chromedriver (fantoccini), and one HTTP client. Test code only; no product crate may
//! depend on this crate.

pub mod axe;
pub mod browser;
pub mod crm;
pub mod destination;
pub mod envelope;
pub mod http;
pub mod server;
pub mod webdriver;
pub mod wrangler;
