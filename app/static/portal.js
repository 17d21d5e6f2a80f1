/* Kundportalen: small improvements when JavaScript runs. Every form works without it:
   "Lägg till ny rad" and "Ta bort" are submit buttons the server understands too. */
(function () {
  "use strict";

  function rowsOf(table) { return table.querySelectorAll("[data-row-body] > [data-row]"); }

  function renumber(container) {
    var name = container.getAttribute("data-rows");
    rowsOf(container).forEach(function (row, index) {
      var pattern = new RegExp("^" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "-(\\d+|__index__)(?=-|$)");
      row.querySelectorAll("[name],[id],[for],[aria-describedby],button[value]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.split(" ").map(function (part) {
            return part.replace(pattern, name + "-" + index); }).join(" ")); }
        });
        if (el.tagName === "BUTTON" && el.value.indexOf("remove:") === 0) {
          el.value = "remove:" + name + "-" + index;
        }
      });
      row.querySelectorAll("[data-show-when]").forEach(function (box) {
        try {
          var rule = JSON.parse(box.getAttribute("data-show-when"));
          rule.name = rule.name.replace(pattern, name + "-" + index);
          box.setAttribute("data-show-when", JSON.stringify(rule));
        } catch (e) { /* a rule that cannot be read leaves the field shown */ }
      });
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
    });
    updateButtons(container);
    applyConditions();
  }

  function updateButtons(container) {
    var count = rowsOf(container).length;
    var min = parseInt(container.getAttribute("data-min"), 10) || 0;
    var max = parseInt(container.getAttribute("data-max"), 10) || Infinity;
    var add = container.querySelector("[data-add-row]");
    if (add) { add.hidden = count >= max; }
    container.querySelectorAll("[data-remove-row]").forEach(function (button) { button.hidden = count <= min; });
  }

  function addRow(container) {
    var template = container.querySelector("[data-row-template]");
    var body = container.querySelector("[data-row-body]");
    body.appendChild(template.content.cloneNode(true));
    renumber(container);
    var rows = rowsOf(container);
    var first = rows[rows.length - 1].querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }

  function removeRow(container, button) {
    var row = button.closest("[data-row]");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.parentNode.removeChild(row);
    renumber(container);
    var target = next ? next.querySelector("input:not([type=hidden]), select, textarea") : container.querySelector("[data-add-row]");
    if (target) { target.focus(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row], [data-remove-row]");
    if (!button) { return; }
    var container = button.closest("[data-rows]");
    if (!container || !container.querySelector("[data-row-template]")) { return; }
    event.preventDefault();
    if (button.hasAttribute("data-add-row")) { addRow(container); } else { removeRow(container, button); }
  });

  // "Importera från fil": a file over the import limit is refused here, before the whole form
  // is sent; the server says the same next to the field, but a body over the portal's request
  // limit could not come back with what was typed.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-import-file]");
    var input = button && document.getElementById(button.getAttribute("data-import-file"));
    if (!input || !input.files || !input.files.length) { return; }
    var tooLarge = input.files[0].size > (parseInt(input.getAttribute("data-max-bytes"), 10) || Infinity);
    var message = document.getElementById(input.id + "-too-large");
    if (message) { message.hidden = !tooLarge; }
    if (!tooLarge) { return; }
    event.preventDefault();
    input.setAttribute("aria-invalid", "true");
    if (message && (input.getAttribute("aria-describedby") || "").indexOf(message.id) < 0) {
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + message.id).trim());
    }
    input.focus();
  });

  // "Avsluta ärendet": a dialog asks, and a yes goes straight to the status change. Without
  // JavaScript the form leads to a confirmation page instead.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (!form) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); return; }
    form.setAttribute("action", form.getAttribute("data-confirmed-action"));
  });

  /* Conditional fields: the server draws every one with a line saying when to fill it in and
     drops answers whose condition does not hold; here they are also hidden while it does not. */
  function answersOf(form, name) {
    var values = [];
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.name !== name) { return; }
      // An answer given on another step of the form travels as a hidden input (data-carried);
      // a ticked box posts "y", which the rules read as true.
      if (el.type === "hidden") { if (el.hasAttribute("data-carried")) { values.push(el.value === "y" ? "true" : el.value); } return; }
      if (el.type === "checkbox" && el.value === "y") { values.push(el.checked ? "true" : "false"); }
      else if (el.type === "checkbox" || el.type === "radio") { if (el.checked) { values.push(el.value); } }
      else if (el.value !== "") { values.push(el.value); }
    });
    return values;
  }

  function ruleHolds(rule, form) {
    var answers = answersOf(form, rule.name);
    var holds = answers.length === 0 ? rule.whenBlank
      : answers.some(function (value) { return rule.values.indexOf(value) >= 0; });
    return rule.negate ? !holds : holds;
  }

  function applyConditions() {
    document.querySelectorAll("[data-show-when]").forEach(function (box) {
      var rule;
      try { rule = JSON.parse(box.getAttribute("data-show-when")); } catch (e) { return; }
      box.hidden = !ruleHolds(rule, box.closest("form") || document);
    });
  }

  document.addEventListener("change", applyConditions);
  document.addEventListener("input", applyConditions);

  document.addEventListener("DOMContentLoaded", function () {
    applyConditions();
    document.querySelectorAll("[data-rows]").forEach(updateButtons);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();

/* BankID waiting page: collect every 2 s, and a new QR code every second while it is shown.
   Without JavaScript the "Fortsätt" button and a reload do the same. */
(function () {
  "use strict";
  var box = document.querySelector("[data-bankid-poll]");
  if (!box || !window.fetch) { return; }
  var pollUrl = box.getAttribute("data-bankid-poll");
  var qrUrl = box.getAttribute("data-bankid-qr");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var message = box.querySelector("[data-bankid-message]");
  var qrBox = box.querySelector("[data-bankid-qr-box]");
  var qrImage = box.querySelector("[data-bankid-qr-img]");
  var stopped = false;

  var fetchingQr = false;

  // Fetch the next code and swap it in as a data: URL once it has arrived, so the code on
  // screen never blanks out while a phone reads it, each code is downloaded once, and a slow
  // answer never piles up requests behind it.
  function refreshQr() {
    if (stopped || fetchingQr || !qrImage || (qrBox && qrBox.hidden)) { return; }
    fetchingQr = true;
    fetch(qrUrl + "?t=" + Date.now(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (svg) {
        if (svg && !stopped) { qrImage.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg); }
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { fetchingQr = false; });
  }

  function poll() {
    if (stopped) { return; }
    fetch(pollUrl, { method: "POST", credentials: "same-origin",
                     headers: { "Accept": "application/json", "X-CSRFToken": token } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.status === "complete" && answer.redirect) { stopped = true; window.location.assign(answer.redirect); return; }
        if (answer.status !== "pending") { stopped = true; window.location.reload(); return; }
        if (message && answer.message && message.textContent !== answer.message) { message.textContent = answer.message; }
        if (qrBox && !answer.qr) { qrBox.hidden = true; }
      })
      .catch(function () { /* the next tick tries again; the button still works */ });
  }

  window.setInterval(refreshQr, 1000);
  window.setInterval(poll, 2000);
})();
