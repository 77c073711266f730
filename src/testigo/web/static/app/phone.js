/*
 * testigo on a volunteer's phone: leave nothing behind.
 *
 * In 2024 phones were seized and searched. So when a person logs out, or taps "clear this phone",
 * every trace of testigo on this browser goes: the upload queues (IndexedDB), the offline copy of
 * the upload page that names the account (Cache Storage), the service worker, and web storage.
 * The server's answer to the logout asks the browser to do the same (Clear-Site-Data), which also
 * covers the browser's HTTP cache; this script does it first, because it can also look at what
 * would be lost: photos not yet sent are never dropped silently. Logging out with unsent photos
 * asks first, and offers to send them; "clear this phone" says on its button how many would go.
 *
 * Loaded on every page of a logged-in person (base.html), so a logout from any page is covered.
 */
(function () {
  "use strict";

  const QUEUE_PREFIX = "testigo-uploads-";  // one IndexedDB database per account (upload.js)
  const CACHE_PREFIX = "testigo-";           // the offline copy of the upload page (upload-sw.js)
  const dialog = document.getElementById("leave-dialog");

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  /** The names of the upload queues on this browser (every account's: a shared phone must be cleaned whole). */
  async function queueNames() {
    const own = Array.from(document.querySelectorAll("form.logout"), (form) => QUEUE_PREFIX + form.dataset.account);
    if (!window.indexedDB) return [];
    if (indexedDB.databases) {
      const listed = (await indexedDB.databases()).map((db) => db.name).filter((name) => name && name.startsWith(QUEUE_PREFIX));
      return listed;
    }
    return Array.from(new Set(own));  // no listing (older browsers): the logged-in account's queue
  }

  /** How many photos wait in a queue (every item kept is unsent: confirmed ones are deleted at once). */
  async function countIn(name) {
    const opening = indexedDB.open(name);
    // never create a database here: opening one that does not exist would make an empty one, which the
    // upload page would then open without its store
    opening.onupgradeneeded = () => opening.transaction.abort();
    let db;
    try { db = await request(opening); } catch (error) { return 0; }
    try {
      if (!db.objectStoreNames.contains("queue")) return 0;
      return await request(db.transaction("queue", "readonly").objectStore("queue").count());
    } finally {
      db.close();
    }
  }

  async function unsent() {
    let total = 0;
    for (const name of await queueNames()) total += await countIn(name);
    return total;
  }

  /** Remove every trace of testigo from this browser. */
  async function wipe() {
    window.dispatchEvent(new Event("testigo-wipe"));  // upload.js closes its database so it can be deleted
    for (const name of await queueNames()) {
      await new Promise((resolve) => {
        const req = indexedDB.deleteDatabase(name);
        req.onsuccess = req.onerror = req.onblocked = () => resolve();
      });
    }
    if (window.caches) {
      for (const key of await caches.keys()) if (key.startsWith(CACHE_PREFIX)) await caches.delete(key);
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
    }
    try { localStorage.clear(); sessionStorage.clear(); } catch (error) { /* storage disabled: nothing kept */ }
  }

  function logoutForm() {
    return document.querySelector("form.logout");
  }

  async function leave(form) {
    await wipe().catch(() => {});
    form.dataset.checked = "1";
    form.submit();
  }

  function ask(form, count) {
    if (!dialog || !dialog.showModal) {  // a browser without <dialog>: the plain confirm box
      if (window.confirm(dialog ? dialog.querySelector("#leave-text").dataset.template.replace("{count}", count) : "")) leave(form);
      return;
    }
    const text = dialog.querySelector("#leave-text");
    text.textContent = text.dataset.template.replace("{count}", String(count));
    dialog.querySelector("#leave-send").onclick = () => {
      dialog.close();
      if (window.testigoUploads) {
        // this account's photos are sent; any still left (another account's, on a shared phone) are asked about
        window.testigoUploads.sendAllThen(() => guardedLogout(form));
      } else {
        const lang = new URLSearchParams(location.search).get("lang");
        location.href = "/upload?then=logout" + (lang ? "&lang=" + encodeURIComponent(lang) : "");
      }
    };
    dialog.querySelector("#leave-discard").onclick = () => { dialog.close(); leave(form); };
    dialog.querySelector("#leave-cancel").onclick = () => dialog.close();
    dialog.showModal();
  }

  /** Log out, unless photos are waiting: then ask first. */
  async function guardedLogout(form) {
    let count = 0;
    try { count = await unsent(); } catch (error) { count = 0; }
    if (count > 0) ask(form, count);
    else leave(form);
  }

  for (const form of document.querySelectorAll("form.logout")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.checked) return;
      event.preventDefault();
      guardedLogout(form);
    });
  }

  /** "Clear this phone": one tap, everything goes and the session ends; the button says what unsent photos go. */
  const clear = document.getElementById("clear-phone");
  if (clear) {
    const label = clear.textContent;
    const refresh = () => unsent().then((count) => {
      clear.textContent = count ? label + " " + clear.dataset.unsent.replace("{count}", String(count)) : label;
    }).catch(() => {});
    refresh();
    window.addEventListener("testigo-queue-changed", refresh);
    clear.addEventListener("click", () => {
      const form = logoutForm();
      if (!form) return;
      const forget = document.createElement("input");  // the server also clears the site's cookies
      forget.type = "hidden";
      forget.name = "forget_device";
      forget.value = "1";
      form.append(forget);
      leave(form);
    });
  }

  window.testigoPhone = { unsent, wipe, logout: () => { const form = logoutForm(); if (form) guardedLogout(form); } };
})();
