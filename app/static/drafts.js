/* Utkast with JavaScript: the case form saves itself as a draft a moment after each change and
   before the session's idle timeout, warns before that timeout, and "Spara utkast" saves without
   leaving the page. Without JavaScript the button posts the form to the draft address, and the
   server answers with the draft's page. The server answers this script in JSON (header X-Utkast). */
(function () {
  "use strict";
  var box = document.querySelector("[data-draft]");
  if (!box || !window.fetch || !window.FormData) { return; }
  var form = box.closest("form");
  var status = box.querySelector("[data-draft-status]");
  var warning = box.querySelector("[data-draft-warning]");
  var warningText = box.querySelector("[data-draft-warning-text]");
  var url = box.getAttribute("data-draft-url");
  var idleSeconds = parseFloat(box.getAttribute("data-idle-seconds")) || 1800;
  // Warn five minutes before the timeout and save two minutes before (proportionally less when
  // the timeout is short), so a save is done while the session still lives.
  var warnAfter = idleSeconds - Math.min(300, idleSeconds / 2);
  var saveAfter = idleSeconds - Math.min(120, idleSeconds / 4);
  var DEBOUNCE_MS = 1500;
  var dirty = false, saving = false, again = false, ended = false, savedOnce = false, tokenRenewed = false;
  var debounceTimer = null, clockTimers = [];

  function say(text) { status.textContent = text; }

  function answer(response) {
    if (response.type === "opaqueredirect") {  // the login page: the session has ended
      throw new Error("Du är utloggad, så utkastet kunde inte sparas. Det du har skrivit finns kvar på sidan.");
    }
    var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    if (!isJson) { throw new Error("Utkastet kunde inte sparas just nu. Försök igen om en stund."); }
    return response.json().then(function (body) {
      if (body.csrf_token && !tokenRenewed) {  // the page's token had expired: take a fresh one, save again once
        form.querySelector("input[name=csrf_token]").value = body.csrf_token;
        tokenRenewed = again = true;
      }
      if (!response.ok) { throw new Error(body.message); }
      tokenRenewed = false;
      return body;
    });
  }

  function save() {
    if (ended) { return; }
    if (saving) { again = true; return; }
    saving = true;
    dirty = false;
    window.clearTimeout(debounceTimer);
    fetch(url, { method: "POST", body: typedAnswers(), credentials: "same-origin",
                 headers: { "X-Utkast": "1" }, redirect: "manual" })
      .then(answer)
      .then(function (body) { savedOnce = true; say(body.message); startIdleClock(); })
      .catch(function (error) { dirty = true; say(error.message); })
      .then(function () {
        saving = false;
        if (again) { again = false; save(); }
      });
  }

  // What was typed, without chosen files (a row import's spreadsheet): a draft keeps answers,
  // and sending the file with every save would only cost time and the request size limit.
  // What an autosave sends: the form without its chosen files. Files go with "Skicka in" or
  // "Spara utkast" (each would otherwise be stored again at every save); the files already
  // stored go along as the references their "Behåll" boxes hold, under the same name as the
  // file input, so only the File values are left out, not the name.
  function typedAnswers() {
    var data = new FormData();
    new FormData(form).forEach(function (value, name) {
      if (!(window.File && value instanceof window.File)) { data.append(name, value); }
    });
    return data;
  }

  function changed() {
    if (ended) { return; }
    dirty = true;
    window.clearTimeout(debounceTimer);
    debounceTimer = window.setTimeout(save, DEBOUNCE_MS);
  }

  function minutesText(seconds) {
    var minutes = Math.max(1, Math.round(seconds / 60));
    return minutes === 1 ? "en minut" : minutes + " minuter";
  }

  function warn() {
    warningText.textContent = "Du loggas ut om " + minutesText(idleSeconds - warnAfter) +
      " om du inte gör något. Det du har skrivit sparas som utkast.";
    warning.hidden = false;
  }

  function end() {
    ended = true;
    warningText.textContent = "Du har loggats ut eftersom sidan inte har använts på en stund. " +
      (savedOnce ? "Ditt utkast finns under Mina sidor, Utkast, när du har loggat in igen."
                 : "Tryck på Spara utkast så sparas det du har skrivit, och logga sedan in igen.");
    var stay = box.querySelector("[data-draft-stay]");
    if (stay) { stay.hidden = true; }
    warning.hidden = false;
  }

  function startIdleClock() {
    clockTimers.forEach(window.clearTimeout);
    warning.hidden = true;
    clockTimers = [
      window.setTimeout(warn, warnAfter * 1000),
      window.setTimeout(function () { if (dirty) { save(); } }, saveAfter * 1000),
      window.setTimeout(end, idleSeconds * 1000),
    ];
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-draft-save], [data-draft-stay], [data-add-row], [data-remove-row]");
    if (!button) { return; }
    if (button.hasAttribute("data-draft-save") || button.hasAttribute("data-draft-stay")) {
      // After the end the button posts the form as it does without JavaScript: the server keeps
      // the answers as this person's draft and leads to logging in (app/views/kept.py).
      if (ended && button.hasAttribute("data-draft-save")) { return; }
      event.preventDefault();
      save();
    } else {
      window.setTimeout(changed, 0);  // after the row script has added or removed the row
    }
  });
  startIdleClock();  // the page itself was a request: the session's clock starts now
})();
