/* The counter (loket) console: state from /counter/{id}/state, actions on /v1/counters/{id}/... */
"use strict";
(function () {
  const { boot, t, h, replace, problemText, live } = window.Antre;
  const counterId = boot.state.counter_id;
  const tokenKey = `antre.counter.${counterId}.token`;
  let state = null;
  let busy = false;       // one action in flight at a time: a double click never calls twice
  let source = null;

  // A link with ?token= signs the console in once; the token then lives in this browser only.
  const params = new URLSearchParams(location.search);
  if (params.get("token")) {
    localStorage.setItem(tokenKey, params.get("token"));
    params.delete("token");
    history.replaceState(null, "", location.pathname + (params.toString() ? `?${params}` : ""));
  }
  const token = () => localStorage.getItem(tokenKey);

  const root = h("main", { class: "console" });
  const message = h("p", { class: "console-message", role: "alert", "aria-live": "assertive" });
  document.body.prepend(root);

  const actions = [
    ["call-next", t.call_next, "N"], ["recall", t.recall, "R"], ["start", t.start, "S"],
    ["finish", t.finish, "F"], ["no-show", t.no_show, "X"],
  ];

  function signIn() {
    const input = h("input", { id: "staff-token", type: "password", autocomplete: "current-password", required: true });
    replace(root, h("form", { class: "sign-in", onsubmit: e => {
      e.preventDefault(); localStorage.setItem(tokenKey, input.value.trim()); load();
    } }, h("h1", {}, t.console_title), h("label", { for: "staff-token" }, t.staff_token), input,
      h("button", { type: "submit", class: "big" }, t.sign_in), message));
    input.focus();
  }

  async function load() {
    if (!token()) { signIn(); return; }
    let response;
    try {
      response = await fetch(`/counter/${counterId}/state`, { headers: { Authorization: `Bearer ${token()}` } });
    } catch (_) { message.textContent = t.connection_lost; setTimeout(load, 2000); return; }
    if (response.status === 401 || response.status === 403) {
      const why = await problemText(response);
      localStorage.removeItem(tokenKey); signIn(); message.textContent = why; return;
    }
    if (!response.ok) { message.textContent = await problemText(response); return; }
    state = await response.json();
    draw();
    if (!source) source = live(state.counter.site_id, () => { if (!busy) load(); }, null);
  }

  async function act(path, body) {
    if (busy) return;
    busy = true; setDisabled(true); message.textContent = "";
    try {
      const response = await fetch(`/v1/counters/${counterId}/${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : null,
      });
      if (response.status === 204) message.textContent = t.nobody_waiting;
      else if (!response.ok) message.textContent = await problemText(response);
    } catch (_) {
      message.textContent = t.connection_lost;
    } finally {
      busy = false;
      await load();
    }
  }

  function setDisabled(on) { root.querySelectorAll("button, select, input").forEach(b => { b.disabled = on; }); }

  function draw() {
    const c = state.counter, cur = state.current;
    const statusText = { open: t.status_open, paused: t.status_paused, closed: t.status_closed }[c.status];
    const reason = h("input", { id: "pause-reason", maxlength: 200, placeholder: t.pause_reason, "aria-label": t.pause_reason });
    const target = h("select", { id: "transfer-to", "aria-label": t.transfer_to },
      state.transfer_to.map(s => h("option", { value: s.id }, `${s.prefix} · ${s.name}`)));
    const enabled = {
      "call-next": c.status === "open" && !cur,
      "recall": cur && cur.status === "called",
      "start": cur && cur.status === "called",
      "finish": cur && cur.status === "serving",
      "no-show": cur && cur.status === "called",
    };
    replace(root,
      h("header", { class: "console-head" },
        h("h1", {}, c.name),
        h("p", { class: `desk desk-${c.status}`, id: "desk-status" }, `${t.status}: ${statusText}`,
          c.pause_reason ? ` — ${c.pause_reason}` : ""),
        h("button", { type: "button", class: "link", onclick: () => { localStorage.removeItem(tokenKey); signIn(); } }, t.sign_out)),
      h("section", { class: "desk-controls", "aria-label": t.status },
        h("button", { type: "button", id: "open", onclick: () => act("open"), disabled: c.status === "open" }, t.open),
        reason,
        h("button", { type: "button", id: "pause", disabled: c.status !== "open" || !!cur,
          onclick: () => act("pause", { reason: reason.value.trim() || t.pause }) }, t.pause),
        h("button", { type: "button", id: "close", onclick: () => act("close"), disabled: c.status === "closed" || !!cur }, t.close)),
      h("section", { class: "current", "aria-labelledby": "current-title" },
        h("h2", { id: "current-title" }, t.current_ticket),
        cur ? [
          h("p", { class: "current-number", id: "current-number" }, cur.number,
            cur.priority !== "regular" ? h("span", { class: "prio" }, ` ★ ${t[cur.priority] || cur.priority}`) : null),
          h("dl", {},
            h("dt", {}, t.service), h("dd", {}, cur.service_name),
            h("dt", {}, t.waited), h("dd", {}, `${cur.waited_min ?? "—"} ${t.minutes}`),
            h("dt", {}, t.channel), h("dd", {}, cur.channel),
            h("dt", {}, t.status), h("dd", { id: "current-status" }, t[`state_${cur.status}`] || cur.status))] :
          h("p", { class: "current-none" }, t.none_current)),
      h("section", { class: "actions", "aria-label": t.shortcuts },
        actions.map(([path, label, key]) => h("button", { type: "button", class: "big action", id: `action-${path}`,
          "aria-keyshortcuts": key, disabled: !enabled[path], onclick: () => act(path) },
          label, h("kbd", {}, key))),
        h("span", { class: "transfer" }, target,
          h("button", { type: "button", id: "action-transfer", disabled: !cur || !state.transfer_to.length,
            onclick: () => act("transfer", { to_service_id: target.value }) }, t.transfer))),
      message,
      h("p", { class: "hint" }, t.shortcuts),
      h("section", { class: "waiting", "aria-labelledby": "waiting-title" },
        h("h2", { id: "waiting-title" }, `${t.waiting_list} (${state.waiting.length})`),
        state.waiting.length ? h("ol", { id: "waiting-list" }, state.waiting.map(w =>
          h("li", { class: w.priority !== "regular" ? "prio" : "" },
            h("strong", {}, w.number), ` ${w.service_name} · ${w.waited_min} ${t.minutes}`,
            w.priority !== "regular" ? h("span", { class: "prio-mark", title: t.priority }, ` ★ ${t[w.priority] || w.priority}`) : null))) :
          h("p", {}, t.nobody_waiting)));
  }

  document.addEventListener("keydown", e => {
    if (!state || e.ctrlKey || e.metaKey || e.altKey) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
    const hit = actions.find(([, , key]) => key === e.key.toUpperCase());
    if (!hit) return;
    const button = document.getElementById(`action-${hit[0]}`);
    if (button && !button.disabled) { e.preventDefault(); act(hit[0]); }
  });

  load();
})();
