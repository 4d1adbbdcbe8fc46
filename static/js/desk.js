// The front desk: scan (keyboard-wedge scanner, typing, or camera), show yes or no across the screen,
// then attach the customer, record a purchase, or undo. Talks to the JSON API with the page's session.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("desk-data").textContent);
  const csrf = data.csrf;
  const $ = (id) => document.getElementById(id);
  const form = $("scan-form"), input = $("scan-input"), result = $("result");
  const locationSelect = $("desk-location");
  const LOCATION_KEY = "reciprocate.desk.location";
  const CODE_CHARS = /[0-9A-HJKMNP-TV-Z]/g;
  const RESULT_CLASSES = ["has-result-ok", "has-result-bad", "has-result-neutral"];
  let current = null;       // the last successful redemption, for attach / purchase / undo
  let busy = false;
  let autoTimer = null;

  // The location is remembered on this device.
  const saved = localStorage.getItem(LOCATION_KEY);
  if (saved && [...locationSelect.options].some((o) => o.value === saved)) locationSelect.value = saved;
  locationSelect.addEventListener("change", () => { localStorage.setItem(LOCATION_KEY, locationSelect.value); focusInput(); });

  function focusInput() { input.focus({preventScroll: true}); }

  // What a scanner or a person typed, read as a code: from a voucher URL, any case, separators ignored.
  function codeOf(text) {
    const url = String(text).match(/\/v\/([^/?#\s]+)/);
    const raw = (url ? url[1] : String(text)).toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
    return (raw.match(CODE_CHARS) || []).join("");
  }

  async function call(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body),
    });
    let payload = {};
    try { payload = await response.json(); } catch (e) { payload = {error: {message: "The server answered " + response.status + "."}}; }
    return {ok: response.ok, status: response.status, payload};
  }

  function show(kind, verdict, detail, code) {
    result.hidden = false;
    result.className = "result result-" + kind;
    $("result-verdict").textContent = verdict;
    $("result-detail").textContent = detail || "";
    $("result-ok-actions").hidden = kind !== "ok";
    $("result-link").href = data.voucherUrl.replace("CODE", encodeURIComponent(code || "-"));
    $("attach-note").textContent = "";
    $("purchase-note").textContent = "";
    $("purchase-form").hidden = true;
    document.body.classList.remove(...RESULT_CLASSES);
    document.body.classList.add("has-result-" + kind);
  }

  function clearResult() {
    result.hidden = true;
    document.body.classList.remove(...RESULT_CLASSES);
    focusInput();
  }

  async function refreshToday() {
    try {
      const counts = await (await fetch(data.todayUrl, {credentials: "same-origin"})).json();
      $("count-mine").textContent = counts.mine;
      $("count-all").textContent = counts.everyone;
    } catch (e) { /* counts refresh on the next scan */ }
  }

  async function redeem(text) {
    const code = codeOf(text);
    if (!code || busy) return;
    busy = true;
    input.value = "";
    focusInput();
    try {
      const body = {code: text.trim(), device_time: new Date().toISOString()};
      if (locationSelect.value) body.location = locationSelect.value;
      const {ok, payload} = await call(data.redeemUrl, body);
      if (ok) {
        current = payload;
        const who = payload.customer ? " · " + (payload.customer.name || payload.customer.email || payload.customer.phone) : "";
        show("ok", payload.give, payload.campaign.name + who, payload.code);
        $("purchase-form").hidden = !payload.customer;
        refreshToday();
      } else {
        current = null;
        const error = payload.error || {};
        show("bad", error.message || "Not valid.", explain(error), code);
      }
    } catch (e) {
      show("bad", "No answer from the server.", "Check the connection and scan again.", code);
    } finally {
      busy = false;
      focusInput();
    }
  }

  function explain(error) {
    switch (error.code) {
      case "already_redeemed": return "Do not hand it over again.";
      case "invalid_code": return "Scan again, or type the code carefully.";
      case "unknown_code": return "This is not one of our vouchers.";
      case "expired": return "The offer is over.";
      case "campaign_not_active": return "This voucher cannot be used right now.";
      case "void": return "This voucher was cancelled.";
      case "rate_limited": return "Too many failed scans: wait a minute.";
      default: return "";
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(autoTimer); redeem(input.value); });

  // Scanners that send no Enter: submit once a whole code has arrived and the keystrokes stop.
  input.addEventListener("input", () => {
    clearTimeout(autoTimer);
    if (!result.hidden) { result.hidden = true; document.body.classList.remove(...RESULT_CLASSES); }
    autoTimer = setTimeout(() => { if (codeOf(input.value).length === 13) redeem(input.value); }, 300);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { clearResult(); return; }
    // Keystrokes from a scanner land in the scan box even when another control has focus.
    const typing = event.target.closest && event.target.closest("input, select, textarea");
    if (!typing && event.key.length === 1 && !event.ctrlKey && !event.metaKey) focusInput();
  });
  $("next-button").addEventListener("click", clearResult);

  $("attach-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const contact = $("attach-contact").value.trim();
    const body = {code: current.code};
    body[contact.includes("@") ? "email" : "phone"] = contact;
    const {ok, payload} = await call(data.attachUrl, body);
    if (ok) {
      current.customer = payload.customer;
      $("attach-note").textContent = "Attached: later purchases of this customer count for the campaign.";
      $("attach-contact").value = "";
      $("purchase-form").hidden = false;
    } else {
      $("attach-note").textContent = (payload.error && payload.error.message) || "Could not attach.";
    }
  });

  let purchaseId = null, purchaseTime = null;
  $("purchase-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    // One id per purchase typed: a retry after a lost answer is recognised, not counted twice.
    purchaseId = purchaseId || ("desk-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random()));
    purchaseTime = purchaseTime || new Date().toISOString();
    const body = {code: current.code, amount: $("purchase-amount").value.trim(), external_id: purchaseId,
                  occurred_at: purchaseTime, location: locationSelect.value};
    const {ok, payload} = await call(data.purchaseUrl, body);
    if (ok) {
      $("purchase-note").textContent = "Recorded " + data.currency + " " + payload.amount + ".";
      $("purchase-amount").value = "";
      purchaseId = purchaseTime = null;
    } else {
      $("purchase-note").textContent = (payload.error && payload.error.message) || "Could not record it.";
      if (payload.error && payload.error.code === "invalid_input") purchaseId = purchaseTime = null;
    }
  });

  $("undo-button").addEventListener("click", async () => {
    if (!current) return;
    const reason = window.prompt("Why undo this redemption?", "Scanned by mistake");
    if (!reason) return;
    const {ok, payload} = await call(data.undoUrl, {redemption_id: current.redemption_id, code: current.code, reason});
    if (ok) {
      show("neutral", "Redemption undone", "The voucher can be used again.", current.code);
      current = null;
      refreshToday();
    } else {
      $("attach-note").textContent = (payload.error && payload.error.message) || "Could not undo.";
    }
  });

  // Camera scanning with the barcode-detector package (zxing-wasm), loaded from our own static folder.
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
      scanFrames(video);
    } catch (error) {
      $("camera-status").textContent = "The camera could not start (" + error.message + "). Type the code or use a scanner.";
    }
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    $("camera").hidden = true;
    cameraButton.setAttribute("aria-pressed", "false");
    cameraButton.textContent = "Camera";
    focusInput();
  }

  async function scanFrames(video) {
    while (stream) {
      try {
        const found = await detector.detect(video);
        const value = found.length ? found[0].rawValue : "";
        const now = Date.now();
        // The same code held in front of the camera is one scan, not many.
        if (value && !(value === lastSeen.value && now - lastSeen.at < 4000)) {
          lastSeen = {value, at: now};
          await redeem(value);
        } else if (value) {
          lastSeen.at = now;
        }
      } catch (e) { /* a frame that could not be read: try the next one */ }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  cameraButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));
  focusInput();
})();
