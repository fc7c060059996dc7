/* Dialback callback widget (SPEC C1, C11, C12).
 *
 *   <script src="https://dialback.example/widget.js" data-key="wk_..." async></script>
 *
 * Plain JavaScript, no framework and nothing fetched from a CDN. Everything it
 * draws lives in a Shadow DOM, so the host page's CSS cannot reach in and its own
 * CSS cannot leak out. It talks only to the server it was loaded from, through
 * /api/v1/w/<key>/..., which answers only the widget's allowed origins (CORS).
 * Optional attributes: data-lang="en|ru|uk" (else the browser's language).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-key")) { return; }
  var key = script.getAttribute("data-key");
  var base = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var api = base + "/api/v1/w/" + encodeURIComponent(key);
  var lang = script.getAttribute("data-lang") || navigator.language || "en";

  var host = document.createElement("div");
  host.setAttribute("data-dialback-widget", "");
  host.dataset.state = "loading";
  var root = host.attachShadow({ mode: "open" });

  var CSS = [
    // !important inside the shadow tree wins over the host page's !important (CSS
    // Cascade 4), so the page cannot hide or move the widget by accident.
    ":host{all:initial!important;display:block!important;position:fixed!important;",
    "right:16px!important;bottom:16px!important;z-index:2147483000!important}",
    // Set on every element, not inherited from the host, which the page's CSS can reach.
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
    "font-size:16px;line-height:1.45;color:#1a1a1a;letter-spacing:normal;text-transform:none}",
    ".open{background:#0b57d0;color:#fff;border:0;border-radius:999px;padding:12px 18px;",
    "cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25);font-weight:600}",
    ".panel{position:absolute;right:0;bottom:56px;width:min(22rem,calc(100vw - 32px));",
    "background:#fff;border:1px solid #c4c7c5;border-radius:12px;padding:16px;",
    "box-shadow:0 6px 24px rgba(0,0,0,.2);max-height:calc(100vh - 96px);overflow:auto}",
    ".panel[hidden]{display:none}",
    "h2{font-size:18px;font-weight:700;margin:0 32px 8px 0}",
    ".close{position:absolute;top:8px;right:8px;background:none;border:0;font-size:22px;",
    "line-height:1;cursor:pointer;padding:4px 8px;color:#1a1a1a}",
    "label{display:block;font-weight:600;margin:10px 0 4px}",
    "input,select{display:block;width:100%;padding:8px;border:1px solid #6b7280;",
    "border-radius:6px;background:#fff;color:#1a1a1a}",
    "input[aria-invalid=true]{border-color:#b3261e}",
    ".msg{min-height:1.4em;margin:4px 0 0;font-size:14px}",
    ".msg.bad{color:#8c1d18}.msg.good{color:#0d5227}",
    ".consent{font-size:13px;color:#4a4f57;margin:10px 0}",
    ".submit{width:100%;background:#0b57d0;color:#fff;border:0;border-radius:6px;",
    "padding:10px;font-weight:600;cursor:pointer}",
    ".submit[disabled]{background:#5f6368}",
    ".status p{margin:6px 0}.countdown{font-size:20px;font-weight:700}",
    ".stage{font-weight:600}",
    "button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}"
  ].join("");

  var S = {};  // texts in the visitor's language, from the server (en/ru/uk)
  function tr(name, values) {
    var text = S[name] || name;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }
  function call(method, path, body) {
    var init = { method: method, credentials: "omit", headers: {} };
    if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(api + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data };
      });
    });
  }

  function build(config) {
    S = config.strings || {};
    lang = config.lang || lang;
    var style = el("style"); style.textContent = CSS; root.appendChild(style);
    var open = el("button", { "class": "open", type: "button", "aria-expanded": "false",
                              "aria-controls": "db-panel" }, tr("button"));
    var panel = el("div", { "class": "panel", id: "db-panel", role: "dialog",
                            "aria-labelledby": "db-title" });
    panel.hidden = true;
    var close = el("button", { "class": "close", type: "button", "aria-label": tr("close") }, "×");
    var form = el("form", { novalidate: "" });
    var phone = el("input", { id: "db-phone", name: "phone", type: "tel", autocomplete: "tel",
                              inputmode: "tel", required: "", "aria-describedby": "db-phone-msg",
                              placeholder: tr("phone_placeholder") });
    var msg = el("p", { id: "db-phone-msg", "class": "msg", "aria-live": "polite" });
    var dept = el("select", { id: "db-dept", name: "department" });
    var emp = el("select", { id: "db-emp", name: "employee" });
    var submit = el("button", { "class": "submit", type: "submit" }, tr("submit"));
    var status = el("div", { "class": "status", role: "status", "aria-live": "polite" });
    var countdown = el("p", { "class": "countdown" });
    var stage = el("p", { "class": "stage" });
    status.hidden = true;
    status.appendChild(countdown); status.appendChild(stage);

    form.appendChild(el("label", { "for": "db-phone" }, tr("phone_label")));
    form.appendChild(phone); form.appendChild(msg);
    if (config.departments.length > 1) {
      form.appendChild(el("label", { "for": "db-dept" }, tr("department_label")));
      dept.appendChild(el("option", { value: "" }, tr("any")));
      config.departments.forEach(function (d) {
        var o = el("option", { value: String(d.id) }, d.name);
        if (d.id === config.department_id) { o.selected = true; }
        dept.appendChild(o);
      });
      form.appendChild(dept);
    }
    function fillEmployees() {
      var chosen = dept.value ? Number(dept.value) : config.department_id;
      emp.textContent = "";
      emp.appendChild(el("option", { value: "" }, tr("any")));
      config.employees.forEach(function (e) {
        if (!chosen || e.departments.indexOf(chosen) >= 0) {
          emp.appendChild(el("option", { value: String(e.id) }, e.name));
        }
      });
    }
    if (config.employees.length) {
      form.appendChild(el("label", { "for": "db-emp" }, tr("employee_label")));
      fillEmployees();
      dept.addEventListener("change", fillEmployees);
      form.appendChild(emp);
    }
    form.appendChild(el("p", { "class": "consent" }, tr("consent")));
    form.appendChild(submit);
    panel.appendChild(close);
    panel.appendChild(el("h2", { id: "db-title" }, tr("title")));
    panel.appendChild(form);
    panel.appendChild(status);
    root.appendChild(panel);
    root.appendChild(open);

    function toggle(show) {
      panel.hidden = !show;
      open.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) { (status.hidden ? phone : stage).focus(); } else { open.focus(); }
    }
    open.addEventListener("click", function () { toggle(panel.hidden); });
    close.addEventListener("click", function () { toggle(false); });
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { toggle(false); } });

    // C1: the number is checked as it is typed (the server reads it with the
    // company's region, the same way it will when the order arrives).
    var checked = { text: null, valid: false, message: "" };
    var timer = null, seq = 0;
    function show(valid, message) {
      msg.textContent = message;
      msg.className = "msg " + (valid ? "good" : "bad");
      phone.setAttribute("aria-invalid", valid ? "false" : "true");
    }
    function check(text) {
      var mine = ++seq;
      return call("POST", "/phone", { phone: text, lang: lang }).then(function (r) {
        if (mine !== seq) { return checked; }
        checked = { text: text, valid: !!r.data.valid, message: r.data.message || "" };
        show(checked.valid, checked.valid ? tr("phone_ok") : checked.message);
        return checked;
      });
    }
    phone.addEventListener("input", function () {
      clearTimeout(timer);
      var text = phone.value;
      if (text.replace(/\D/g, "").length < 3) { msg.textContent = ""; phone.removeAttribute("aria-invalid"); return; }
      timer = setTimeout(function () { check(text); }, 250);
    });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(timer);
      var text = phone.value;
      var ready = checked.text === text ? Promise.resolve(checked) : check(text);
      submit.disabled = true;
      ready.then(function (c) {
        if (!c.valid) { show(false, c.message || tr("phone_empty")); phone.focus(); submit.disabled = false; return; }
        var body = { phone: text, lang: lang };
        if (dept.value) { body.department_id = Number(dept.value); }
        if (emp.value) { body.employee_id = Number(emp.value); }
        return call("POST", "/callbacks", body).then(function (r) {
          if (r.status === 201 || r.status === 200) { follow(r.data); return; }
          show(false, r.data.message || tr("unavailable"));
          submit.disabled = false;
        });
      }).catch(function () { show(false, tr("error_network")); submit.disabled = false; });
    });

    // C12: the promise ("we will call you in N seconds") and the live state.
    function follow(order) {
      host.dataset.state = "ordered";
      form.hidden = true;
      status.hidden = false;
      var deadline = Date.now() + order.promise_seconds * 1000;
      var current = order;
      function paint() {
        host.dataset.stage = current.stage;
        var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
        var waiting = current.stage === "waiting" || current.stage === "calling_manager";
        countdown.hidden = !waiting;
        countdown.textContent = left > 0 ? tr("countdown", { n: left }) : tr("countdown_over");
        if (current.stage === "waiting") { stage.textContent = ""; }
        else if (current.stage === "retry") {
          var at = current.next_attempt_at ? new Date(current.next_attempt_at) : null;
          var time = at ? at.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) : "";
          stage.textContent = tr("retry", { time: time });
        } else if (current.stage === "failed") {
          stage.textContent = tr("failed", { status: current.status || "" });
        } else { stage.textContent = tr(current.stage); }
      }
      var ticker = setInterval(paint, 1000);
      function poll() {
        call("GET", "/callbacks/" + order.id + "?token=" + encodeURIComponent(order.token) +
             "&lang=" + encodeURIComponent(lang)).then(function (r) {
          if (r.status === 200) { current = r.data; paint(); }
          if (current.stage === "connected" || current.stage === "failed") { clearInterval(ticker); return; }
          setTimeout(poll, current.stage === "retry" ? 5000 : 1000);
        }).catch(function () { setTimeout(poll, 3000); });
      }
      paint();
      setTimeout(poll, 1000);
    }
    host.dataset.state = "ready";
  }

  function start() {
    document.body.appendChild(host);
    fetch(api + "/config?lang=" + encodeURIComponent(lang), { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(build)
      .catch(function (err) {
        // The server refuses origins that are not on the widget's list (CORS).
        host.dataset.state = "refused";
        if (window.console) { console.warn("Dialback widget: not available on " + location.origin + ": " + err); }
      });
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
