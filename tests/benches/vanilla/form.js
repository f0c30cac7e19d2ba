// A hand-written vanilla-JS version of the demo form (examples/forms/
// home-services-quote.toml): the same fields, conditional field, consent
// boxes, inline validation (email, US phone to E.164, ZIP) and a JSON POST.
// Used only by the weight benchmark (tests/benches/system.rs) as the smallest
// reasonable alternative; minified with esbuild there. Never shipped.
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script.getAttribute("data-endpoint") || "/v1/submit";
  var tcpa = "By checking this box, I agree that Acme Home Services may call and text me at the number above, including with an autodialer or prerecorded messages, about my request and offers. Consent is not a condition of purchase. Message and data rates may apply. Reply STOP to opt out.";
  var tips = "Email me seasonal maintenance tips and offers. I can unsubscribe at any time.";
  var services = [["ac_repair", "Air conditioning repair"], ["furnace", "Furnace / heating"], ["plumbing", "Plumbing"], ["water_heater", "Water heater"], ["other", "Something else"]];
  var css = ".vf{font:16px/1.5 system-ui,sans-serif;max-width:28rem}.vf label{display:block;margin-top:.75rem;font-weight:600}" +
    ".vf input,.vf select,.vf textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #555;border-radius:4px}" +
    ".vf .err{color:#a00000;font-size:.95rem}.vf button{margin-top:1rem;font:inherit;padding:.6rem 1.2rem}";
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text) node.textContent = text;
    return node;
  }
  function field(form, id, label, control, help) {
    var wrap = el("div", { "class": "vf-field", id: "vf-" + id + "-wrap" });
    wrap.appendChild(el("label", { "for": "vf-" + id }, label));
    control.id = "vf-" + id;
    control.name = id;
    control.setAttribute("aria-describedby", "vf-" + id + "-err");
    wrap.appendChild(control);
    if (help) wrap.appendChild(el("p", {}, help));
    wrap.appendChild(el("p", { "class": "err", id: "vf-" + id + "-err" }));
    form.appendChild(wrap);
    return control;
  }
  function phoneE164(value) {
    var digits = value.replace(/[\s().-]/g, "");
    if (/^\+1\d{10}$/.test(digits)) digits = digits.slice(2);
    else if (/^1\d{10}$/.test(digits)) digits = digits.slice(1);
    if (!/^[2-9]\d{2}[2-9]\d{6}$/.test(digits)) return null;
    return "+1" + digits;
  }
  var rules = {
    service: function (v) { return v ? null : "Please choose an option."; },
    other_details: function (v) { return v.trim() ? (v.length > 2000 ? "Too long." : null) : "This field is required."; },
    name: function (v) { v = v.trim(); return v.length < 2 ? "Please enter at least 2 characters." : v.length > 100 ? "Too long." : null; },
    phone: function (v) { return phoneE164(v) ? null : "Please enter a valid US phone number."; },
    email: function (v) { return !v.trim() || /^[^\s@]{1,64}@[^\s@]+\.[^\s@.]{2,}$/.test(v.trim()) ? null : "Please enter a valid email address."; },
    zip: function (v) { return /^\d{5}(-\d{4})?$/.test(v.trim()) ? null : "Please enter a 5-digit ZIP code."; }
  };
  var host = el("div", {});
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(el("style", {}, css));
  var form = el("form", { "class": "vf", novalidate: "" });
  form.appendChild(el("h2", {}, "Get a free quote"));
  var select = el("select", { required: "" });
  select.appendChild(el("option", { value: "" }, "Choose…"));
  services.forEach(function (s) { select.appendChild(el("option", { value: s[0] }, s[1])); });
  field(form, "service", "What do you need help with?", select);
  field(form, "other_details", "Please describe the job", el("textarea", { maxlength: "2000" }));
  field(form, "name", "Full name", el("input", { type: "text", autocomplete: "name" }));
  field(form, "phone", "Mobile phone", el("input", { type: "tel", autocomplete: "tel" }), "We only use it to schedule your visit.");
  field(form, "email", "Email (optional)", el("input", { type: "email", autocomplete: "email" }));
  field(form, "zip", "ZIP code", el("input", { type: "text", inputmode: "numeric", autocomplete: "postal-code" }));
  var consents = [["tcpa_calls_texts", tcpa], ["email_marketing", tips]].map(function (c) {
    var box = el("input", { type: "checkbox", id: "vf-" + c[0] });
    var label = el("label", { "for": "vf-" + c[0] });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + c[1]));
    form.appendChild(label);
    return { id: c[0], text: c[1], box: box };
  });
  var button = el("button", { type: "submit" }, "Request my quote");
  form.appendChild(button);
  var status = el("p", { role: "status" });
  form.appendChild(status);
  root.appendChild(form);
  var started = Date.now();
  function sync() {
    root.getElementById
      ? (root.getElementById("vf-other_details-wrap").hidden = select.value !== "other")
      : (document.getElementById("vf-other_details-wrap").hidden = select.value !== "other");
  }
  select.addEventListener("change", sync);
  sync();
  function check(id) {
    var input = form.elements[id];
    var wrap = input.parentNode;
    var message = wrap.hidden ? null : rules[id](input.value);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    wrap.querySelector(".err").textContent = message || "";
    return message;
  }
  Object.keys(rules).forEach(function (id) {
    form.elements[id].addEventListener("blur", function () { check(id); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = null;
    Object.keys(rules).forEach(function (id) { if (check(id) && !first) first = form.elements[id]; });
    if (first) { first.focus(); return; }
    var values = { campaign: "landing-page" };
    Object.keys(rules).forEach(function (id) {
      var input = form.elements[id];
      if (!input.parentNode.hidden && input.value.trim()) values[id] = id === "phone" ? phoneE164(input.value) : input.value.trim();
    });
    var body = {
      form_id: "home-quote",
      fields: values,
      consents: consents.map(function (c) { return { id: c.id, text: c.text, checked: c.box.checked, at: Date.now() }; }),
      page_url: location.href,
      referrer: document.referrer,
      time_to_fill_ms: Date.now() - started
    };
    button.disabled = true;
    status.textContent = "Sending…";
    fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { status.textContent = r.ok ? "Thanks! A technician will call you within 2 business hours." : "Please try again."; })
      .catch(function () { status.textContent = "Network error: please try again."; })
      .then(function () { button.disabled = false; });
  });
})();
