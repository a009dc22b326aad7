/* The walk-in kiosk: agency -> service -> priority -> ticket (printed); and the ticket screen. */
"use strict";
(function () {
  const { boot, t, h, replace, problemText, uuid } = window.Antre;

  if (boot.kind === "kiosk-ticket") {
    document.getElementById("print").addEventListener("click", () => window.print());
    // Back to the start for the next citizen; replace() keeps this ticket out of the history.
    setTimeout(() => location.replace(document.getElementById("done").href), 60000);
    return;
  }

  const state = boot.state;
  const en = boot.lang === "en";
  const root = h("main", { class: "kiosk" });
  const message = h("p", { class: "kiosk-message", role: "alert" });
  document.body.prepend(root);

  function frame(title, back, ...content) {
    replace(root, h("header", { class: "kiosk-head" }, h("p", { class: "kiosk-site" }, state.site.name), h("h1", {}, title)),
      content, message,
      back ? h("button", { type: "button", class: "secondary big back", onclick: back }, `← ${t.back}`) : null);
    const first = root.querySelector("button.choice");
    if (first) first.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  function agencies() {
    frame(t.choose_agency, null, h("div", { class: "choices" }, state.agencies.map(a =>
      h("button", { type: "button", class: "choice", onclick: () => services(a) }, a.name))));
  }

  function waitText(s) {
    return s.wait_min === null ? "" : `${t.current_wait}: ± ${s.wait_min} ${t.minutes}`;
  }

  function services(agency) {
    frame(agency.name, agencies, h("div", { class: "choices services" }, agency.services.map(s =>
      h("button", { type: "button", class: "choice service", onclick: () => priority(agency, s) },
        h("span", { class: "service-name" }, `${s.prefix} · ${en ? s.name_en : s.name_id}`),
        h("span", { class: "service-wait" }, waitText(s)),
        (en ? s.documents_en : s.documents_id).length ?
          h("span", { class: "service-docs" }, `${t.documents}: ${(en ? s.documents_en : s.documents_id).join(", ")}`) : null))));
  }

  function priority(agency, service) {
    if (!service.priority_enabled) { issue(service, "regular"); return; }
    frame(t.priority_question, () => services(agency), h("div", { class: "choices" },
      ["regular", "elderly", "disabled", "pregnant"].map(p =>
        h("button", { type: "button", class: `choice ${p === "regular" ? "" : "prio"}`, "data-priority": p,
          onclick: () => issue(service, p) }, t[p]))));
  }

  let inFlight = false;
  async function issue(service, priorityClass) {
    if (inFlight) return;
    inFlight = true;
    root.querySelectorAll("button").forEach(b => { b.disabled = true; });
    message.textContent = "";
    // One key per tap: a retry of this very request cannot take a second number.
    const key = uuid();
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        let response;
        try {
          response = await fetch("/v1/tickets", {
            method: "POST",
            headers: { "Content-Type": "application/json", "Idempotency-Key": key },
            body: JSON.stringify({ service_id: service.id, channel: "kiosk", priority: priorityClass, locale: boot.lang }),
          });
        } catch (_) { await new Promise(r => setTimeout(r, 1000)); continue; }
        if (response.ok) {
          const ticket = await response.json();
          const lang = en ? "&lang=en" : "";
          location.replace(`/kiosk/${state.site.id}/ticket?token=${encodeURIComponent(ticket.access_token)}${lang}`);
          return;
        }
        message.textContent = await problemText(response);
        break;
      }
      if (!message.textContent) message.textContent = t.connection_lost;
    } finally {
      inFlight = false;
      root.querySelectorAll("button").forEach(b => { b.disabled = false; });
    }
  }

  agencies();
})();
