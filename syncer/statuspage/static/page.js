// gslb status page: live updates by polling the page itself with its ETag
// (a 304 costs nothing), replacing the content without moving the
// keyboard focus. Without JavaScript the page is the same, reloaded by hand.
"use strict";
(function () {
  const live = document.getElementById("live");
  const every = Number(document.body.dataset.poll) || 2000;
  if (!live || !window.fetch) return;
  let etag = null;
  // The focused element, found again after the swap by its id or link.
  function focusKey() {
    const a = document.activeElement;
    if (!a || !live.contains(a) || a === live) return null;
    if (a.id) return "#" + CSS.escape(a.id);
    if (a.getAttribute("href")) return 'a[href="' + CSS.escape(a.getAttribute("href")) + '"]';
    return null;
  }
  // Someone typing in a field of the content (the record page's client
  // address): no swap until they leave it.
  function typing() {
    const a = document.activeElement;
    return a && live.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName);
  }
  async function poll() {
    if (typing()) { setTimeout(poll, every); return; }
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const r = await fetch(location.href, { headers: headers, cache: "no-store" });
      if (r.status === 200) {
        const tag = r.headers.get("ETag");
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const next = doc.getElementById("live");
        if (next) {
          const key = focusKey();
          live.replaceChildren(...next.childNodes);
          if (key) { const el = live.querySelector(key); if (el) el.focus(); }
        }
        etag = tag;
        document.body.dataset.updated = String(Date.now());
      }
    } catch (e) {
      // The syncer restarts: try again at the next tick.
    }
    setTimeout(poll, every);
  }
  poll();
})();
