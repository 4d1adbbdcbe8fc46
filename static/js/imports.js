// Runs an import to its end: posts "next chunk" again and again (each one request, one transaction) and moves
// the progress bar; at the end the page is loaded again to show the summary and the refused rows.
// Without script the page's Continue button posts one chunk at a time.
(function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box || !window.fetch || box.dataset.status === "done") return;
  const $ = (id) => document.getElementById(id);
  const bar = $("import-bar"), state = $("import-state"), problem = $("import-error");
  const continueForm = $("import-continue");
  const number = (value) => Number(value).toLocaleString("en-US");
  const RETRY_MS = 1500, MAX_RETRIES = 5;
  let retries = 0;

  function show(progress) {
    bar.max = progress.total_rows;
    bar.value = progress.done_rows;
    $("import-done").textContent = number(progress.done_rows);
    $("import-total").textContent = number(progress.total_rows);
    $("import-created").textContent = number(progress.created);
    $("import-duplicates").textContent = number(progress.duplicates);
    $("import-failed").textContent = number(progress.failed);
  }

  function stop(message) {
    state.textContent = "Paused";
    problem.textContent = message + " Press Continue to go on from where it stopped.";
    problem.hidden = false;
    if (continueForm) continueForm.hidden = false;
  }

  async function next() {
    let response;
    try {
      response = await fetch(box.dataset.chunkUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRFToken": box.dataset.csrf},
      });
    } catch (error) {
      return retry("The connection dropped.");
    }
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (response.ok && body) {
      retries = 0;
      show(body);
      if (body.status === "done") { state.textContent = "Imported"; window.location.reload(); return; }
      return next();
    }
    const message = body && body.error ? body.error.message : "The server answered " + response.status + ".";
    if (response.status === 503 || response.status >= 500) return retry(message);
    return stop(message);
  }

  function retry(message) {
    retries += 1;
    if (retries > MAX_RETRIES) return stop(message);
    window.setTimeout(next, RETRY_MS);
  }

  if (continueForm) continueForm.hidden = true;
  next();
})();

// The columns of a file (an import's mapping page, a list for an audience): each column still needed is marked at
// its select in plain words (data-need-text), and the form's button (data-needs-button: Import, Assign) waits,
// with a line saying what is still missing, until every needed column is chosen, updated as columns are picked.
// Without script the server refuses with the same words at the same selects.
(function () {
  "use strict";
  const form = document.querySelector("form[data-needs-button]");
  if (!form) return;
  const needs = new Map();  // the id of the select a need is marked at -> {text, short, selects that meet it}
  form.querySelectorAll("select[data-need]").forEach(function (select) {
    const key = select.dataset.need;
    if (!needs.has(key)) needs.set(key, {text: select.dataset.needText, short: select.dataset.needShort, selects: []});
    needs.get(key).selects.push(select);
  });
  const lead = form.dataset.needsLead || "Still to choose";
  const source = form.querySelector("select[name=source]");

  function button() {
    return form.querySelector('button[name="' + form.dataset.needsButton + '"]');
  }

  function statusLine(pressed) {
    let line = document.getElementById(form.dataset.needsStatus || "needs-missing");
    if (!line && pressed) {  // a page that has no line of its own for it gets one below its button
      line = document.createElement("p");
      line.className = "error needs-status";
      line.id = "needs-missing";
      line.setAttribute("role", "status");
      (pressed.closest(".actions") || pressed).insertAdjacentElement("afterend", line);
      pressed.setAttribute("aria-describedby", line.id);
    }
    return line;
  }

  function mark(key, need, unmet) {
    const select = document.getElementById(key);
    const box = select && select.closest(".field");
    if (!box) return;
    let note = Array.from(box.querySelectorAll("p.error")).find((p) => p.textContent.trim() === need.text);
    if (unmet && !note) {
      note = document.createElement("p");
      note.className = "error";
      note.id = key + "-need";
      note.textContent = need.text;
      box.appendChild(note);
    }
    if (note) note.hidden = !unmet;
    const said = Array.from(box.querySelectorAll("p.error")).filter((p) => !p.hidden);
    box.classList.toggle("has-error", said.length > 0);
    select.setAttribute("aria-invalid", said.length ? "true" : "false");
    if (said.length) select.setAttribute("aria-describedby", said.map((p) => p.id).join(" "));
    else select.removeAttribute("aria-describedby");
  }

  function update() {
    const missing = [];
    needs.forEach(function (need, key) {
      const unmet = !need.selects.some((select) => select.value !== "");
      mark(key, need, unmet);
      if (unmet) missing.push(need.short);
    });
    let say = "";
    if (source && form.dataset.source && source.value !== form.dataset.source) {
      say = "Press Update preview to see the columns of this kind of file, then import.";
    } else if (missing.length) {
      say = lead + ": " + missing.join(", ") + ".";
    }
    const pressed = button();
    if (pressed) pressed.disabled = Boolean(say);
    const line = statusLine(pressed);
    if (line) {
      line.textContent = say;
      line.hidden = !say;
    }
  }

  form.addEventListener("change", update);
  update();
})();
