// Moves each running send's progress bar: asks the API for the send's progress every 1.5 s (with this page's
// session and CSRF token) until it is done or cancelled, then stops. Without script the page shows where each
// send stood when it was loaded; reloading it shows more.
(function () {
  "use strict";
  if (!window.fetch) return;
  const number = (value) => Number(value).toLocaleString("en-US");
  const STATES = {queued: "Queued", sending: "Sending…", done: "Done", cancelled: "Cancelled"};
  const EVERY_MS = 1500;

  function follow(box) {
    const bar = box.querySelector("progress");
    async function poll() {
      let body = null;
      try {
        const response = await fetch(box.dataset.sendUrl, {
          credentials: "same-origin", headers: {"Accept": "application/json", "X-CSRFToken": box.dataset.csrf},
        });
        if (response.ok) body = await response.json();
      } catch (error) {
        body = null;  // the connection dropped: try again at the next tick
      }
      if (body) {
        bar.max = body.total;
        bar.value = body.sent + body.failed + body.cancelled;  // each has come to an end, for now
        box.querySelector(".send-sent").textContent = number(body.sent);
        box.querySelector(".send-failed").textContent = number(body.failed);
        box.querySelector(".send-cancelled").textContent = number(body.cancelled);
        box.querySelector(".send-state").textContent = STATES[body.status] || body.status;
        box.dataset.status = body.status;
        const cancel = box.querySelector(".send-cancel");
        const late = Date.now() > Date.parse(box.dataset.cancelUntil);
        if (cancel && (late || body.status === "done" || body.status === "cancelled")) cancel.hidden = true;
        if (body.status === "done" || body.status === "cancelled") return;
      }
      window.setTimeout(poll, EVERY_MS);
    }
    window.setTimeout(poll, EVERY_MS);
  }

  document.querySelectorAll(".send-progress").forEach(function (box) {
    if (box.dataset.status === "queued" || box.dataset.status === "sending") follow(box);
  });
})();
