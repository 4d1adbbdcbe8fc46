// The desk without a network: what this device knows (vouchers it saw redeemed, and on request the list of
// vouchers still valid, as short hashes), the queue of scans made offline (IndexedDB, so a reload or a closed
// browser keeps them), sending them in order when the network returns, and the refusals staff must see. A check
// (no redemption) answers from what the device knows and queues nothing. desk.js asks it through window.deskOffline.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("desk-data").textContent);
  const $ = (id) => document.getElementById(id);
  const LIST_WANTED = "reciprocate.desk.offlineList";
  const LIST_EVERY_MS = 5 * 60 * 1000, RETRY_MS = 20 * 1000, PROBE_MS = 4 * 1000, SEEN_DAYS = 8;

  // ---- IndexedDB, in promises. ----
  const opened = new Promise((resolve, reject) => {
    const request = indexedDB.open("reciprocate-desk", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});  // scans to send, in order
      db.createObjectStore("refused", {keyPath: "id"});                    // refusals staff have not seen
      db.createObjectStore("seen", {keyPath: "hash"});                     // codes seen redeemed here
      db.createObjectStore("meta", {keyPath: "key"});                      // the valid-voucher list
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function run(stores, mode, work) {
    const db = await opened;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      let value;
      Promise.resolve(work(tx, (request) => new Promise((ok, fail) => {
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      }))).then((result) => { value = result; }, reject);
      tx.oncomplete = () => resolve(value);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }
  const all = (store) => run([store], "readonly", (tx, done) => done(tx.objectStore(store).getAll()));

  // ---- Hashes, as campaigns/desk/offline_list.py makes them. ----
  async function sha256(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- The list of valid vouchers, kept only when staff ask for it. ----
  let list = null, index = null;  // index: hash -> campaign

  function indexList(kept) {
    list = kept;
    index = new Map();
    if (!kept) return;
    for (const campaign of kept.campaigns) {
      for (let at = 0; at < campaign.hashes.length; at += kept.hash_chars) {
        index.set(campaign.hashes.slice(at, at + kept.hash_chars), campaign);
      }
    }
  }

  const wanted = () => localStorage.getItem(LIST_WANTED) === "yes";

  async function downloadList() {
    if (!wanted() || !online()) return;
    try {
      const response = await fetch(data.offlineListUrl, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok || response.redirected) return;
      const kept = await response.json();
      await run(["meta"], "readwrite", (tx, done) => done(tx.objectStore("meta").put({key: "list", ...kept})));
      indexList(kept);
    } catch (e) { /* the list kept before stays */ }
    paint();
  }

  async function setWanted(yes) {
    if (yes) {
      localStorage.setItem(LIST_WANTED, "yes");
      await downloadList();
    } else {
      localStorage.removeItem(LIST_WANTED);
      await run(["meta"], "readwrite", (tx, done) => done(tx.objectStore("meta").delete("list")));
      indexList(null);
      paint();
    }
  }

  // ---- Codes seen redeemed on this device (online or offline): refused again at once. ----
  async function markSeen(code, at) {
    const hash = await sha256(code);
    await run(["seen"], "readwrite", (tx, done) => done(tx.objectStore("seen").put({hash, at: at || new Date().toISOString()})));
  }

  async function forget(code) {
    const hash = await sha256(code);
    await run(["seen"], "readwrite", (tx, done) => done(tx.objectStore("seen").delete(hash)));
  }

  async function seenAt(code) {
    const hash = await sha256(code);
    const found = await run(["seen"], "readonly", (tx, done) => done(tx.objectStore("seen").get(hash)));
    return found ? found.at : null;
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  const localDay = () => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); };

  // What this device knows of a well-formed code: seen redeemed here, no list kept, not on the list, or the
  // campaign it is on (over, not started yet, or fine).
  async function know(code) {
    const seen = await seenAt(code);
    if (seen) return {seen};
    if (!list) return {noList: true};
    const campaign = index.get((await sha256(list.salt + code)).slice(0, list.hash_chars));
    if (!campaign) return {unlisted: true};
    const today = localDay();
    if (campaign.ends_on && today > campaign.ends_on) return {campaign, over: true};
    if (campaign.starts_on && today < campaign.starts_on) return {campaign, early: true};
    return {campaign};
  }

  // What the device can say about a well-formed code with no network: {kind, verdict, detail, queue, give}.
  async function judge(code) {
    const known = await know(code), campaign = known.campaign;
    if (known.seen) {
      return {kind: "bad", verdict: "Already redeemed on this device", detail: "Scanned " + clock(known.seen) + ". Hand nothing over.",
              queue: false};
    }
    if (known.noList) {
      return {kind: "offline", verdict: "Offline: looks valid, give it", detail: "Will be confirmed when back online.",
              queue: true};
    }
    if (known.unlisted) {
      return {kind: "unsure", verdict: "Offline: not on this device's list",
              detail: "The list is from " + clock(list.generated_at) + ": this voucher may be used, cancelled or new. " +
                      "Hand it over only if you trust it.", queue: false};
    }
    if (known.over) {
      return {kind: "bad", verdict: "Expired", detail: "The offer ended on " + campaign.ends_on + ". Hand nothing over.", queue: false};
    }
    if (known.early) {
      return {kind: "bad", verdict: "Offer not started", detail: "Valid from " + campaign.starts_on + ".", queue: false};
    }
    return {kind: "offline", verdict: "Offline: looks valid. " + campaign.give,
            detail: "On this device's list. Will be confirmed when back online.", queue: true, give: campaign.give};
  }

  // What a check (no redemption) says with no network, from what the device knows; nothing is queued or kept.
  // {tone: ok | bad | unsure, verdict, detail, give?, redeemable}: redeemable when "Redeem now" may follow.
  async function check(code) {
    const known = await know(code), campaign = known.campaign;
    const listed = list ? " (list from " + clock(list.generated_at) + ")" : "";
    if (known.seen) {
      return {tone: "bad", verdict: "Already redeemed on this device", detail: "Scanned " + clock(known.seen) + ".",
              redeemable: false};
    }
    if (known.noList) {
      return {tone: "unsure", verdict: "Offline: cannot check", redeemable: true,
              detail: "Not redeemed on this device, and it keeps no list of valid vouchers. " +
                      "Redeeming now would be confirmed when back online."};
    }
    if (known.unlisted) {
      return {tone: "unsure", verdict: "Offline: not on this device's list", redeemable: false,
              detail: "This voucher may be used, cancelled or new" + listed + "."};
    }
    if (known.over) {
      return {tone: "bad", verdict: "Expired", detail: "The offer ended on " + campaign.ends_on + ".", give: campaign.give,
              redeemable: false};
    }
    if (known.early) {
      return {tone: "bad", verdict: "Not valid yet", detail: "Valid from " + campaign.starts_on + ".", give: campaign.give,
              redeemable: false};
    }
    return {tone: "ok", verdict: "Offline: valid, not redeemed", give: campaign.give, redeemable: true,
            detail: "On this device's list of valid vouchers" + listed + "."};
  }

  // Keep a scan to send later (its id makes a second sending of it a repeat, never a second redemption).
  async function queue(scan) {
    await run(["queue"], "readwrite", (tx, done) => done(tx.objectStore("queue").add({...scan, user: data.user})));
    await markSeen(scan.code, scan.scanned_at);
    paint();
  }

  // ---- Sending the queue, in order, one at a time, when the network is back. ----
  let syncing = false, retryTimer = null, loggedOut = false;

  // ---- Online means the server answers: a connected Wi-Fi with no way out, or a browser that still says
  // "online", counts as offline until a request gets through. ----
  let reachable = navigator.onLine, probeTimer = null;
  const online = () => navigator.onLine && reachable;

  function reached(yes) {
    const was = reachable;
    reachable = yes;
    clearTimeout(probeTimer);
    if (!yes) probeTimer = setTimeout(probe, PROBE_MS);
    if (yes && !was) { sync(); downloadList(); }
    if (yes !== was) paint();
  }

  async function probe() {
    if (!navigator.onLine) { reached(false); return; }
    try { await freshCsrf(); } catch (e) { reached(false); }
  }

  async function freshCsrf() {
    const response = await fetch(data.todayUrl, {credentials: "same-origin", headers: {Accept: "application/json"}});
    reached(true);
    const json = response.ok && !response.redirected && (response.headers.get("Content-Type") || "").includes("json");
    if (!json) { loggedOut = true; return null; }
    loggedOut = false;
    return (await response.json()).csrf;
  }

  // What the server said, without the advice for the counter (it was handed over already).
  function refusalWords(status, error) {
    return window.deskWords ? window.deskWords(error, status)[0] : error.message || "Refused";
  }

  async function sendOne(scan, csrf) {
    let response;
    try {
      response = await fetch(data.redeemUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({code: scan.code, scanned_at: scan.scanned_at, scan_id: scan.id,
                              device_time: new Date().toISOString(), ...(scan.location ? {location: scan.location} : {})}),
      });
    } catch (e) {
      reached(false);
      return "stop";  // offline again, or the answer was lost: the same scan goes again later
    }
    if (response.status === 401 || response.status === 403 || response.redirected) { loggedOut = true; return "stop"; }
    if (response.ok) {
      await run(["queue"], "readwrite", (tx, done) => done(tx.objectStore("queue").delete(scan.seq)));
      told(scan, "sent", null);
      return "sent";
    }
    let error = {};
    try { error = (await response.json()).error || {}; } catch (e) { /* not JSON: a proxy's page */ }
    if (response.status === 429 || response.status >= 500 || !error.code || error.code === "busy") return "stop";
    const refusal = {id: scan.id, code: scan.code, scanned_at: scan.scanned_at, location: scan.location || null,
                     reason: error.code, words: refusalWords(response.status, error), refused_at: new Date().toISOString()};
    await run(["queue", "refused"], "readwrite", (tx, done) => {
      tx.objectStore("refused").put(refusal);
      return done(tx.objectStore("queue").delete(scan.seq));
    });
    told(scan, "refused", refusal.words);
    return "refused";
  }

  // Tell the page what became of a sent scan (it may still show that scan's offline answer).
  function told(scan, outcome, words) {
    window.dispatchEvent(new CustomEvent("desk:sent", {detail: {id: scan.id, outcome, words}}));
  }

  async function drain() {
    const csrf = await freshCsrf();
    if (!csrf) return;
    for (const scan of (await all("queue")).filter((s) => s.user === data.user)) {
      const outcome = await sendOne(scan, csrf);
      paint();
      if (outcome === "stop") { clearTimeout(retryTimer); retryTimer = setTimeout(sync, RETRY_MS); return; }
    }
    if (window.deskRefresh) window.deskRefresh();
    downloadList();  // the list loses what was just redeemed
  }

  async function sync() {
    if (syncing || !navigator.onLine) return;
    if (!(await all("queue")).some((scan) => scan.user === data.user)) return;
    syncing = true;
    paint();
    try {
      // One tab of this device sends at a time; the scan ids keep even two sendings apart.
      if (navigator.locks) await navigator.locks.request("reciprocate-desk-sync", drain);
      else await drain();
    } catch (e) {
      reached(false);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(sync, RETRY_MS);
    } finally {
      syncing = false;
      paint();
    }
  }

  async function acknowledge(id) {
    await run(["refused"], "readwrite", (tx, done) => done(id ? tx.objectStore("refused").delete(id) : tx.objectStore("refused").clear()));
    paint();
  }

  // ---- What staff see: online or not, scans waiting, the list, and refusals to acknowledge. ----
  let painting = Promise.resolve();
  function paint() { painting = painting.then(repaint, repaint); return painting; }

  async function repaint() {
    const [waiting, refused] = await Promise.all([all("queue"), all("refused")]);
    const mine = waiting.filter((s) => s.user === data.user).length, others = waiting.length - mine;
    const state = $("desk-network");
    const up = online();
    state.className = "desk-network " + (up ? "is-online" : "is-offline");
    $("desk-network-state").textContent = up ? "Online" : "Offline";
    let note = "";
    if (mine) note = (syncing && up ? "sending " : "") + mine + (mine === 1 ? " scan waiting" : " scans waiting");
    if (loggedOut && mine) note += ": log in again to send them";
    if (others) note += (note ? " · " : "") + others + " waiting for another user to log in";
    $("desk-waiting").textContent = note;
    $("desk-waiting").hidden = !note;

    const keep = $("offline-list-toggle");
    keep.setAttribute("aria-pressed", String(wanted()));
    keep.textContent = wanted() ? "Stop keeping the offline list" : "Keep valid vouchers for offline use";
    $("offline-list-state").textContent = list ? list.count.toLocaleString() + " valid vouchers kept, updated " +
                                                 clock(list.generated_at) : (wanted() ? "Downloading the list…" : "");

    const box = $("offline-refusals");
    box.hidden = refused.length === 0;
    $("offline-refusals-count").textContent = refused.length === 1 ? "1 offline scan was refused when sent"
                                                                    : refused.length + " offline scans were refused when sent";
    const items = $("offline-refusals-list");
    items.replaceChildren(...refused.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at)).map((refusal) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      const code = document.createElement("strong");
      code.className = "offline-refusal-code";
      code.textContent = refusal.code.replace(/(.{4})(?=.)/g, "$1-");
      text.append(code, document.createElement("br"), "Scanned offline at " + clock(refusal.scanned_at) + ". " + refusal.words);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn";
      button.textContent = "Seen";
      button.dataset.refusal = refusal.id;
      button.setAttribute("aria-label", "Seen: " + refusal.code);
      item.append(text, button);
      return item;
    }));
  }

  $("offline-refusals").addEventListener("click", (event) => {
    const button = event.target.closest("[data-refusal]");
    if (button) acknowledge(button.dataset.refusal);
    else if (event.target.closest("#offline-refusals-all")) acknowledge(null);
  });
  $("offline-list-toggle").addEventListener("click", () => setWanted(!wanted()));
  window.addEventListener("online", () => { paint(); probe(); });
  window.addEventListener("offline", () => reached(false));

  // ---- Start: the kept list, the service worker, and anything left to send. ----
  async function start() {
    const kept = await run(["meta"], "readonly", (tx, done) => done(tx.objectStore("meta").get("list")));
    indexList(kept || null);
    const cutoff = new Date(Date.now() - SEEN_DAYS * 86400000).toISOString();
    const old = (await all("seen")).filter((row) => row.at < cutoff);
    await run(["seen"], "readwrite", (tx) => old.forEach((row) => tx.objectStore("seen").delete(row.hash)));
    await paint();
    await probe();
    if (online()) { sync(); downloadList(); }
    setInterval(() => { if (online()) downloadList(); }, LIST_EVERY_MS);
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(data.serviceWorkerUrl, {scope: data.scope}).catch(() => { /* online only */ });
  }
  const ready = start();
  window.deskOffline = {ready, judge, check, queue, markSeen, forget, sync, paint, online, reached,
                        waiting: () => all("queue")};
})();
