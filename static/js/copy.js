// A Copy button for a value shown once (a new API token): <button data-copy="input-id" hidden>. The clipboard API
// copies it where the page may (HTTPS or localhost); otherwise the value is selected for the person to copy.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    const input = document.getElementById(button.dataset.copy);
    const note = document.getElementById(button.dataset.copy + "-note");
    if (!input) return;
    button.hidden = false;
    function say(text) { if (note) note.textContent = text; }
    function selectAll() {
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
    }
    button.addEventListener("click", function () {
      const fallback = function () {
        selectAll();
        let copied = false;
        try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
        say(copied ? "Copied. Keep it somewhere safe." : "Selected: press Ctrl+C (or ⌘C) to copy it.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () {
          button.textContent = "Copied";
          say("Copied. Keep it somewhere safe.");
        }, fallback);
      } else {
        fallback();
      }
    });
    input.addEventListener("focus", selectAll);
  });
})();
