/* Shared by the hall's pages: the boot data, a tiny element builder, fetch and live stream. */
"use strict";
window.Antre = (function () {
  const boot = JSON.parse(document.getElementById("antre-boot").textContent);
  const t = boot.t;

  /* h("p", {class: "x"}, "text", child): text is always set as text, never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function replace(el, ...children) { el.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false)); }

  /* The problem detail of a refused request (RFC 9457), in the page's language when given. */
  async function problemText(response) {
    try {
      const p = await response.json();
      return (boot.lang === "id" && p.detail_id) || p.detail || p.title || String(response.status);
    } catch (_) { return String(response.status); }
  }

  /* Server-sent events of a site; EventSource reconnects by itself, we show when it is away. */
  function live(siteId, onState, banner) {
    const source = new EventSource(`/v1/sites/${siteId}/events`);
    // How many live states arrived: what a watcher (or a test) checks to know the page is live.
    window.antreLive = { snapshots: 0 };
    source.addEventListener("snapshot", e => {
      window.antreLive.snapshots += 1;
      if (banner) banner.hidden = true;
      onState(JSON.parse(e.data));
    });
    source.addEventListener("open", () => { if (banner) banner.hidden = true; });
    source.addEventListener("error", () => { if (banner && source.readyState !== EventSource.OPEN) banner.hidden = false; });
    return source;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const x = [...b].map(v => v.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // The language switch keeps the page's other parameters (the kiosk ticket's token).
  const switcher = document.querySelector(".lang-switch");
  if (switcher) {
    const params = new URLSearchParams(location.search);
    params.set("lang", boot.lang === "en" ? "id" : "en");
    switcher.href = `${location.pathname}?${params}`;
  }
  return { boot, t, h, replace, problemText, live, uuid };
})();
