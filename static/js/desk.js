// The front desk: scan (keyboard-wedge scanner, typing, or camera), show yes or no across the screen,
// then attach the customer, record a purchase, or undo. A scan redeems at once; "Check only" makes the next scan
// a look-up that redeems nothing (its answer is a light card, never the full-screen green), with "Redeem now" on
// a valid voucher. Talks to the JSON API with the page's session.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("desk-data").textContent);
  const csrf = data.csrf;
  const $ = (id) => document.getElementById(id);
  const form = $("scan-form"), input = $("scan-input"), result = $("result");
  const LOCATION_KEY = "reciprocate.desk.location";
  const RESULT_CLASSES = ["has-result-ok", "has-result-bad", "has-result-neutral", "has-result-offline",
                          "has-result-unsure", "has-result-check"];
  let current = null;       // the last successful redemption, for attach / purchase / undo
  let checked = null;       // the code of the check on screen, when "Redeem now" may redeem it
  let checking = false;     // "Check only" is on: the next scan is a look-up
  let busy = false;
  let autoTimer = null;

  // ---- Codes, read exactly as campaigns/codes.py reads them, so a typo never reaches the server. ----
  const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford base 32
  const CODE_LENGTH = 13;                               // 12 characters and the check character
  // Python's \s (str.isspace) and - _ . : what a person or a scanner may put between the characters.
  const SEPARATORS = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-_.]+/g;
  const URL_CODE = /\/v\/([^/?#]+)/;
  const EXP = new Array(62), LOG = new Array(32);  // GF(32) with the primitive polynomial x^5 + x^2 + 1
  for (let i = 0, x = 1; i < 31; i++) {
    EXP[i] = x; LOG[x] = i;
    x <<= 1;
    if (x & 0x20) x ^= 0x25;
  }
  for (let i = 31; i < 62; i++) EXP[i] = EXP[i - 31];
  const gfMul = (a, b) => (a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]]);

  // The check character of a 12-character body: the sum of value * alpha^position, positions 1..12.
  function checkCharacter(body) {
    let total = 0;
    for (let position = 1; position <= body.length; position++) {
      total ^= gfMul(EXP[position % 31], ALPHABET.indexOf(body[position - 1]));
    }
    return ALPHABET[total];
  }

  // Read what was typed or scanned (a code or a voucher URL): {code} when it is one, else {problem, …}.
  function readCode(text) {
    const found = URL_CODE.exec(String(text || ""));
    const raw = found ? found[1] : String(text || "");
    const candidate = raw.replace(SEPARATORS, "").toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
    if (!candidate) return {problem: "empty"};
    const wrong = [...new Set([...candidate].filter((ch) => !ALPHABET.includes(ch)))].sort();
    if (wrong.length) return {problem: "characters", wrong};
    if (candidate.length !== CODE_LENGTH) return {problem: "length", length: candidate.length};
    if (checkCharacter(candidate.slice(0, -1)) !== candidate.slice(-1)) return {problem: "typo"};
    return {code: candidate};
  }
  window.deskCodes = {read: readCode, checkCharacter};  // for tests comparing with the server's reading

  // ---- What the desk says: short and plain. ----
  const TYPO = ["One character looks wrong", "Check the code."];

  function problemWords(read) {
    if (read.problem === "typo") return TYPO;
    if (read.problem === "length") {
      return [read.length < CODE_LENGTH ? "Code too short" : "Code too long",
              "A code has 13 characters; this one has " + read.length + "."];
    }
    return ["Not a voucher code", read.wrong.length <= 2 ? "Codes have no " + read.wrong.join(" or ") + "."
                                                         : "Scan the voucher's QR code or type its code."];
  }

  function refusalWords(error, status) {
    const details = error.details || {};
    switch (error.code) {
      case "already_redeemed":
        return ["Already redeemed " + (details.summary || "earlier") + ".", "Do not hand it over again."];
      case "invalid_code": return TYPO;
      case "unknown_code": return ["Not one of our vouchers", "Check the code."];
      case "void": return ["Cancelled voucher", "Hand nothing over."];
      case "expired": return [error.message || "Expired", "Hand nothing over."];
      case "campaign_not_active": {
        const state = details.campaign_status;
        if (state === "paused") return ["Offer paused", "Hand nothing over for now."];
        if (state === "ended") return ["Offer ended", "Hand nothing over."];
        if (state === "draft") return ["Offer not started", "Hand nothing over yet."];
        return [error.message || "Not valid yet", "Hand nothing over yet."];
      }
      case "unknown_location": return ["Choose the location again", "That location is closed."];
      case "rate_limited": return ["Too many wrong codes", "Wait a minute, then try again."];
      case "busy": return ["Busy", "Scan again."];
      case "unauthorized": return ["Logged out", "Reload the page and log in again."];
      case "forbidden": return ["Not allowed", "Your account may not redeem."];
      default: return [error.message || "Not valid (" + status + ")", ""];
    }
  }

  // A refused action's words: what is wrong with each field, or the message.
  function errorWords(payload, fallback) {
    const error = (payload && payload.error) || {};
    const fields = (error.details && error.details.fields) || {};
    const said = Object.values(fields).filter((v) => typeof v === "string");
    return said.length ? said.join(" ") : (error.message || fallback);
  }

  const who = (customer) => [customer.name, customer.email, customer.phone].filter(Boolean).join(" · ");

  // ---- The location: chosen once on this device, never guessed. ----
  const locations = data.locations || [];
  let place = null;
  const saved = localStorage.getItem(LOCATION_KEY);
  if (locations.length === 1) place = locations[0];
  else if (saved && locations.includes(saved)) place = saved;

  function showLocation() {
    $("desk-location").hidden = !place;
    $("desk-location-name").textContent = place || "";
    $("desk-location-change").hidden = locations.length < 2;
  }

  function askLocation(why) {
    const chooser = $("location-chooser");
    chooser.hidden = false;
    chooser.querySelector(".hint").textContent = why || "Asked once: this device remembers it.";
    const buttons = [...chooser.querySelectorAll("[data-location]")];
    buttons.forEach((button) => button.setAttribute("aria-pressed", String(button.dataset.location === place)));
    (buttons.find((button) => button.dataset.location === place) || buttons[0]).focus();
  }

  $("location-chooser").addEventListener("click", (event) => {
    const button = event.target.closest("[data-location]");
    if (!button) return;
    place = button.dataset.location;
    localStorage.setItem(LOCATION_KEY, place);
    $("location-chooser").hidden = true;
    showLocation();
    focusInput();
    if (input.value) input.select();
  });
  $("desk-location-change").addEventListener("click", () => askLocation("Which location is this device at?"));
  showLocation();
  if (locations.length > 1 && !place) askLocation();

  function focusInput() { input.focus({preventScroll: true}); }

  async function call(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify(body),
      });
    } catch (e) {
      return {ok: false, status: 0, payload: {error: {code: "offline", message: "No answer: check the connection."}}};
    }
    return answerOf(response);
  }

  // The server's answer to a request: its status and JSON body (a body that is not JSON says the status).
  async function answerOf(response) {
    let payload = {};
    try {
      payload = await response.json();
    } catch (e) {
      payload = {error: {message: "The server answered " + response.status + "."}};
    }
    return {ok: response.ok, status: response.status, payload};
  }

  function show(kind, verdict, detail, code) {
    shownScan = null;
    result.hidden = false;
    result.className = "result result-" + kind;
    $("result-verdict").textContent = verdict;
    $("result-detail").textContent = detail || "";
    $("result-ok-actions").hidden = kind !== "ok";
    $("result-unsure-actions").hidden = kind !== "unsure";
    $("result-mode").hidden = kind !== "check";
    $("check-facts").hidden = kind !== "check";
    $("result-check-actions").hidden = true;
    checked = null;
    $("result-link").hidden = !code;
    $("result-link").href = data.voucherUrl.replace("CODE", encodeURIComponent(code || "-"));
    $("attach-note").textContent = "";
    resetPurchase();
    $("purchase-amount").value = "";
    document.body.classList.remove(...RESULT_CLASSES);
    document.body.classList.add("has-result-" + kind);
    // The answer is what the screen shows, wherever the page was scrolled to.
    const box = $("result-verdict").getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) $("result-verdict").scrollIntoView({block: "center"});
  }

  function showCustomer(customer, justAttached) {
    const line = $("result-customer");
    line.hidden = !customer;
    line.textContent = customer ? (justAttached ? "Attached: " : "Customer: ") + who(customer) : "";
    $("attach-form").hidden = !!customer;
    $("purchase-form").hidden = !customer;
  }

  function hideResult() {
    result.hidden = true;
    document.body.classList.remove(...RESULT_CLASSES);
  }

  function clearResult() {
    hideResult();
    focusInput();
  }

  // A refusal leaves the code in the box, selected: the next scan or keystroke replaces it, or fix one character.
  function keepTyped(fromCamera) {
    if (fromCamera) return;
    focusInput();
    input.select();
  }

  window.deskWords = (error, status) => refusalWords(error, status);  // the offline queue's refusals say the same
  window.deskRefresh = () => refreshToday();

  async function refreshToday() {
    try {
      const counts = await (await fetch(data.todayUrl, {credentials: "same-origin"})).json();
      $("count-mine").textContent = counts.mine;
      $("count-all").textContent = counts.everyone;
    } catch (e) { /* counts refresh on the next scan */ }
  }

  async function redeem(text, fromCamera) {
    setChecking(false);
    if (busy) return;
    const read = readCode(text);
    if (read.problem === "empty") return;
    if (read.problem) {  // caught here: nothing is asked of the server
      current = null;
      const [verdict, detail] = problemWords(read);
      show("bad", verdict, detail, "");
      keepTyped(fromCamera);
      return;
    }
    if (locations.length > 1 && !place) {
      askLocation("First choose the location: the code waits in the box.");
      return;
    }
    busy = true;
    // Each scan has its own id and time: sent again (after a lost answer, or from the offline queue) it is the
    // same scan, never a second redemption.
    const scan = {id: newId(), code: read.code, scanned_at: new Date().toISOString(), location: place || null};
    try {
      if (!offline.online()) { await answerOffline(scan, fromCamera); return; }
      const body = {code: String(text).trim(), device_time: scan.scanned_at, scan_id: scan.id};
      if (place) body.location = place;
      const {ok, status, payload} = await call(data.redeemUrl, body);
      if (status === 0) { offline.reached(false); await answerOffline(scan, fromCamera); return; }
      offline.reached(true);
      if (ok) {
        current = payload;
        input.value = "";
        show("ok", payload.give, payload.campaign.name, payload.code);
        showCustomer(payload.customer, false);
        refreshToday();
        offline.markSeen(payload.code);
        offline.sync();  // anything scanned while the connection was gone goes now
        if (!fromCamera) focusInput();
      } else {
        current = null;
        const error = payload.error || {};
        const [verdict, detail] = refusalWords(error, status);
        if (error.code === "already_redeemed") offline.markSeen(read.code);
        show("bad", verdict, detail, error.code === "unknown_code" ? "" : read.code);
        keepTyped(fromCamera);
        if (error.code === "unknown_location") {
          place = null;
          localStorage.removeItem(LOCATION_KEY);
          showLocation();
          askLocation("That location is closed: choose the location again.");
        }
      }
    } finally {
      busy = false;
    }
  }

  // ---- No network: the device answers from what it knows, and queues the scan (desk_offline.js). ----
  const offline = window.deskOffline;
  let unsure = null;  // a scan not on the device's list, waiting for "give it anyway"
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(36).slice(2));

  let shownScan = null;  // the queued scan whose offline answer is on screen

  async function answerOffline(scan, fromCamera) {
    current = null;
    const said = await offline.judge(scan.code);
    if (said.queue) await offline.queue(scan);
    unsure = said.kind === "unsure" ? scan : null;
    if (said.queue) input.value = "";
    show(said.kind, said.verdict, said.detail, "");
    if (said.queue) shownScan = scan.id;
    if (said.queue) { if (!fromCamera) focusInput(); } else keepTyped(fromCamera);
  }

  $("give-anyway").addEventListener("click", async () => {
    if (!unsure) return;
    const scan = unsure;
    unsure = null;
    await offline.queue(scan);
    input.value = "";
    show("offline", "Offline: given", "Will be confirmed when back online.", "");
    shownScan = scan.id;
    focusInput();
  });

  // The offline answer on screen becomes the server's once its scan is sent.
  window.addEventListener("desk:sent", (event) => {
    const sent = event.detail;
    if (result.hidden || sent.id !== shownScan) return;
    shownScan = null;
    if (sent.outcome === "sent") {
      show("ok", "Confirmed", "Redeemed as scanned offline.", "");
      $("result-ok-actions").hidden = true;  // attach, record and undo need the voucher's page now
    } else {
      show("bad", "Refused when sent", sent.words, "");
    }
  });

  // ---- Check only: look the voucher up and say all there is to say, redeeming nothing. ----
  const checkButton = $("check-button"), redeemButton = $("redeem-button");

  function setChecking(on) {
    checking = on;
    form.classList.toggle("is-checking", on);
    checkButton.setAttribute("aria-pressed", String(on));
    checkButton.textContent = on ? "Cancel check" : "Check only";
    redeemButton.textContent = on ? "Check" : "Redeem";
    $("check-armed").hidden = !on;
  }

  // A campaign's day (YYYY-MM-DD) the business's way.
  function day(iso) {
    try {
      return new Intl.DateTimeFormat(String(data.locale || "en").replace("_", "-"), {dateStyle: "medium", timeZone: "UTC"})
        .format(new Date(iso + "T00:00:00Z"));
    } catch (e) {
      return iso;
    }
  }
  const printed = (code) => code.replace(/(.{4})(?=.)/g, "$1-");

  // A looked-up voucher's state in the desk's words: [tone, verdict, detail].
  function stateWords(voucher) {
    const campaign = voucher.campaign || {};
    switch (voucher.state) {
      case "valid": return ["ok", "Valid, not redeemed", "Nothing was redeemed. Tap Redeem now to hand it over."];
      case "redeemed":
        return ["bad", "Already redeemed", "Redeemed " + ((voucher.redemption && voucher.redemption.summary) || "earlier") + "."];
      case "void": return ["bad", "Cancelled voucher", "It was cancelled: it never redeems."];
      case "expired":
        return ["bad", "Expired", campaign.ends_on ? "The offer ended on " + day(campaign.ends_on) + "." : "The offer is over."];
      case "not_started":
        return ["bad", "Not valid yet", campaign.starts_on ? "Valid from " + day(campaign.starts_on) + "." : "The offer has not started."];
      case "draft": return ["bad", "Offer not started", "The campaign is still a draft."];
      case "paused": return ["bad", "Offer paused", "It redeems again once the campaign is resumed."];
      case "ended": return ["bad", "Offer ended", "The campaign was ended: its vouchers no longer redeem."];
      default: return ["bad", "Not valid", String(voucher.state || "")];
    }
  }

  // Show a check's answer: a light card marked "Check only", coloured by its tone (ok, bad, unsure), with what is
  // known as term and value rows; "Redeem now" when the checked code may be redeemed.
  function showCheck(answer) {
    show("check", answer.verdict, answer.detail, answer.link ? answer.code : "");
    result.classList.add("check-" + answer.tone);
    const facts = $("check-facts");
    facts.replaceChildren(...(answer.facts || []).filter((row) => row[1]).flatMap(([term, value]) => {
      const name = document.createElement("dt"), said = document.createElement("dd");
      name.textContent = term;
      said.textContent = value;
      return [name, said];
    }));
    facts.hidden = facts.children.length === 0;
    checked = answer.redeemable ? answer.code : null;
    $("result-check-actions").hidden = !checked;
  }

  async function lookUp(code) {
    let response;
    try {
      response = await fetch(data.lookupUrl.replace("CODE", encodeURIComponent(code)),
                             {credentials: "same-origin", headers: {Accept: "application/json", "X-CSRFToken": csrf}});
    } catch (e) {
      return {ok: false, status: 0, payload: {}};
    }
    return answerOf(response);
  }

  function checkAnswer(voucher) {
    const [tone, verdict, detail] = stateWords(voucher);
    const campaign = voucher.campaign || {};
    return {tone, verdict, detail, code: voucher.code, link: true, redeemable: voucher.state === "valid",
            facts: [["Offer", campaign.offer || campaign.name], ["Campaign", campaign.offer ? campaign.name : ""],
                    ["Customer", voucher.customer ? who(voucher.customer) : "none attached"],
                    ["Code", voucher.formatted || printed(voucher.code)]]};
  }

  // With no network the device answers from what it knows (desk_offline.js), and keeps nothing.
  async function checkOffline(code) {
    const said = await offline.check(code);
    showCheck({...said, code, link: false,
               facts: [["Offer", said.give ? said.give.replace(/^Give: /, "") : ""], ["Code", printed(code)]]});
  }

  async function check(text, fromCamera) {
    setChecking(false);  // one check, then scans redeem again
    if (busy) return;
    const read = readCode(text);
    if (read.problem === "empty") return;
    current = null;
    if (read.problem) {  // caught here: nothing is asked of the server
      const [verdict, detail] = problemWords(read);
      showCheck({tone: "bad", verdict, detail});
      keepTyped(fromCamera);
      return;
    }
    busy = true;
    try {
      if (!offline.online()) { await checkOffline(read.code); return; }
      const {ok, status, payload} = await lookUp(read.code);
      if (status === 0) { offline.reached(false); await checkOffline(read.code); return; }
      offline.reached(true);
      if (ok) showCheck(checkAnswer(payload));
      else {
        const [verdict, detail] = refusalWords(payload.error || {}, status);
        showCheck({tone: "bad", verdict, detail});
      }
    } finally {
      busy = false;
      keepTyped(fromCamera);
    }
  }

  // A scan, a typed code or a camera read: looked up when "Check only" is on, else redeemed at once.
  const scanned = (text, fromCamera) => (checking ? check(text, fromCamera) : redeem(text, fromCamera));

  $("redeem-now").addEventListener("click", () => { if (checked) redeem(checked, false); });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(autoTimer);
    if (event.submitter !== checkButton) { scanned(input.value, false); return; }
    // "Check only" checks what is in the box; with nothing there, it waits for the next scan (a second tap: not).
    if (checking || !input.value.trim()) setChecking(!checking);
    else check(input.value, false);
    focusInput();
  });

  // Scanners that send no Enter: submit once a whole code has arrived and the keystrokes stop.
  input.addEventListener("input", () => {
    clearTimeout(autoTimer);
    if (!result.hidden) hideResult();
    autoTimer = setTimeout(() => {
      const read = readCode(input.value);
      if (read.code || read.problem === "typo") scanned(input.value, false);
    }, 300);
  });

  document.addEventListener("keydown", (event) => {
    if (document.querySelector("dialog[open]")) return;  // the dialog has the keyboard
    if (event.key === "Escape") { setChecking(false); clearResult(); return; }
    // Keystrokes from a scanner land in the scan box even when another control has focus.
    const typing = event.target.closest && (event.target.closest("input, select, textarea") ||
                                            (event.key === " " && event.target.closest("button, a")));
    if (!typing && event.key.length === 1 && !event.ctrlKey && !event.metaKey) focusInput();
  });
  $("next-button").addEventListener("click", () => { clearResult(); input.value = ""; });

  // ---- After a green scan: attach the customer. ----
  $("attach-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const contact = $("attach-contact").value.trim();
    if (!contact) { $("attach-note").textContent = "Type an e-mail or a phone number."; return; }
    const body = {code: current.code};
    body[contact.includes("@") ? "email" : "phone"] = contact;
    const {ok, payload} = await call(data.attachUrl, body);
    if (ok) {
      current.customer = payload.customer;
      $("attach-contact").value = "";
      $("attach-note").textContent = "";
      showCustomer(payload.customer, true);
    } else {
      $("attach-note").textContent = errorWords(payload, "Could not attach.");
    }
  });

  // ---- Record a purchase: one id per sale typed, so a second tap is the same sale, never a second one. ----
  let sale = null;          // {id, time, amount} of the sale typed now
  let recording = false;

  function resetPurchase() {
    sale = null;
    $("purchase-confirm").hidden = true;
    $("purchase-note").textContent = "";
  }

  async function recordPurchase(confirmed) {
    if (!current || recording) return;
    const amount = $("purchase-amount").value.trim();
    if (!amount) { $("purchase-note").textContent = "Type the amount."; return; }
    if (!sale || sale.amount !== amount) {
      const id = "desk-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
      sale = {id, time: new Date().toISOString(), amount};
    }
    const body = {code: current.code, amount, external_id: sale.id, occurred_at: sale.time};
    if (place) body.location = place;
    if (confirmed) body.confirm_large = true;
    recording = true;
    $("purchase-button").disabled = true;
    try {
      const {ok, payload} = await call(data.purchaseUrl, body);
      $("purchase-confirm").hidden = true;
      if (ok) {
        $("purchase-note").textContent = payload.created ? "Recorded " + payload.shown + "." : "Already recorded.";
      } else if (payload.error && payload.error.code === "large_purchase") {
        $("purchase-note").textContent = payload.error.details.amount + " is more than usual.";
        $("purchase-confirm-button").textContent = "Yes, record " + payload.error.details.amount;
        $("purchase-confirm").hidden = false;
        $("purchase-confirm-button").focus();
      } else {
        $("purchase-note").textContent = errorWords(payload, "Could not record it.");
        if (payload.error && payload.error.code === "invalid_input") sale = null;
      }
    } finally {
      recording = false;
      $("purchase-button").disabled = false;
    }
  }

  $("purchase-form").addEventListener("submit", (event) => { event.preventDefault(); recordPurchase(false); });
  $("purchase-confirm-button").addEventListener("click", () => recordPurchase(true));
  $("purchase-amount").addEventListener("input", () => {
    $("purchase-confirm").hidden = true;
    $("purchase-note").textContent = "";
  });

  // ---- Undo, asked in the page: the reason has the focus, Enter undoes, Esc or "Keep redemption" keeps it. ----
  const undoDialog = $("undo-dialog"), reason = $("undo-reason");
  let undoing = false;

  $("undo-button").addEventListener("click", () => {
    if (!current) return;
    reason.value = "Scanned by mistake";
    $("undo-error").textContent = "";
    undoDialog.showModal();
    reason.focus();
    reason.select();  // typing replaces the usual reason
  });
  $("undo-keep").addEventListener("click", () => undoDialog.close());

  $("undo-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current || undoing) return;
    const why = reason.value.trim();
    if (!why) { $("undo-error").textContent = "Say why: the audit log keeps it."; reason.focus(); return; }
    undoing = true;
    $("undo-confirm").disabled = true;
    try {
      const {ok, payload} = await call(data.undoUrl, {redemption_id: current.redemption_id, code: current.code, reason: why});
      if (ok) {
        undoDialog.close();
        offline.forget(current.code);
        show("neutral", "Redemption undone", "The voucher can be used again.", current.code);
        current = null;
        refreshToday();
        focusInput();
      } else {
        $("undo-error").textContent = errorWords(payload, "Could not undo.");
      }
    } finally {
      undoing = false;
      $("undo-confirm").disabled = false;
    }
  });

  // ---- Camera scanning with the barcode-detector package (zxing-wasm), loaded from our own static folder. ----
  let stream = null, detector = null, lastSeen = {value: "", at: 0};
  const cameraButton = $("camera-button");

  function loadScanner() {
    if (window.BarcodeDetectionAPI) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = data.scannerScript;
      script.onload = resolve;
      script.onerror = () => reject(new Error("scanner script did not load"));
      document.head.appendChild(script);
    });
  }

  async function startCamera() {
    hideResult();  // the camera sits right under the scan box while it looks
    $("camera").hidden = false;
    cameraButton.setAttribute("aria-pressed", "true");
    cameraButton.textContent = "Stop camera";
    $("camera-status").textContent = "Starting the camera…";
    try {
      await loadScanner();
      const api = window.BarcodeDetectionAPI;
      api.prepareZXingModule({overrides: {locateFile: (path, prefix) => path.endsWith(".wasm") ? data.wasmUrl : prefix + path}});
      detector = new api.BarcodeDetector({formats: ["qr_code"]});
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
      const video = $("camera-video");
      video.srcObject = stream;
      await video.play();
      $("camera-status").textContent = "Point the camera at the voucher's QR code.";
      scanFrames(video, stream);
    } catch (error) {
      $("camera-status").textContent = "The camera did not start (" + error.message + "): type the code instead.";
    }
  }

  function stopCamera(focus) {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    $("camera-video").srcObject = null;
    $("camera").hidden = true;
    cameraButton.setAttribute("aria-pressed", "false");
    cameraButton.textContent = "Camera";
    if (focus) focusInput();
  }

  async function scanFrames(video, running) {
    while (stream === running) {
      try {
        const found = await detector.detect(video);
        const value = found.length ? found[0].rawValue : "";
        const now = Date.now();
        // The same code held in front of the camera is one scan, not many.
        if (value && stream === running && !(value === lastSeen.value && now - lastSeen.at < 4000)) {
          lastSeen = {value, at: now};
          stopCamera(false);  // one scan, then the answer fills the screen
          await scanned(value, true);
          return;
        } else if (value) {
          lastSeen.at = now;
        }
      } catch (e) { /* a frame that could not be read: try the next one */ }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  cameraButton.addEventListener("click", () => (stream ? stopCamera(true) : startCamera()));
  if ($("location-chooser").hidden) focusInput();
})();
