//! Embeds `src/widget.css` in the wasm without its comments: they document the
//! theming contract for maintainers, and visitors need not download them
//! (about 320 bytes gzip). Lines are trimmed and blank lines dropped; nothing
//! else is rewritten, so the shipped rules are the source rules.

use std::path::PathBuf;

fn main() {
    let source = "src/widget.css";
    println!("cargo:rerun-if-changed={source}");
    let css = std::fs::read_to_string(source)
        .unwrap_or_else(|error| panic!("cannot read {source}: {error}"));
    let stripped = strip_comments(&css).unwrap_or_else(|problem| panic!("{source}: {problem}"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out_dir.join("widget.css");
    std::fs::write(&target, stripped)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
}

/// `css` without `/* … */` comments, each line trimmed, blank lines dropped.
/// Refuses a `/*` inside a quoted string and an unterminated comment, the only
/// ways this simple scan could cut a rule.
fn strip_comments(css: &str) -> Result<String, String> {
    let mut kept = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        kept.push_str(&rest[..start]);
        let open_quote = ['"', '\'']
            .iter()
            .any(|&q| kept.matches(q).count() % 2 == 1);
        if open_quote {
            return Err("`/*` inside a quoted string: use an escape (\\2f\\2a)".to_owned());
        }
        let Some(length) = rest[start + 2..].find("*/") else {
            return Err("unterminated /* comment".to_owned());
        };
        rest = &rest[start + 2 + length + 2..];
    }
    kept.push_str(rest);
    let lines: Vec<&str> = kept
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    Ok(lines.join("\n"))
}
