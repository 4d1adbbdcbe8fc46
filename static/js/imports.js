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
