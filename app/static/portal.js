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
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
    });
    updateButtons(container);
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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rows]").forEach(updateButtons);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
