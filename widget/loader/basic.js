/*! Leadform basic form: what the loader (leadform.js) renders when the wasm
 * widget cannot start (no WebAssembly, a Content-Security-Policy without
 * 'wasm-unsafe-eval', the wasm not downloadable or not instantiable, a start
 * that takes too long, a mount that throws). Fetched only then, as an ES
 * module: import("<loader dir>/basic.js").then(m => m.fallback(o)), with
 *   o = { failure, root, mount, host, form, src, lang, theme, turnstile }
 * (failure: { cause } when the loader knows it, { error } when the widget's
 * start failed, anything else when mounting failed).
 *
 * First it names the cause (the codes of edge/src/events.rs MountFailure) in the
 * console (for CSP, the exact directive to add) and sends the `mount_failed`
 * beacon (POST /v1/forms/{id}/events, the cause only, no visitor data; a
 * mount error only once the spec loaded, since the spec's own failure is not
 * the widget's). It dispatches `leadform:fallback` ({form, cause}) on the
 * host once the form is shown.
 *
 * What it does: fetches the public spec (GET /v1/forms/{id}) as text (its
 * SHA-256 is the envelope's spec_hash, as in the widget) and the catalog of
 * built-in texts in the visitor's language (GET /v1/i18n/{lang}, else
 * /v1/i18n/en), and builds plain HTML controls with native constraints
 * (type=email/tel, required, minlength/maxlength, options) in the shadow root,
 * styled by the widget's own stylesheet (widget/src/widget.css, embedded at
 * build time by esbuild). One step per stage, chosen like the widget's
 * `select_fields` (the stages this visit would ask, from the field ids kept in
 * localStorage by the widget or by this form; identity fields every time),
 * each consent on the step `Selection::consent_step` names. The exact consent
 * texts, unticked; a honeypot input; fill time measured like the widget's (render to
 * submit, hidden-tab time excluded). It POSTs the same versioned envelope
 * (shared/src/envelope.rs) with consent records whose disclosure hash is
 * computed with crypto.subtle.digest (a small SHA-256 of its own on
 * plain-http pages, where SubtleCrypto does not exist), so the edge
 * validates it with the shared rules like any other submission; the edge's 422 issues are shown
 * inline per field, in the catalog's language.
 *
 * What it must not do: decide validity (the browser's native constraints are
 * a first pass only; the edge's shared rules decide), eval or new Function,
 * innerHTML of any text (every owner text goes in as textContent), keep
 * field values beyond what the widget keeps (the values of fields whose spec
 * sets `prefill`, after a submission the edge accepted; there is no pending
 * queue: a submission that cannot reach the edge is not kept, the visitor is
 * told to try again).
 */
// widget/src/widget.css, minified and embedded as text by widget/build.sh
// (esbuild --alias:leadform:widget.css=...).
import css from "leadform:widget.css";

var doc = document;
var win = window;
var count = 0;
var MAX_FILL_MS = 604800000;
var TOUCH_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
  "referrer", "landing_url", "hubspot_utk", "captured_at_ms"];

function el(tag, cls, text) {
  var e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function set(e, name, value) {
  if (value != null) e.setAttribute(name, value);
  return e;
}

function add(parent, child) {
  parent.appendChild(child);
  return child;
}

function load(key) {
  try {
    return win.localStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

function save(key, value) {
  try {
    win.localStorage.setItem(key, value);
  } catch (e) {
    /* storage refused: behave like a first visit next time */
  }
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), function (b) {
    return (b < 16 ? "0" : "") + b.toString(16);
  }).join("");
}

// SHA-256 (lower-case hex) of the UTF-8 bytes of `text`: the browser's
// SubtleCrypto, which exists only in secure contexts (https, localhost), else
// the small one below, so a form on a plain-http page can still submit.
function sha256(text) {
  var bytes = new TextEncoder().encode(text);
  var subtle = win.crypto && crypto.subtle;
  return subtle ? subtle.digest("SHA-256", bytes).then(hex) : Promise.resolve(sha256Plain(bytes));
}

function ror(x, n) {
  return (x >>> n) | (x << (32 - n));
}

// FIPS 180-4 SHA-256 of `bytes` (under 512 MB), as lower-case hex. The round
// constants are the first 32 bits of the fractional parts of the cube roots
// (K) and square roots (initial hash) of the first primes, computed here.
function sha256Plain(bytes) {
  var K = [];
  var H = [];
  var i;
  var j;
  for (var p = 2, found = 0; found < 64; p++) {
    for (j = 2; j * j <= p && p % j; j++);
    if (j * j > p) {
      if (found < 8) H[found] = (Math.pow(p, 1 / 2) * 4294967296) | 0;
      K[found++] = (Math.pow(p, 1 / 3) * 4294967296) | 0;
    }
  }
  var length = bytes.length;
  var words = ((length + 72) >> 6) << 4;
  var w = new Array(words).fill(0);
  for (i = 0; i < length; i++) w[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
  w[length >> 2] |= 0x80 << (24 - (length & 3) * 8);
  w[words - 1] = length * 8;
  for (j = 0; j < words; j += 16) {
    var a = H.slice(0);
    var W = w.slice(j, j + 16);
    for (i = 0; i < 64; i++) {
      if (i > 15) {
        var x = W[i - 15];
        var y = W[i - 2];
        W[i] = (W[i - 16] + (ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)) + W[i - 7] + (ror(y, 17) ^ ror(y, 19) ^ (y >>> 10))) | 0;
      }
      var e = a[4];
      var t1 = a[7] + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & a[5]) ^ (~e & a[6])) + K[i] + W[i];
      var s = a[0];
      var t2 = (ror(s, 2) ^ ror(s, 13) ^ ror(s, 22)) + ((s & a[1]) ^ (s & a[2]) ^ (a[1] & a[2]));
      a.pop();
      a.unshift((t1 + t2) | 0);
      a[4] = (a[4] + t1) | 0;
    }
    for (i = 0; i < 8; i++) H[i] = (H[i] + a[i]) | 0;
  }
  return H.map(function (h) {
    return ("0000000" + (h >>> 0).toString(16)).slice(-8);
  }).join("");
}

// 16 random bytes, base64url without padding: the widget's token shape.
function token() {
  var bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// The longest prefix of `text` (whole code points) that fits in `max` UTF-8 bytes.
function cut(text, max) {
  var chars = Array.from(text);
  var encoder = new TextEncoder();
  while (encoder.encode(text).length > max) {
    chars.pop();
    text = chars.join("");
  }
  return text;
}

function getJson(url) {
  return fetch(url, { credentials: "omit" }).then(function (r) {
    if (!r.ok) throw new Error("GET " + url + " answered " + r.status);
    return r.text();
  });
}

// The catalog in the page's language, else English, else none (the edge's
// English messages then come with its answers).
function catalog(api, primary) {
  var english = function () {
    return getJson(api("/v1/i18n/en")).then(parse, function () {
      return null;
    });
  };
  if (!primary || primary === "en") return english();
  return getJson(api("/v1/i18n/" + encodeURIComponent(primary))).then(parse, english);
}

/** Names and reports why the widget did not start, then renders the basic
 * form; resolves once it is on the page. */
export function fallback(o) {
  var failure = o.failure || {};
  var cause = failure.cause
    ? Promise.resolve(failure.cause)
    : failure.error
      ? classify(o.src, failure.error)
      : Promise.resolve("mount_error");
  return cause.then(function (cause) {
    var detail = failure.error || failure;
    if (cause !== "mount_error") report(o, cause, detail);
    return render(o).then(function () {
      if (cause === "mount_error") report(o, cause, detail);
      o.host.dispatchEvent(new CustomEvent("leadform:fallback", { bubbles: true, detail: { form: o.form, cause: cause } }));
    });
  });
}

// Why the widget's start (glue import, wasm fetch and instantiation) failed.
// A policy refusing wasm is told by the error's message or, whatever the
// browser's wording, by an empty module that will not compile either.
function classify(src, error) {
  var csp = /Content.Security.Policy|CSP|unsafe-eval|wasm-eval/i.test(String((error && error.message) || error));
  var empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  var probe = function (name) {
    return fetch(new URL(name, src).href, { method: "HEAD", credentials: "omit" }).then(
      function (r) {
        return r.ok;
      },
      function () {
        return false;
      }
    );
  };
  var compiles = csp ? Promise.resolve(false) : WebAssembly.compile(empty).then(
    function () {
      return true;
    },
    function () {
      return false;
    }
  );
  return compiles.then(function (ok) {
    if (!ok) return "csp_wasm_blocked";
    return Promise.all([probe("leadform_widget.js"), probe("leadform_widget_bg.wasm")]).then(function (found) {
      return found[0] && found[1] ? "instantiate_failed" : "wasm_fetch_failed";
    });
  });
}

// The console message and the edge's count of this fallback.
function report(o, cause, detail) {
  var text = "[leadform] form '" + o.form + "': ";
  if (cause === "csp_wasm_blocked") {
    text += "the page's Content-Security-Policy does not allow WebAssembly (cause: " + cause + "), so a basic form is shown. " +
      "Add 'wasm-unsafe-eval' to script-src: script-src " + new URL(o.src).origin + " 'wasm-unsafe-eval';";
  } else {
    text += "the widget could not start (cause: " + cause + "), so a basic form is shown.";
  }
  if (win.console) console.error(text, detail);
  var url = new URL("/v1/forms/" + encodeURIComponent(o.form) + "/events", o.src).href;
  var body = JSON.stringify({ event: "mount_failed", cause: cause });
  try {
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
  } catch (e) {
    /* fall back to fetch */
  }
  fetch(url, { method: "POST", body: body, keepalive: true, credentials: "omit", mode: "no-cors" }).catch(function () {});
}

/** Renders the basic form of `o.form`; resolves once it is on the page. */
export function render(o) {
  var api = function (path) {
    return new URL(path, o.src).href;
  };
  var primary = (o.lang || "").split(/[-_]/)[0].trim().toLowerCase();
  // Spec and catalog in parallel; the spec hash is the hash of the served text.
  return Promise.all([getJson(api("/v1/forms/" + encodeURIComponent(o.form))), catalog(api, primary)]).then(function (loaded) {
    return sha256(loaded[0]).then(function (hash) {
      build(o, api, JSON.parse(loaded[0]), hash, loaded[1] || { lang: "en", ui: {}, codes: {} });
    });
  });
}

// FieldSpec::is_identity: asked on every visit.
function identity(f) {
  return !!f && (f.identity != null
    ? f.identity
    : f.kind === "email" || f.kind === "phone" || ["name", "given-name", "family-name"].indexOf(f.autocomplete) >= 0);
}

// shared::profiling::select_fields: the steps this visit asks, given the
// field ids this browser has answered before.
function select(spec, field, known) {
  var stages = spec.stages && spec.stages.length
    ? spec.stages
    : [{ id: "main", fields: spec.fields.map(function (f) { return f.id; }) }];
  var profiling = spec.profiling || {};
  var isHidden = function (id) {
    var f = field(id);
    return f && f.kind === "hidden";
  };
  var isOpen = function (stage) {
    return stage.fields.some(function (id) {
      return !isHidden(id) && known.indexOf(id) < 0;
    });
  };
  var push = function (list, id) {
    if (list.indexOf(id) < 0) list.push(id);
  };
  var steps = [];
  var first = stages.findIndex(isOpen);
  if (first < 0) {
    first = stages.length - 1;
    var last = stages[first];
    steps.push({ title: last.title, fields: last.fields.slice() });
  } else {
    var max = profiling.max_new_fields_per_visit;
    var budget = max == null ? Infinity : Math.max(1, max);
    var perVisit = Math.max(1, profiling.stages_per_visit || 0);
    stages.slice(first).filter(isOpen).slice(0, perVisit).forEach(function (stage) {
      if (!budget) return;
      var fields = [];
      var askedBefore = function (id) {
        return steps.some(function (s) {
          return s.fields.indexOf(id) >= 0;
        });
      };
      stage.fields.forEach(function (id) {
        if (isHidden(id)) return push(fields, id);
        if (identity(field(id))) return askedBefore(id) || push(fields, id);
        if (known.indexOf(id) >= 0 || !budget || askedBefore(id)) return;
        var condition = (field(id) || {}).show_when;
        if (condition && !askedBefore(condition.field)) push(fields, condition.field);
        push(fields, id);
        budget--;
      });
      steps.push({ title: stage.title, fields: fields });
    });
  }
  // always_ask, then the identity fields, that no step holds: first.
  var missing = [];
  (profiling.always_ask || []).concat(spec.fields.filter(identity).map(function (f) {
    return f.id;
  })).forEach(function (id) {
    if (!steps.some(function (s) {
      return s.fields.indexOf(id) >= 0;
    })) push(missing, id);
  });
  if (steps[0]) steps[0].fields = missing.concat(steps[0].fields);
  return { steps: steps, first: first, total: stages.length };
}

// FieldValue::matches_any.
function matches(value, equals) {
  if (Array.isArray(value)) {
    return value.some(function (v) {
      return equals.indexOf(v) >= 0;
    });
  }
  return equals.indexOf(typeof value === "string" ? value.trim() : String(value)) >= 0;
}

// This visit's touch (attribution.rs): UTM parameters and click ids (first
// value, trimmed, blank = absent), referrer, landing URL, HubSpot's cookie.
function touch(pageUrl, params, now) {
  var t = {};
  TOUCH_KEYS.slice(0, 7).forEach(function (key) {
    var value = (params.get(key) || "").trim();
    if (value) t[key] = cut(value, 512);
  });
  if (doc.referrer) t.referrer = cut(doc.referrer, 2048);
  if (pageUrl) t.landing_url = cut(pageUrl, 2048);
  var utk = (doc.cookie || "").split(";").map(function (pair) {
    return pair.trim().split("=");
  }).filter(function (kv) {
    return kv[0] === "hubspotutk" && kv[1];
  })[0];
  if (utk) t.hubspot_utk = cut(utk.slice(1).join("="), 512);
  t.captured_at_ms = now;
  return t;
}

function firstTouch(current) {
  var kept = parse(load("leadform:v1:first_touch"));
  if (kept && typeof kept === "object" && !Array.isArray(kept)) {
    var clean = {};
    TOUCH_KEYS.forEach(function (key) {
      if (key in kept) clean[key] = kept[key];
    });
    return clean;
  }
  save("leadform:v1:first_touch", JSON.stringify(current));
  return current;
}

function visitorId() {
  var id = load("leadform:v1:visitor");
  if (id && /^[A-Za-z0-9_-]{8,64}$/.test(id)) return id;
  id = token();
  save("leadform:v1:visitor", id);
  return id;
}

function build(o, api, spec, specHash, texts) {
  var ui = function (key) {
    return (texts.ui || {})[key] || key;
  };
  var message = function (code, english) {
    return (texts.codes || {})[code] || english || code;
  };
  var field = function (id) {
    return spec.fields.filter(function (f) {
      return f.id === id;
    })[0];
  };
  var knownKey = "leadform:v1:known:" + spec.id;
  var known = parse(load(knownKey));
  known = Array.isArray(known) ? known : [];
  var selection = select(spec, field, known);
  var steps = selection.steps;
  var asked = [].concat.apply([], steps.map(function (s) {
    return s.fields;
  }));
  var uid = "lfb" + ++count;
  var pageUrl = win.location.href.split("#")[0];
  var params = new URL(pageUrl).searchParams;
  var started = Date.now();
  var hiddenMs = 0;
  var hiddenSince = doc.hidden ? started : null;
  doc.addEventListener("visibilitychange", function () {
    var now = Date.now();
    if (doc.hidden) hiddenSince = hiddenSince || now;
    else if (hiddenSince) {
      hiddenMs += now - hiddenSince;
      hiddenSince = null;
    }
  });
  var current = touch(pageUrl, params, started);
  var attribution = { current: current, first_touch: firstTouch(current) };
  var visitor = visitorId();
  var submissionId = null;
  var turnstileToken;
  var step = 0;
  var busy = false;
  var changedAt = {};
  // id -> { wrapper, controls, error, describe, fixed value (hidden fields) }
  var views = {};
  var prefill = parse(load("leadform:v1:prefill:" + spec.id)) || {};

  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    o.root.adoptedStyleSheets = [sheet];
  } catch (e) {
    add(o.root, el("style", "", css));
  }
  o.mount.textContent = "";
  var root = set(set(el("div", "lf"), "data-theme", o.theme || null), "lang", texts.lang || "en");
  root.setAttribute("data-basic", "");
  if (spec.title) add(root, el("h2", "lf-title", spec.title));
  if (spec.intro) add(root, el("p", "lf-intro", spec.intro));
  var form = add(root, el("form", "lf-form"));

  var progressText;
  var bar;
  if (selection.total > 1) {
    var progress = add(form, el("div", "lf-progress"));
    progressText = add(progress, el("p", "lf-progress-text"));
    bar = add(add(progress, set(el("div", "lf-bar"), "aria-hidden", "true")), el("div", "lf-bar-fill"));
  }

  var fieldsets = steps.map(function (s) {
    var fieldset = add(form, el("fieldset", "lf-step"));
    if (s.title) add(fieldset, el("legend", "lf-legend", s.title));
    s.fields.forEach(function (id) {
      var f = field(id);
      if (f) fieldView(fieldset, f);
    });
    return fieldset;
  });

  // Each consent on the step holding a field it covers, else the last
  // (Selection::consent_step).
  var consents = spec.consents || [];
  var consentBoxes = [];
  var consentStep = function (block) {
    var at = steps.findIndex(function (s) {
      return s.fields.some(function (id) {
        return (block.covers || []).indexOf(id) >= 0;
      });
    });
    return at < 0 ? Math.max(0, steps.length - 1) : at;
  };
  consents.forEach(function (block) {
    var at = consentStep(block);
      var box = consentBoxes[at] || (consentBoxes[at] = add(form, el("div", "lf-consents")));
      var dom = uid + "-consent-" + block.id;
      var wrapper = add(box, el("div", "lf-consent"));
      var choice = add(wrapper, el("div", "lf-choice"));
      var input = add(choice, set(set(el("input", "lf-box"), "type", "checkbox"), "id", dom));
      input.name = "consent-" + block.id;
      input.required = !!block.required;
      input.addEventListener("change", function () {
        changedAt[block.id] = Date.now();
        clear(block.id);
      });
      // The exact disclosure text, as a text node.
      add(choice, set(el("label", "lf-consent-text", block.text), "for", dom));
      if (block.required) add(wrapper, el("span", "lf-optional", ui("required")));
      views[block.id] = { wrapper: wrapper, controls: [input], consent: block, step: at, describe: [] };
  });

  var honeypot = add(form, set(el("div", "lf-hp"), "aria-hidden", "true"));
  add(honeypot, set(el("label", "", ui("honeypot_label")), "for", uid + "-website"));
  var trap = add(honeypot, set(set(set(el("input"), "type", "text"), "id", uid + "-website"), "tabindex", "-1"));
  trap.name = "website";
  trap.autocomplete = "off";

  var siteKey = (spec.anti_spam || {}).turnstile_site_key;
  if (siteKey && o.turnstile && o.host) {
    add(add(form, el("div", "lf-turnstile")), set(el("slot"), "name", "turnstile"));
    var slot = add(o.host, set(el("div"), "slot", "turnstile"));
    o.turnstile().then(function (ts) {
      var setToken = function (t) {
        turnstileToken = t;
      };
      ts.render(slot, {
        sitekey: siteKey,
        language: o.lang || "auto",
        callback: setToken,
        "expired-callback": setToken,
        "error-callback": setToken
      });
    }, function () {});
  }

  var status = add(form, set(set(el("p", "lf-status"), "role", "status"), "aria-live", "polite"));
  var actions = add(form, el("div", "lf-actions"));
  var back = add(actions, set(el("button", "lf-button lf-secondary", ui("back")), "type", "button"));
  var submit = add(actions, set(el("button", "lf-button lf-primary"), "type", "submit"));
  var success = add(root, set(set(set(el("div", "lf-success", (spec.success || {}).message), "role", "status"), "tabindex", "-1"), "id", uid + "-success"));
  success.hidden = true;

  function fieldView(parent, f) {
    var dom = uid + "-" + f.id;
    var view = { controls: [], describe: [] };
    views[f.id] = view;
    if (f.kind === "hidden") {
      var fixed = params.get(f.id);
      view.fixed = fixed != null ? fixed : f.default_value;
      return;
    }
    var wrapper = (view.wrapper = add(parent, el("div", "lf-field")));
    var labelInto = function (label) {
      label.appendChild(doc.createTextNode(f.label));
      if (!f.required) {
        label.appendChild(doc.createTextNode(" "));
        add(label, el("span", "lf-optional", ui("optional")));
      }
      return label;
    };
    var help = function (into) {
      if (f.help) {
        add(into, set(el("p", "lf-help", f.help), "id", dom + "-help"));
        view.describe.push(dom + "-help");
      }
    };
    var kept = prefill[f.id];
    var control = function (tag, cls) {
      var c = set(el(tag, cls), "id", dom);
      c.name = f.id;
      c.required = !!f.required;
      set(c, "autocomplete", f.autocomplete || { email: "email", phone: "tel", postal_code: "postal-code" }[f.kind]);
      view.controls.push(c);
      return c;
    };
    var onChange = function () {
      clear(f.id);
      refresh();
    };
    if (f.kind === "checkbox") {
      var choice = add(wrapper, el("div", "lf-choice"));
      var box = add(choice, set(control("input", "lf-box"), "type", "checkbox"));
      box.checked = f.prefill && kept === true;
      box.addEventListener("change", onChange);
      add(choice, labelInto(set(el("label", "lf-label"), "for", dom)));
      help(wrapper);
    } else if (f.kind === "multi_select") {
      var group = add(wrapper, el("fieldset", "lf-group"));
      add(group, labelInto(el("legend", "lf-label")));
      help(group);
      view.group = group;
      f.options.forEach(function (option, i) {
        var id = i ? dom + "-" + i : dom;
        var row = add(group, el("div", "lf-choice"));
        var input = add(row, set(set(set(el("input", "lf-box"), "type", "checkbox"), "id", id), "value", option.value));
        input.name = f.id;
        input.checked = f.prefill && Array.isArray(kept) && kept.indexOf(option.value) >= 0;
        input.addEventListener("change", onChange);
        view.controls.push(input);
        add(row, set(el("label", "", option.label || option.value), "for", id));
      });
    } else {
      add(wrapper, labelInto(set(el("label", "lf-label"), "for", dom)));
      help(wrapper);
      var input;
      if (f.kind === "select") {
        input = control("select", "lf-input");
        add(input, set(el("option", "", ui("choose_one")), "value", ""));
        f.options.forEach(function (option) {
          add(input, set(el("option", "", option.label || option.value), "value", option.value));
        });
      } else if (f.kind === "textarea") {
        input = set(control("textarea", "lf-input"), "rows", "4");
      } else {
        input = control("input", "lf-input");
        var decimal = f.kind === "number" && f.allow_decimals;
        set(input, "type", { email: "email", phone: "tel" }[f.kind] || "text");
        set(input, "inputmode", { email: "email", phone: "tel", number: decimal ? "decimal" : "numeric" }[f.kind]);
        if (/^(email|phone|number)$/.test(f.kind)) set(input, "spellcheck", "false");
      }
      if (f.kind !== "select") {
        set(input, "placeholder", f.placeholder);
        set(input, "maxlength", f.max_length);
        set(input, "minlength", f.min_length);
      }
      if (f.prefill && typeof kept === "string") input.value = kept;
      input.addEventListener(f.kind === "select" ? "change" : "input", onChange);
      add(wrapper, input);
    }
    describe(view);
  }

  function describe(view) {
    var ids = view.describe.concat(view.error ? [view.error.id] : []).join(" ");
    (view.group ? [view.group] : view.controls).forEach(function (c) {
      if (ids) c.setAttribute("aria-describedby", ids);
      else c.removeAttribute("aria-describedby");
    });
    view.controls.forEach(function (c) {
      if (view.error) c.setAttribute("aria-invalid", "true");
      else c.removeAttribute("aria-invalid");
    });
  }

  function showError(id, text) {
    var view = views[id];
    if (!view || !view.wrapper) return false;
    if (!view.error) {
      view.error = add(view.wrapper, set(el("p", "lf-error"), "id", (view.controls[0] || {}).id + "-error"));
    }
    view.error.textContent = text;
    describe(view);
    return true;
  }

  function clear(id) {
    var view = views[id];
    if (view && view.error) {
      view.error.remove();
      view.error = null;
      describe(view);
    }
  }

  // The raw value of an asked field, as the widget holds it (absent when empty).
  function raw(id) {
    var view = views[id];
    var f = field(id);
    if (!view || !f) return undefined;
    if (f.kind === "hidden") return view.fixed == null ? undefined : view.fixed;
    if (f.kind === "checkbox") return view.controls[0].checked ? true : undefined;
    if (f.kind === "multi_select") {
      var chosen = view.controls.filter(function (c) {
        return c.checked;
      }).map(function (c) {
        return c.value;
      });
      return chosen.length ? chosen : undefined;
    }
    return view.controls[0].value === "" ? undefined : view.controls[0].value;
  }

  function values() {
    var out = {};
    asked.forEach(function (id) {
      var v = raw(id);
      if (v !== undefined) out[id] = v;
    });
    return out;
  }

  // shared::validate::is_visible.
  function visible(f, vals) {
    for (var i = 0; f && f.show_when && i <= spec.fields.length; i++) {
      var c = f.show_when;
      if (!(c.field in vals) || !matches(vals[c.field], c.equals)) return false;
      f = field(c.field);
    }
    return !!f && !f.show_when;
  }

  // Shows the current step and the fields whose conditions hold. Controls
  // not shown are disabled, so the browser's constraint check skips them.
  function refresh() {
    var vals = values();
    fieldsets.forEach(function (fieldset, i) {
      fieldset.hidden = i !== step;
      fieldset.disabled = i !== step;
    });
    asked.forEach(function (id) {
      var view = views[id];
      if (!view || !view.wrapper) return;
      var shown = visible(field(id), vals);
      view.wrapper.hidden = !shown;
      view.controls.forEach(function (c) {
        c.disabled = !shown;
      });
    });
    var last = step === steps.length - 1;
    consentBoxes.forEach(function (box, i) {
      box.hidden = i !== step;
    });
    consents.forEach(function (block) {
      views[block.id].controls[0].disabled = views[block.id].step !== step;
    });
    back.hidden = step === 0;
    submit.textContent = busy ? ui("sending") : last ? spec.submit_label : ui("next");
    if (busy) submit.setAttribute("aria-disabled", "true");
    else submit.removeAttribute("aria-disabled");
    if (progressText) {
      var at = Math.min(selection.first + step + 1, selection.total);
      progressText.textContent = ui("step") + " " + at + " " + ui("of") + " " + selection.total;
      bar.style.width = Math.floor((at * 100) / selection.total) + "%";
    }
  }

  function say(text, error) {
    status.textContent = text || "";
    status.className = error ? "lf-status lf-status-error" : "lf-status";
  }

  function focusFirst() {
    var first = (steps[step] || { fields: [] }).fields.map(function (id) {
      return views[id];
    }).filter(function (v) {
      return v && v.wrapper && !v.wrapper.hidden;
    })[0];
    if (first) first.controls[0].focus();
  }

  function goTo(index) {
    step = index;
    say("");
    refresh();
  }

  back.addEventListener("click", function () {
    if (step > 0) {
      goTo(step - 1);
      focusFirst();
    }
  });

  // Reached only when the browser's constraint check passed for the shown step.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy || !success.hidden) return;
    if (step < steps.length - 1) {
      goTo(step + 1);
      focusFirst();
      return;
    }
    send();
  });

  function send() {
    busy = true;
    refresh();
    say(ui("sending"));
    var now = Date.now();
    var vals = values();
    var fields = {};
    asked.forEach(function (id) {
      if (id in vals && visible(field(id), vals)) fields[id] = vals[id];
    });
    var hiddenNow = hiddenSince ? now - hiddenSince : 0;
    submissionId = submissionId || token();
    Promise.all(consents.map(function (block) {
      return sha256(block.text).then(function (hash) {
        var box = views[block.id].controls[0];
        return {
          consent_id: block.id,
          version: block.version,
          disclosure_text: block.text,
          disclosure_sha256: hash,
          channels: block.channels,
          checked: box.checked,
          client_timestamp_ms: changedAt[block.id] || now
        };
      });
    })).then(function (records) {
      var envelope = {
        version: 1,
        form_id: spec.id,
        spec_hash: specHash,
        submission_id: submissionId,
        visitor_id: visitor,
        asked: asked,
        fields: fields,
        consents: records,
        attribution: attribution,
        timings: {
          started_at_ms: started,
          submitted_at_ms: Math.max(now, started),
          time_to_fill_ms: Math.min(Math.max(0, now - started - hiddenMs - hiddenNow), MAX_FILL_MS)
        },
        honeypot: trap.value,
        page_url: cut(pageUrl, 2048),
        lang: texts.lang || "en"
      };
      if (turnstileToken) envelope.turnstile_token = turnstileToken;
      return fetch(api("/v1/submit"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(envelope),
        credentials: "omit"
      }).then(function (r) {
        return r.text().then(function (body) {
          answer(r.status, parse(body), fields);
        });
      });
    }).catch(function () {
      busy = false;
      refresh();
      say(ui("not_accepted"), true);
    });
  }

  function answer(code, body, sent) {
    busy = false;
    if (code >= 200 && code < 300) {
      // Answered = asked and shown: the next visit asks the next stage.
      var vals = values();
      asked.forEach(function (id) {
        var f = field(id);
        if (f && f.kind !== "hidden" && visible(f, vals) && known.indexOf(id) < 0) known.push(id);
      });
      known.sort();
      save(knownKey, JSON.stringify(known));
      // Values only of the fields whose spec sets prefill, as the widget keeps them.
      asked.forEach(function (id) {
        var f = field(id);
        if (f && f.prefill && id in sent) prefill[id] = sent[id];
      });
      save("leadform:v1:prefill:" + spec.id, JSON.stringify(prefill));
      form.hidden = true;
      success.hidden = false;
      var redirect = (spec.success || {}).redirect_url;
      if (redirect) win.location.assign(redirect);
      else success.focus();
      return;
    }
    // A final answer with a new submission next time; a transient one
    // (408, 429, 5xx) keeps the id, so pressing again is not a duplicate.
    if (code < 500 && code !== 408 && code !== 429) submissionId = null;
    var error = (body && body.error) || {};
    var firstStep = -1;
    var firstView = null;
    (error.issues || []).forEach(function (issue) {
      if (!views[issue.field] || views[issue.field].error) return;
      if (!showError(issue.field, message(issue.code, issue.message))) return;
      var index = views[issue.field].consent
        ? views[issue.field].step
        : steps.findIndex(function (s) {
          return s.fields.indexOf(issue.field) >= 0;
        });
      if (index < 0) index = step;
      if (firstStep < 0 || index < firstStep) {
        firstStep = index;
        firstView = views[issue.field];
      }
    });
    if (firstView) {
      goTo(firstStep);
      say(ui("fix_errors"), true);
      firstView.controls[0].focus();
    } else {
      refresh();
      say(error.code ? message(error.code, error.message) : ui("not_accepted"), true);
    }
  }

  refresh();
  o.mount.appendChild(root);
}
