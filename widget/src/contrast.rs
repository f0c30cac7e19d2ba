//! Legibility guard: after the form mounts, the colours an owner's theme
//! produced (CSS custom properties such as `--lf-text`, `--lf-bg`,
//! `--lf-accent`) are read back from the computed style and checked against
//! WCAG 2.2's 4.5:1 contrast minimum for normal text. A pair that fails is
//! replaced by the widget's defaults (`data-contrast` on `.lf`, see
//! `widget.css`), so consent text and errors are never faint.
//!
//! The colour maths is pure and unit-tested; only [`enforce`] touches the DOM.
//! This module must not change colours that pass.

use wasm_bindgen::JsCast;

/// WCAG 2.2 SC 1.4.3 minimum for normal-size text.
pub const MIN_RATIO: f64 = 4.5;

/// An sRGB colour with alpha in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: f64,
}

/// The unsigned decimal (`27`, `0.5`, `.5`) at the start of `bytes`, with
/// the number of bytes it takes; `None` when no digit starts there. Computed
/// colours hold only such numbers, so a few lines do, the same natively and
/// in the wasm (core's float parser would bring about 17 KB of tables).
fn leading_decimal(bytes: &[u8]) -> Option<(f64, usize)> {
    let (mut value, mut scale, mut used, mut digits) = (0.0, 1.0, 0, 0);
    let mut fraction = false;
    for &byte in bytes {
        match byte {
            b'0'..=b'9' => {
                let digit = f64::from(byte - b'0');
                if fraction {
                    scale /= 10.0;
                    value += digit * scale;
                } else {
                    value = value * 10.0 + digit;
                }
                digits += 1;
            }
            b'.' if !fraction => fraction = true,
            _ => break,
        }
        used += 1;
    }
    (digits > 0).then_some((value, used))
}

/// `base` to the power `exponent`: `Math.pow` in the wasm build (no libm
/// copy in the widget), `f64::powf` natively.
fn pow(base: f64, exponent: f64) -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Math::pow(base, exponent);
    #[cfg(not(target_arch = "wasm32"))]
    base.powf(exponent)
}

/// Parses a computed colour: `rgb(r, g, b)` or `rgba(r, g, b, a)` (the forms
/// `getComputedStyle` returns, comma or space separated, `/` before alpha,
/// alpha as a number or a percentage).
pub fn parse_computed(text: &str) -> Option<Rgba> {
    let text = text.trim();
    let inner = text
        .strip_prefix("rgba(")
        .or_else(|| text.strip_prefix("rgb("))?
        .strip_suffix(')')?;
    let bytes = inner.as_bytes();
    let (mut numbers, mut count, mut at) = ([0.0; 4], 0, 0);
    while at < bytes.len() {
        if matches!(bytes[at], b',' | b' ' | b'/') {
            at += 1;
            continue;
        }
        let (mut value, used) = leading_decimal(&bytes[at..])?;
        at += used;
        if bytes.get(at) == Some(&b'%') {
            // Only alpha may be a percentage.
            if count != 3 {
                return None;
            }
            value /= 100.0;
            at += 1;
        }
        *numbers.get_mut(count)? = value;
        count += 1;
    }
    let channel = |value: f64| (value <= 255.0).then(|| value.round() as u8);
    let a = if count == 4 { numbers[3] } else { 1.0 };
    if count < 3 || a > 1.0 {
        return None;
    }
    Some(Rgba {
        r: channel(numbers[0])?,
        g: channel(numbers[1])?,
        b: channel(numbers[2])?,
        a,
    })
}

/// `top` painted over the opaque `bottom`.
pub fn over(top: Rgba, bottom: Rgba) -> Rgba {
    let mix = |t: u8, b: u8| (f64::from(t) * top.a + f64::from(b) * (1.0 - top.a)).round() as u8;
    Rgba {
        r: mix(top.r, bottom.r),
        g: mix(top.g, bottom.g),
        b: mix(top.b, bottom.b),
        a: 1.0,
    }
}

/// WCAG relative luminance of an opaque colour.
pub fn luminance(colour: Rgba) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            pow((c + 0.055) / 1.055, 2.4)
        }
    };
    0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)
}

/// WCAG contrast ratio (1..=21) of two opaque colours.
pub fn ratio(a: Rgba, b: Rgba) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

fn computed(window: &web_sys::Window, element: &web_sys::Element, property: &str) -> Option<Rgba> {
    let style = window.get_computed_style(element).ok()??;
    parse_computed(&style.get_property_value(property).ok()?)
}

/// The opaque colour behind `element`: its own background, or its
/// ancestors' (across the shadow boundary), over white.
fn backdrop(window: &web_sys::Window, element: &web_sys::Element) -> Rgba {
    let white = Rgba {
        r: 255,
        g: 255,
        b: 255,
        a: 1.0,
    };
    let mut layers = Vec::new();
    let mut current = Some(element.clone());
    while let Some(node) = current {
        if let Some(colour) = computed(window, &node, "background-color") {
            if colour.a > 0.0 {
                layers.push(colour);
                if colour.a >= 1.0 {
                    break;
                }
            }
        }
        current = node.parent_element().or_else(|| {
            node.get_root_node()
                .dyn_into::<web_sys::ShadowRoot>()
                .ok()
                .map(|root| root.host())
        });
    }
    layers
        .into_iter()
        .rev()
        .fold(white, |below, layer| over(layer, below))
}

/// Checks the mounted form's text and button colours; marks `.lf` with
/// `data-contrast="text"` and/or `"accent"` tokens for each pair below
/// [`MIN_RATIO`], which `widget.css` answers with the default colours.
pub fn enforce(container: &web_sys::HtmlElement) {
    let window = crate::platform::window();
    let Ok(Some(form)) = container.query_selector(".lf") else {
        return;
    };
    let background = backdrop(&window, &form);
    let text_fails = computed(&window, &form, "color")
        .is_some_and(|text| ratio(over(text, background), background) < MIN_RATIO);
    let accent_fails = match form.query_selector(".lf-primary") {
        Ok(Some(button)) => {
            let button_background = backdrop(&window, &button);
            computed(&window, &button, "color").is_some_and(|label| {
                ratio(over(label, button_background), button_background) < MIN_RATIO
            })
        }
        _ => false,
    };
    let tokens = match (text_fails, accent_fails) {
        (true, true) => "text accent",
        (true, false) => "text",
        (false, true) => "accent",
        (false, false) => return,
    };
    let _ = form.set_attribute("data-contrast", tokens);
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgba = Rgba {
        r: 255,
        g: 255,
        b: 255,
        a: 1.0,
    };
    const BLACK: Rgba = Rgba {
        r: 0,
        g: 0,
        b: 0,
        a: 1.0,
    };

    #[test]
    fn parses_computed_colours() {
        let cases = [
            ("rgb(11, 87, 208)", Some((11, 87, 208, 1.0))),
            ("rgba(0, 0, 0, 0)", Some((0, 0, 0, 0.0))),
            ("rgba(255, 255, 255, 0.5)", Some((255, 255, 255, 0.5))),
            ("rgb(10 20 30 / 25%)", Some((10, 20, 30, 0.25))),
            ("transparent", None),
            ("rgb(300, 0, 0)", None),
            ("rgb(1, 2)", None),
            ("rgba(1, 2, 3, 4)", None),
            ("color(srgb 1 0 0)", None),
            ("rgb(.5, 0.25, 254.5)", Some((1, 0, 255, 1.0))),
            ("rgb(10%, 0, 0)", None),
            ("rgb(-1, 0, 0)", None),
            ("rgb(1e2, 0, 0)", None),
            ("rgb(1, 2, 3, 0.5, 1)", None),
            ("rgb()", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_computed(text).map(|c| (c.r, c.g, c.b, c.a));
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn wcag_ratios() {
        assert!((ratio(BLACK, WHITE) - 21.0).abs() < 1e-9);
        assert!((ratio(WHITE, WHITE) - 1.0).abs() < 1e-9);
        // The widget's defaults pass: text #1b1b1f and accent #0b57d0 on white.
        let text = parse_computed("rgb(27, 27, 31)").unwrap();
        let accent = parse_computed("rgb(11, 87, 208)").unwrap();
        assert!(ratio(text, WHITE) >= MIN_RATIO);
        assert!(ratio(WHITE, accent) >= MIN_RATIO);
        // "Tiny grey text": #aaa on white is 2.3:1 and must be fixed.
        let grey = parse_computed("rgb(170, 170, 170)").unwrap();
        assert!(ratio(grey, WHITE) < MIN_RATIO);
        // Half-transparent black over white is mid grey.
        let half = over(Rgba { a: 0.5, ..BLACK }, WHITE);
        assert_eq!((half.r, half.g, half.b), (128, 128, 128));
    }
}
