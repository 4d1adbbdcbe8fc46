// Makes a voucher batch with a progress bar: the server streams one JSON line per chunk it inserts.
(function () {
  "use strict";
  const form = document.getElementById("batch-form");
  if (!form || !window.fetch || !window.TextDecoder) return;  // without these the form posts normally
  const box = document.getElementById("batch-progress");
  const bar = box.querySelector("progress");
  const text = document.getElementById("batch-progress-text");
  const button = form.querySelector("button[type=submit]");

  function report(line) {
    if (line.error) throw new Error(line.error);
    if (line.finished) { window.location.assign(line.redirect); return; }
    bar.max = line.total;
    bar.value = line.done;
    text.textContent = line.done.toLocaleString("en-US") + " of " + line.total.toLocaleString("en-US") + " vouchers made";
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    box.hidden = false;
    text.textContent = "Starting…";
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: {"Accept": "application/x-ndjson"}, credentials: "same-origin",
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let pending = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        pending += decoder.decode(value, {stream: true});
        const lines = pending.split("\n");
        pending = lines.pop();
        lines.filter(Boolean).forEach(function (raw) { report(JSON.parse(raw)); });
      }
      if (pending.trim()) report(JSON.parse(pending));
    } catch (error) {
      text.textContent = "Nothing was made: " + error.message;
      box.classList.add("progress-error");
      button.disabled = false;
    }
  });
})();
