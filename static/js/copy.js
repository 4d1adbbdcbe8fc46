// Copy and Share buttons for a value shown in a read-only input (a new API token, a campaign's claim link):
// <button data-copy="input-id" hidden> copies it with the clipboard API where the page may (HTTPS or localhost),
// otherwise selects it for the person to copy; what it says then is data-copied (else a token's advice) in
// #<input-id>-note. <button data-share="input-id" data-share-text="…" hidden> opens the device's share sheet
// (navigator.share) and stays hidden where there is none. Without script the input is there to copy by hand.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    const input = document.getElementById(button.dataset.copy);
    const note = document.getElementById(button.dataset.copy + "-note");
    if (!input) return;
    const copied = button.dataset.copied || "Copied. Keep it somewhere safe.";
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
        let done = false;
        try { done = document.execCommand("copy"); } catch (error) { done = false; }
        say(done ? copied : "Selected: press Ctrl+C (or ⌘C) to copy it.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () {
          button.textContent = "Copied";
          say(copied);
        }, fallback);
      } else {
        fallback();
      }
    });
    input.addEventListener("focus", selectAll);
  });

  document.querySelectorAll("button[data-share]").forEach(function (button) {
    const input = document.getElementById(button.dataset.share);
    if (!input || typeof navigator.share !== "function") return;
    const shared = {url: input.value, text: button.dataset.shareText || undefined};
    if (navigator.canShare && !navigator.canShare(shared)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share(shared).catch(function () { /* closed without sharing: nothing to say */ });
    });
  });
})();
