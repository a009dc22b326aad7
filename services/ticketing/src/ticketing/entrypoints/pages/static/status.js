/* The citizen's status page: small, polls its own few hundred bytes every few seconds. */
"use strict";
(function () {
  const { boot, t, h, replace, problemText } = window.Antre;
  const token = boot.state.token;
  let state = boot.state;
  const root = h("main", { class: "status" });
  const message = h("p", { class: "status-message", role: "alert" });
  document.body.prepend(root);

  function headline() {
    switch (state.status) {
      case "waiting": return state.position ? `${t.position}: ${state.position}` : t.ticket_waiting;
      case "called": return `${t.ticket_called} ${state.counter_name || ""}`;
      case "serving": return `${t.ticket_serving} ${state.counter_name || ""}`;
      case "cancelled": return state.reason === "day_ended" ? t.ticket_day_ended : t.ticket_cancelled;
      default: return t[`ticket_${state.status}`] || state.status;
    }
  }

  function draw() {
    const e = state.estimate, z = state.zone;
    replace(root,
      h("p", { class: "status-site" }, state.site_name),
      h("h1", { class: "status-number", id: "number" }, state.number),
      h("p", { class: "status-service" }, boot.lang === "en" ? state.service_name_en : state.service_name),
      h("p", { class: `status-headline status-${state.status}`, id: "headline", "aria-live": "polite" }, headline()),
      state.status === "waiting" ? (e ? h("dl", { class: "status-estimate" },
        h("dt", {}, t.estimate), h("dd", { id: "estimate" }, `${e.p50} ${z} (${t.between} ${e.p10} ${t.and} ${e.p90})`),
        e.leave_by ? [h("dt", {}, t.leave_home), h("dd", { id: "leave-by" }, `${e.leave_by} ${z}`)] : null,
        h("dt", {}, t.arrive_by), h("dd", { id: "arrive-by" }, `${e.arrive_by} ${z}`)) :
        h("p", { class: "status-pending" }, t.estimate_pending)) : null,
      state.cancellable ? h("button", { type: "button", class: "danger", id: "cancel", onclick: cancel }, t.cancel) : null,
      message,
      h("p", { class: "status-updated" }, `${t.updated}: ${state.updated_local} ${state.zone}`));
  }

  async function refresh() {
    try {
      const response = await fetch(`/t/${encodeURIComponent(token)}/state`, { cache: "no-store" });
      if (response.ok) { state = await response.json(); draw(); }
    } catch (_) { /* offline for a moment: the next poll tries again */ }
  }

  async function cancel() {
    if (!window.confirm(t.cancel_confirm)) return;
    const button = document.getElementById("cancel");
    button.disabled = true;
    const response = await fetch(`/v1/tickets/${state.ticket_id}/cancel?token=${encodeURIComponent(token)}`, { method: "POST" });
    if (!response.ok) { message.textContent = await problemText(response); button.disabled = false; return; }
    await refresh();
  }

  draw();
  // Faster while the call is near; a done ticket stops polling.
  (function loop() {
    if (["done", "cancelled", "transferred"].includes(state.status)) return;
    setTimeout(() => refresh().then(loop), state.position !== null && state.position <= 3 ? 2000 : 4000);
  })();
})();
