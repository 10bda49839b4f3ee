// Accord console: confirm consequential forms, copy one-time secrets. No other behaviour.
"use strict";

(function () {
  // Forms with data-confirm ask before they submit (deactivate, revoke, remove).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  // Buttons with data-copy="#id" copy that element's text; hidden until this script runs.
  function setUpCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) return;
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      button.hidden = false;
      button.addEventListener("click", function () {
        copy((source.innerText || source.textContent).trim()).then(
          function () {
            if (status) status.textContent = "Copied to the clipboard.";
          },
          function () {
            if (status) status.textContent = "Could not copy; select the text and copy it.";
          }
        );
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpCopyButtons);
  } else {
    setUpCopyButtons();
  }
})();
