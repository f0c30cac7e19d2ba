/*! Leadform loader. Paste on any page:
 *   <script src="https://<worker>/v1/leadform.js" data-form="contact" async></script>
 * Optional: data-target="#css-selector" (mount inside that element instead of
 * right after the tag), data-lang="es", data-theme="dark".
 *
 * What it does: finds its own <script> tag(s), starts loading the widget
 * (./leadform_widget.js + ./leadform_widget_bg.wasm, relative to this file,
 * both at once),
 * the form spec (<same origin>/v1/forms/{id}) and, for a language other than
 * English, the catalog of built-in texts (<same origin>/v1/i18n/{lang}; the
 * widget has English built in and falls back to it) in parallel, and mounts
 * each form in its own shadow root. The wasm module is loaded once per page however many
 * forms there are. No eval, no new Function, no inline styles or scripts.
 *
 * Content-Security-Policy the page needs (replace the origin):
 *   script-src https://<worker> 'wasm-unsafe-eval';
 *   connect-src https://<worker>;
 * plus, only when a form enables Turnstile:
 *   script-src https://challenges.cloudflare.com; frame-src https://challenges.cloudflare.com;
 * Styles are a constructed stylesheet adopted by each shadow root, which
 * style-src does not restrict; browsers without constructable stylesheets get
 * a <style> element instead (then style-src needs 'unsafe-inline').
 */
(function () {
  "use strict";
  var doc = document;
  var win = window;
  var MARK = "data-leadform-mounted";
  var TURNSTILE = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
  var shared = win.__leadform || (win.__leadform = { boot: {}, forms: [], turnstile: null });

  function loaderUrl(script) {
    return script.src || (doc.currentScript && doc.currentScript.src) || "";
  }

  // The widget (glue + wasm) is loaded once per loader URL and shared by
  // every form on the page. The wasm download starts at once, beside the
  // glue's (not after it), so the cold path is one round trip shorter; the
  // glue's init takes the pending response.
  function boot(base) {
    if (!shared.boot[base]) {
      var wasm = fetch(new URL("leadform_widget_bg.wasm", base).href);
      shared.boot[base] = import(new URL("leadform_widget.js", base).href).then(function (glue) {
        return glue.default({ module_or_path: wasm }).then(function () {
          return glue;
        });
      });
    }
    return shared.boot[base];
  }

  function loadTurnstile() {
    if (!shared.turnstile) {
      shared.turnstile = new Promise(function (resolve, reject) {
        if (win.turnstile) return resolve(win.turnstile);
        var s = doc.createElement("script");
        s.src = TURNSTILE;
        s.async = true;
        s.onload = function () {
          win.turnstile ? resolve(win.turnstile) : reject(new Error("turnstile missing"));
        };
        s.onerror = function () {
          reject(new Error("turnstile failed to load"));
        };
        doc.head.appendChild(s);
      });
    }
    return shared.turnstile;
  }

  // Failure path: when the widget cannot start (no WebAssembly, CSP refusal,
  // wasm fetch or instantiate error, 15 s timeout, mount error), ./basic.js
  // (fetched only then) names the cause in the console, reports it to the
  // edge (mount_failed beacon) and renders the basic form from the same spec.
  function guard(base) {
    return typeof WebAssembly == "object"
      ? Promise.race([
          boot(base).catch(function (error) {
            throw { error: error };
          }),
          new Promise(function (_, late) {
            setTimeout(late, 15e3, { cause: "timeout" });
          })
        ])
      : Promise.reject({ cause: "no_webassembly" });
  }

  function fail(failure, o) {
    o.failure = failure;
    import(new URL("basic.js", o.src).href)
      .then(function (basic) {
        return basic.fallback(o);
      })
      .catch(function (error) {
        if (win.console) console.error("[leadform] form '" + o.form + "' could not be loaded:", error);
        var p = doc.createElement("p");
        p.setAttribute("role", "alert");
        p.textContent = "This form could not be loaded. Please try again later.";
        o.mount.replaceChildren(p);
      });
  }

  function start(script) {
    if (script.hasAttribute(MARK)) return;
    script.setAttribute(MARK, "");
    var formId = script.getAttribute("data-form") || "";
    var src = loaderUrl(script);
    if (!formId || !src) return;
    var base = new URL("./", src).href;
    var specUrl = new URL("/v1/forms/" + encodeURIComponent(formId), src).href;
    var submitUrl = new URL("/v1/submit", src).href;
    var lang = script.getAttribute("data-lang") || doc.documentElement.lang || navigator.language || "";
    var theme = script.getAttribute("data-theme") || "";

    var host = doc.createElement("div");
    host.className = "leadform";
    host.setAttribute("data-form", formId);
    var selector = script.getAttribute("data-target");
    var target = selector ? doc.querySelector(selector) : null;
    if (target) target.appendChild(host);
    else script.parentNode.insertBefore(host, script.nextSibling);
    var root = host.attachShadow({ mode: "open" });
    var mountPoint = doc.createElement("div");
    root.appendChild(mountPoint);

    // Spec and widget load in parallel.
    var spec = fetch(specUrl, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("GET " + specUrl + " answered " + r.status);
      return r.text();
    });
    // The primary subtag: "es" for "es-MX". English needs no catalog; a
    // language the edge has no catalog for (404) or a failed fetch shows the
    // form in English rather than not at all.
    var primary = lang.split(/[-_]/)[0].trim().toLowerCase();
    var catalog =
      primary && primary !== "en"
        ? fetch(new URL("/v1/i18n/" + encodeURIComponent(primary), src).href, { credentials: "omit" })
            .then(function (r) {
              return r.ok ? r.text() : "";
            })
            .catch(function () {
              return "";
            })
        : "";
    Promise.all([guard(base), spec, catalog])
      .then(function (loaded) {
        var glue = loaded[0];
        var specJson = loaded[1];
        // The form's number on the page, for the widget's other exports.
        var number = glue.mount(mountPoint, specJson, submitUrl, loaded[2], theme);
        var entry = { id: formId, host: host, number: number };
        shared.forms.push(entry);
        var siteKey = (JSON.parse(specJson).anti_spam || {}).turnstile_site_key;
        if (siteKey) {
          // Turnstile renders in light DOM, slotted into the form.
          var slot = doc.createElement("div");
          slot.setAttribute("slot", "turnstile");
          host.appendChild(slot);
          loadTurnstile().then(
            function (ts) {
              ts.render(slot, {
                sitekey: siteKey,
                language: lang || "auto",
                callback: function (token) {
                  glue.setTurnstileToken(number, token);
                },
                "expired-callback": function () {
                  glue.setTurnstileToken(number, undefined);
                },
                "error-callback": function () {
                  glue.setTurnstileToken(number, undefined);
                }
              });
            },
            function (error) {
              if (win.console) console.error("[leadform]", error);
            }
          );
        }
        host.dispatchEvent(new CustomEvent("leadform:ready", { bubbles: true, detail: { form: formId } }));
      })
      .catch(function (error) {
        fail(error, { root: root, mount: mountPoint, host: host, form: formId, src: src, lang: lang, theme: theme, turnstile: loadTurnstile });
      });
  }

  // This execution's own tag first, then any other Leadform tag from the same
  // loader URL that has not been handled (async tags may run in any order).
  var current = doc.currentScript;
  if (current && current.hasAttribute("data-form")) start(current);
  var tags = doc.querySelectorAll("script[data-form]");
  for (var i = 0; i < tags.length; i++) {
    var tag = tags[i];
    if (current ? tag.src === current.src : /\/leadform\.js(\?|$)/.test(tag.src)) start(tag);
  }
})();
