//! The demo's landing pages: one page of `examples/landing-page/` per example
//! form, served on loopback by `cargo xtask demo` with the Worker's origin
//! written into each page's script tag.
//!
//! Std only, one request per connection, `GET`/`HEAD` of a listed path (query
//! strings ignored, as UTM links carry them). It serves these pages and
//! nothing else: no directory listing, no file read per request.

use std::net::TcpListener;
use std::path::Path;

use crate::{Result, XtaskError};

/// One landing page: where it is served, its file, the form it embeds.
pub struct Page {
    pub path: &'static str,
    pub file: &'static str,
    pub form: &'static str,
    /// What the page shows, for the demo's printed list.
    pub shows: &'static str,
}

/// Every page the demo serves; `examples/forms/` declares the forms.
pub const PAGES: &[Page] = &[
    Page {
        path: "/",
        file: "index.html",
        form: "home-quote",
        shows: "home-services quote",
    },
    Page {
        path: "/b2b.html",
        file: "b2b.html",
        form: "b2b-demo",
        shows: "B2B demo request: submit, then reload for progressive profiling",
    },
    Page {
        path: "/newsletter.html",
        file: "newsletter.html",
        form: "newsletter",
        shows: "newsletter sign-up",
    },
];

/// The placeholder each page's script tag holds for the Worker's origin.
const ORIGIN_PLACEHOLDER: &str = "__LEADFORM_ORIGIN__";

/// The pages, read once and ready to serve.
pub struct Site {
    /// The HTML of each of [`PAGES`], in the same order.
    html: Vec<String>,
}

impl Site {
    /// Reads every page from `dir`, puts `worker_origin` into its script tag
    /// and checks that it embeds its form and links to the other pages.
    pub fn load(dir: &Path, worker_origin: &str) -> Result<Site> {
        let mut html = Vec::with_capacity(PAGES.len());
        for page in PAGES {
            let file = dir.join(page.file);
            let text = std::fs::read_to_string(&file)
                .map_err(|e| XtaskError::Io(format!("reading {}", file.display()), e))?;
            if let Some(problem) = check(page, &text) {
                return Err(XtaskError::Io(
                    file.display().to_string(),
                    std::io::Error::other(problem),
                ));
            }
            html.push(text.replace(ORIGIN_PLACEHOLDER, worker_origin));
        }
        Ok(Site { html })
    }

    /// The answer to a request (`GET`, `/b2b.html?utm_source=x`): status
    /// and HTML body.
    fn answer(&self, method: &str, target: &str) -> (u16, &str) {
        if method != "GET" && method != "HEAD" {
            return (405, "<!doctype html><title>Method not allowed</title>");
        }
        let path = target.split(['?', '#']).next().unwrap_or(target);
        let path = if path == "/index.html" { "/" } else { path };
        match PAGES.iter().position(|page| page.path == path) {
            Some(index) => (200, &self.html[index]),
            None => (404, NOT_FOUND),
        }
    }
}

const NOT_FOUND: &str = "<!doctype html><title>Not found</title><p>The demo pages are \
<a href=\"/\">/</a>, <a href=\"/b2b.html\">/b2b.html</a> and \
<a href=\"/newsletter.html\">/newsletter.html</a>.</p>";

/// What is wrong with `text` as `page`'s HTML; `None` when it will work.
fn check(page: &Page, text: &str) -> Option<String> {
    let script = format!(
        "<script src=\"{ORIGIN_PLACEHOLDER}/v1/leadform.js\" data-form=\"{}\"",
        page.form
    );
    if !text.contains(&script) {
        return Some(format!("has no `{script} …>` tag"));
    }
    if text.matches("<script").count() != 1 {
        return Some("must hold exactly one script tag, Leadform's".to_owned());
    }
    PAGES
        .iter()
        .filter(|other| other.path != page.path)
        .find(|other| !text.contains(&format!("href=\"{}\"", other.path)))
        .map(|other| format!("does not link to {}", other.path))
}

/// Serves `site` on `listener` until the process exits (`tiny_http`; it
/// answers malformed requests itself, and HEAD without a body).
pub fn serve(listener: TcpListener, site: Site) {
    let server = match tiny_http::Server::from_listener(listener, None) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("[xtask] the demo pages cannot be served: {error}");
            return;
        }
    };
    for request in server.incoming_requests() {
        let (status, body) = site.answer(request.method().as_str(), request.url());
        let mut response = tiny_http::Response::from_string(body)
            .with_status_code(status)
            // Always `Content-Length`, never chunked.
            .with_chunked_threshold(usize::MAX);
        for (name, value) in [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
        ] {
            if let Ok(header) = tiny_http::Header::from_bytes(name, value) {
                response.add_header(header);
            }
        }
        let _ = request.respond(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        let dir = crate::repo_root().join("examples/landing-page");
        match Site::load(&dir, "http://127.0.0.1:8787") {
            Ok(site) => site,
            Err(error) => panic!("the example pages load: {error}"),
        }
    }

    #[test]
    fn each_path_gets_its_page() {
        let site = site();
        // (method, target, status, form the page embeds or "")
        let cases = [
            ("GET", "/", 200, "home-quote"),
            ("GET", "/index.html", 200, "home-quote"),
            ("GET", "/?utm_source=ads&gclid=g1", 200, "home-quote"),
            ("HEAD", "/", 200, "home-quote"),
            ("GET", "/b2b.html", 200, "b2b-demo"),
            ("GET", "/b2b.html?utm_campaign=q3", 200, "b2b-demo"),
            ("GET", "/newsletter.html", 200, "newsletter"),
            ("GET", "/newsletter", 404, ""),
            ("GET", "/favicon.ico", 404, ""),
            ("GET", "/../Cargo.toml", 404, ""),
            ("POST", "/", 405, ""),
        ];
        for (method, target, status, form) in cases {
            let line = format!("{method} {target}");
            let (got, body) = site.answer(method, target);
            assert_eq!(got, status, "{line:?}");
            if !form.is_empty() {
                let tag = format!(
                    "<script src=\"http://127.0.0.1:8787/v1/leadform.js\" data-form=\"{form}\""
                );
                assert!(body.contains(&tag), "{line:?} serves the {form} page");
                assert!(!body.contains(ORIGIN_PLACEHOLDER), "{line:?}");
            }
        }
    }

    #[test]
    fn served_over_loopback() {
        use std::io::{Read, Write};
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a free loopback port");
        let address = listener.local_addr().expect("bound address");
        let site = site();
        // The server thread ends with the test process.
        std::thread::spawn(move || serve(listener, site));
        let get = |request: &str| {
            let mut stream = std::net::TcpStream::connect(address).expect("connect");
            stream.write_all(request.as_bytes()).expect("send");
            let mut response = String::new();
            stream.read_to_string(&mut response).expect("read");
            response
        };
        for page in PAGES {
            let response = get(&format!(
                "GET {}?utm_source=demo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                page.path
            ));
            assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
            assert!(response.contains(&format!("data-form=\"{}\"", page.form)));
            let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
            assert!(head.contains(&format!("Content-Length: {}", body.len())));
        }
        let head = get("HEAD /b2b.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
        assert!(
            get("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .starts_with("HTTP/1.1 404 Not Found\r\n")
        );
    }

    #[test]
    fn the_b2b_page_says_what_a_second_visit_shows() {
        let site = site();
        let (_, body) = site.answer("GET", "/b2b.html");
        assert!(body.contains("same browser"), "{body}");
        assert!(body.contains("next stage"), "{body}");
    }

    #[test]
    fn a_page_that_would_not_work_is_refused() {
        let home = &PAGES[0];
        let good = "<script src=\"__LEADFORM_ORIGIN__/v1/leadform.js\" data-form=\"home-quote\" async></script>\
            <a href=\"/b2b.html\">B2B</a><a href=\"/newsletter.html\">News</a>";
        assert_eq!(check(home, good), None);
        let cases = [
            (good.replace("home-quote", "newsletter"), "has no"),
            (good.replace("__LEADFORM_ORIGIN__", "http://x"), "has no"),
            (
                format!("{good}<script>alert(1)</script>"),
                "exactly one script",
            ),
            (
                good.replace("href=\"/newsletter.html\"", "href=\"#\""),
                "/newsletter.html",
            ),
        ];
        for (text, expected) in cases {
            let problem = check(home, &text).unwrap_or_default();
            assert!(problem.contains(expected), "{text:?}: {problem:?}");
        }
    }
}
