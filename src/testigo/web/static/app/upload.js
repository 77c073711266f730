/*
 * testigo upload page: photograph an acta, read its QR code on the phone, queue it, send it.
 *
 * Why it is built this way: witnesses upload from cheap phones on bad networks, sometimes while the
 * site is throttled. So every photo goes first into IndexedDB (closing the tab loses nothing), its
 * QR code is read right here with zxing-wasm (the witness learns at once whether the photo is
 * usable and which mesa it is, even offline), and a sender retries with exponential back-off until
 * the server confirms the photo's SHA-256. Without JavaScript the plain form still uploads.
 *
 * The queue belongs to the account logged in: each account has its own IndexedDB database, so on a
 * phone passed from one witness to another nobody sends the previous person's photos under their
 * own name. The browser is asked to keep that storage (navigator.storage.persist), since Android
 * otherwise evicts it when space runs low, and a photo above the server's size limit is refused at
 * once rather than queued to fail later.
 *
 * The phone keeps nothing about a photo once the server has confirmed it: the queue holds unsent
 * photos only, and a confirmed one (its blob, its mesa, its time, its SHA-256) is deleted from it
 * at once; what became of it is shown from memory while the page is open, and is gone with it. A
 * seized phone shows no history of uploads. Logging out, or "clear this phone", removes the rest
 * (phone.js). Each outcome is shown in its own colour with what to do next: an unreadable photo
 * must be taken again, a duplicate need not be sent again, a conflict waits for a reviewer.
 */
(function () {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form || !window.indexedDB || !window.fetch || !window.Blob) return;
  document.documentElement.classList.add("js");

  const messages = JSON.parse(form.dataset.messages);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const photo = document.getElementById("photo");
  const reading = document.getElementById("reading");
  const list = document.getElementById("queue");
  const empty = document.getElementById("queue-empty");
  const network = document.getElementById("network");

  const MAX_BACKOFF_MS = 5 * 60 * 1000;
  const POLL_MS = 5000;
  const OFFLINE_CACHE = "testigo-upload-v1";  // the same name as in upload-sw.js
  const MAX_BYTES = Number(form.dataset.maxBytes) || Infinity;
  const QUEUE_DB = "testigo-uploads-" + form.dataset.account;  // one queue per account

  function t(key, params) {
    return (messages[key] || key).replace(/\{(\w+)\}/g, (_, name) => (params && name in params ? params[name] : ""));
  }

  // --- IndexedDB: the queue survives reloads, crashes and closed tabs -------------------------------------------

  let wiped = false;
  const db = new Promise((resolve, reject) => {
    const request = indexedDB.open(QUEUE_DB, 2);  // 2: also repairs a database created without its store
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains("queue")) request.result.createObjectStore("queue", { keyPath: "id" });
    };
    request.onsuccess = () => {
      const handle = request.result;
      handle.onversionchange = () => handle.close();  // the database is being deleted (logout): let it go
      resolve(handle);
    };
    request.onerror = () => reject(request.error);
  });
  window.addEventListener("testigo-wipe", () => {
    wiped = true;
    db.then((handle) => handle.close()).catch(() => {});
  });

  /** Photos that left the queue (confirmed or refused), shown while the page is open and never stored. */
  const done = new Map();

  function transaction(mode, work) {
    if (wiped) return Promise.resolve(mode === "readonly" ? [] : undefined);
    return db.then((handle) => new Promise((resolve, reject) => {
      const tx = handle.transaction("queue", mode);
      const request = work(tx.objectStore("queue"));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    }));
  }

  const save = (item) => transaction("readwrite", (store) => store.put(item));
  const load = (id) => transaction("readonly", (store) => store.get(id));
  const remove = (id) => transaction("readwrite", (store) => store.delete(id));
  /** Change a stored photo in one transaction, and only while it is stored (resolves to it, or undefined): a
   * load and a save apart let the sender remove a confirmed photo between them, and the save put it back. */
  const update = (id, change) => transaction("readwrite", (store) => {
    const request = store.get(id);
    request.onsuccess = () => { if (request.result) store.put(change(request.result)); };
    return request;
  });
  const everything = () => transaction("readonly", (store) => store.getAll());

  // --- reading the QR code in the phone ---------------------------------------------------------------------------

  let zxingModule = null;

  /** The QR reader's WebAssembly, fetched and compiled once; started with the page, so it is ready offline. */
  function zxing() {
    if (!zxingModule) {
      const wasm = form.dataset.wasm;
      zxingModule = window.ZXingWASM.prepareZXingModule({
        overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
        fireImmediately: true,
      });
      zxingModule.catch(() => { zxingModule = null; });  // offline before it loaded: try again next photo
    }
    return zxingModule;
  }

  async function downscaled(blob, side) {
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return context.getImageData(0, 0, canvas.width, canvas.height);
  }

  /** {state: "read", acta} | {state: "other"} | {state: "none"}; never throws (reading is only a hint). */
  async function readQr(blob) {
    if (!window.ZXingWASM || !window.createImageBitmap) return { state: "none" };
    const options = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 4 };
    const texts = [];
    try {
      await zxing();
      // a smaller copy first (tens of milliseconds, and enough for nearly every photo), then the whole photo
      for (const input of [await downscaled(blob, 2400), blob]) {
        const found = await window.ZXingWASM.readBarcodes(input, options);
        texts.push(...found.filter((r) => r.isValid).map((r) => r.text));
        if (texts.length) break;
      }
    } catch (error) {
      return { state: "none" };
    }
    const acta = texts.find((text) => /^\d{9}\.\d{2}\.\d+\.\d+!/.test(text));
    if (acta) return { state: "read", acta: acta.split("!")[0] };
    return { state: texts.length ? "other" : "none" };
  }

  function mesaOf(acta) {
    return acta.split(".").slice(0, 2).join(".");
  }

  function showReading(item, url) {
    reading.hidden = false;
    reading.className = "reading " + (item.qr ? (item.qr.state === "read" ? "ok" : "warn") : "");
    reading.replaceChildren();
    if (url) {
      const image = document.createElement("img");
      image.src = url;
      image.alt = "";
      reading.append(image);
    }
    const text = document.createElement("p");
    text.id = "qr-result";
    if (!item.qr) text.textContent = t("qr_reading");
    else if (item.qr.state === "read") text.textContent = t("qr_read", { mesa: mesaOf(item.qr.acta) });
    else text.textContent = t(item.qr.state === "other" ? "qr_other" : "qr_none");
    reading.append(text);
    if (item.qr && item.qr.state === "read") nameCenter(mesaOf(item.qr.acta), reading);
  }

  /** When online, add the voting center's name, so the witness sees the photo is of the right mesa. */
  async function nameCenter(mesa, where) {
    if (!navigator.onLine) return;
    try {
      const response = await fetch("/api/v1/mesas/" + encodeURIComponent(mesa));
      if (!response.ok) return;
      const areas = (await response.json()).areas;
      const center = document.createElement("p");
      center.className = "center";
      center.textContent = areas.map((area) => area.name).join(" › ");
      where.append(center);
    } catch (error) {
      // the name is a convenience; the reading itself is already shown
    }
  }

  // --- taking photos ----------------------------------------------------------------------------------------------

  async function sha256Hex(buffer) {
    if (!window.crypto || !crypto.subtle) return null;  // plain http: the server's hash alone confirms
    const digest = await crypto.subtle.digest("SHA-256", buffer);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  /** Refuse at once what the server would refuse for its size, instead of queuing it to fail later. */
  function tooBig(file) {
    if (file.size <= MAX_BYTES) return false;
    reading.hidden = false;
    reading.className = "reading warn";
    const text = document.createElement("p");
    text.id = "qr-result";
    const mb = (bytes) => String(Math.round(bytes / 1e5) / 10);  // 20000000 → "20", as the page and docs say
    text.textContent = (file.name || "") + ": " + t("q_too_big", { size: mb(file.size), max: mb(MAX_BYTES) });
    reading.replaceChildren(text);
    return true;
  }

  async function enqueue(file) {
    if (tooBig(file)) return;
    const buffer = await file.arrayBuffer();
    const item = {
      id: newId(), name: file.name || "acta.jpg", size: file.size, type: file.type,
      blob: new Blob([buffer], { type: file.type }), sha256: await sha256Hex(buffer),
      qr: null, state: "queued", attempts: 0, nextAt: 0, addedAt: Date.now(), server: null, note: null,
    };
    await save(item);  // from here on the photo survives a closed tab
    const url = URL.createObjectURL(item.blob);
    showReading(item, url);
    await render();
    pump();
    item.qr = await readQr(item.blob);
    // the sender may have moved it on meanwhile, even out of the queue while this was being written
    const stored = await update(item.id, (current) => Object.assign(current, { qr: item.qr }));
    if (!stored && done.has(item.id)) done.get(item.id).qr = item.qr;
    showReading(item, url);
    await render();
  }

  form.addEventListener("submit", (event) => event.preventDefault());
  photo.required = false;
  photo.addEventListener("change", async () => {
    const files = Array.from(photo.files);
    photo.value = "";
    for (const file of files) await enqueue(file);
  });

  // --- sending, with back-off, until the server confirms the SHA-256 ---------------------------------------------

  let pumping = null;
  let timer = null;

  function backoff(item, retryAfterSeconds) {
    item.attempts += 1;
    const exponential = Math.min(MAX_BACKOFF_MS, 2000 * 2 ** Math.min(item.attempts, 10));
    const jittered = exponential * (0.5 + Math.random() / 2);
    item.nextAt = Date.now() + (retryAfterSeconds ? retryAfterSeconds * 1000 : jittered);
    item.state = "queued";
  }

  async function send(item) {
    item.state = "sending";
    await save(item);
    await render();
    const body = new FormData();
    body.append("file", item.blob, item.name);
    body.append("upload_id", item.id);
    if (item.sha256) body.append("sha256", item.sha256);
    let response;
    try {
      response = await fetch(form.dataset.api, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
      });
    } catch (error) {
      backoff(item);  // offline, or the connection dropped mid-way
      item.note = null;
      return settle(item);
    }
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (response.ok && data.sha256 && (!item.sha256 || data.sha256 === item.sha256)) {
      item.state = "confirmed";
      item.server = data;
      item.note = null;
      return forget(item);  // the server holds it now: nothing of it stays on the phone
    } else if (response.status === 401 || response.status === 403) {
      item.note = t("q_login");
      backoff(item, 60);
    } else if ([413, 415, 422].includes(response.status)) {
      item.state = "failed";
      item.note = data.detail || String(response.status);
      return forget(item);  // refused for good: sending it again cannot help, a new photo can
    } else {
      backoff(item, Number(response.headers.get("Retry-After")) || 0);  // 429, 5xx, damaged transfer
      item.note = null;
    }
    return settle(item);
  }

  /** Save what sending learnt, keeping the QR reading if it finished while the request was in flight. */
  async function settle(item) {
    const current = await load(item.id);
    if (current && current.qr && !item.qr) item.qr = current.qr;
    return save(item);
  }

  /** Move a photo out of the stored queue into the page's memory: its blob, mesa, time and hash leave the phone. */
  async function forget(item) {
    const current = await load(item.id);
    if (current && current.qr && !item.qr) item.qr = current.qr;
    item.blob = null;
    done.set(item.id, item);
    await remove(item.id);
    window.dispatchEvent(new Event("testigo-queue-changed"));
  }

  /** Send what is due, one photo at a time; a call while sending waits for the run in progress. */
  function pump() {
    if (!pumping) pumping = run().finally(() => { pumping = null; }).then(schedule);
    return pumping;
  }

  async function run() {
    {
      for (;;) {
        if (!navigator.onLine) break;
        const due = (await everything()).filter((item) => item.state === "queued" && item.nextAt <= Date.now());
        if (!due.length) break;
        due.sort((a, b) => a.addedAt - b.addedAt);
        await send(due[0]);
        await render();
      }
      await poll();
    }
  }

  function stillReading() {
    return Array.from(done.values()).filter((item) => item.state === "confirmed" && item.server && item.server.state === "pending");
  }

  /** Ask again about confirmed uploads the server was still reading (known from memory only). */
  async function poll() {
    const waiting = stillReading();
    for (const item of waiting) {
      try {
        const response = await fetch("/api/v1/uploads/" + encodeURIComponent(item.id), { credentials: "same-origin" });
        if (response.ok) item.server = await response.json();
      } catch (error) {
        return;
      }
    }
    if (waiting.length) await render();
  }

  async function schedule() {
    clearTimeout(timer);
    const items = await everything();
    const queued = items.filter((item) => item.state === "queued");
    const polling = stillReading().length > 0;
    if (!queued.length && !polling) return;
    const next = queued.length ? Math.min(...queued.map((item) => item.nextAt)) : Date.now() + POLL_MS;
    timer = setTimeout(pump, Math.max(500, Math.min(next - Date.now(), polling ? POLL_MS : Infinity)));
  }

  // --- showing the queue --------------------------------------------------------------------------------------------

  /** What the witness should do about each outcome (the next step, not only the verdict). */
  const NEXT = {
    accepted: "next_accepted", duplicate: "next_duplicate", conflict: "next_conflict",
    unreadable: "next_unreadable", invalid: "next_invalid", rejected: "next_rejected", pending: "next_pending",
  };

  function line(item) {
    const li = document.createElement("li");
    const outcome = item.state === "confirmed" && item.server ? item.server.status : null;
    li.className = item.state + (outcome ? " outcome outcome-" + outcome : "");
    li.dataset.id = item.id;
    const title = document.createElement("span");
    const when = new Date(item.addedAt).toLocaleTimeString();
    title.textContent = when + " · " + (item.qr && item.qr.state === "read" ? mesaOf(item.qr.acta) : item.name);
    const state = document.createElement("span");
    state.className = "state";
    let text = t("q_" + item.state);
    if (item.state === "queued" && item.attempts) {
      text += " · " + t("q_retry", { seconds: Math.max(0, Math.round((item.nextAt - Date.now()) / 1000)) });
    }
    if (item.state === "confirmed" && item.server) {
      text += " · " + t("status_" + item.server.status) + (item.server.mesa ? " · " + item.server.mesa : "");
    }
    state.textContent = text;
    li.append(title, state);
    if (item.sha256 || (item.server && item.server.sha256)) {
      const hash = document.createElement("code");
      hash.textContent = "sha256 " + (item.sha256 || item.server.sha256).slice(0, 16) + "…";
      li.append(hash);
    }
    if (outcome && NEXT[outcome]) {
      const next = document.createElement("p");
      next.className = "next";
      next.textContent = t(NEXT[outcome]);
      li.append(next);
    }
    if (item.note) {
      const note = document.createElement("small");
      note.textContent = item.note;
      li.append(note);
    }
    return li;
  }

  async function render() {
    const stored = await everything();
    const items = [...stored, ...done.values()].sort((a, b) => b.addedAt - a.addedAt);
    window.dispatchEvent(new Event("testigo-queue-changed"));  // "clear this phone" says how many would go
    list.replaceChildren(...items.map(line));
    empty.hidden = items.length > 0;
    network.textContent = t(navigator.onLine ? "online" : "offline");
    network.className = "network " + (navigator.onLine ? "online" : "offline");
  }

  async function start() {
    const items = await everything();
    for (const item of items) {
      if (item.state === "sending") {  // the tab closed mid-request: the server dedupes a resend
        item.state = "queued";
        await save(item);
      } else if (item.state === "confirmed" || item.state === "failed") {
        await remove(item.id);  // kept by an older version of this page: nothing confirmed stays on the phone
      }
    }
    await render();
    pump();
    if (window.ZXingWASM) zxing().catch(() => {});
    if (new URLSearchParams(location.search).get("then") === "logout") sendAllThen(() => window.testigoPhone.logout());
  }

  /**
   * Send every queued photo now, then call `after` once none is left (the logout that offered to send them
   * first). If the network is down or the server refuses, `after` is not called: the photos stay, and the
   * page says so.
   */
  async function sendAllThen(after) {
    // A send already in flight (a retry that the old network will fail) would put its photo back into
    // back-off after this call made it due, and a pump joined mid-run ends without trying it again: wait for
    // that run, then make everything due and start a run of our own.
    if (pumping) await pumping.catch(() => {});
    for (const item of await everything()) {
      if (item.state === "queued") {
        item.nextAt = 0;
        await save(item);
      }
    }
    await pump();
    // a run the timer started just before the reset may have found nothing due: run again while any is due
    const due = (item) => item.state === "queued" && item.nextAt <= Date.now();
    while (navigator.onLine && (await everything()).some(due)) await pump();
    if ((await everything()).length === 0) {
      after();
      return;
    }
    reading.hidden = false;
    reading.className = "reading warn";
    const text = document.createElement("p");
    text.id = "qr-result";
    text.textContent = t("q_still_unsent");
    reading.replaceChildren(text);
  }
  window.testigoUploads = { sendAllThen };

  /** The network is back: what waited for it is due now, whatever its back-off said. */
  async function reconnected() {
    for (const item of await everything()) {
      if (item.state === "queued") {
        item.nextAt = 0;
        await save(item);
      }
    }
    await render();
    pump();
  }

  /** Keep this page and what it loads in the service worker's cache, so it opens with no network. */
  async function keepForOffline() {
    if (!navigator.serviceWorker || !window.caches) return;
    await navigator.serviceWorker.register("/upload-sw.js", { scope: "/upload" });
    const assets = [location.href, form.dataset.wasm,
      ...Array.from(document.scripts, (script) => script.src).filter(Boolean),
      ...Array.from(document.querySelectorAll('link[rel="stylesheet"]'), (link) => link.href)];
    const cache = await caches.open(OFFLINE_CACHE);
    await cache.addAll(assets);
  }

  /** Ask the browser not to evict the queue when the phone runs short of space (granted or not, go on). */
  function keepQueue() {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  }

  window.addEventListener("online", reconnected);
  keepQueue();
  window.addEventListener("offline", render);
  keepForOffline().catch(() => {});  // without it the page still works, only not opened offline
  start();
})();
