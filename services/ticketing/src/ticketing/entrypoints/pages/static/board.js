/* The hall's display board: latest calls, waits per agency, clock, chime and spoken calls. */
"use strict";
(function () {
  const { boot, t, h, replace, live } = window.Antre;
  let state = boot.state;
  const seen = new Set(state.calls.map(c => c.key));  // calls already on screen when the page opened
  const speech = [];            // announcements waiting their turn: never two at once
  let speaking = false;
  let audio = null;
  window.antreAnnouncements = [];

  const clock = h("p", { class: "board-clock", "aria-label": "clock" });
  const calls = h("ol", { class: "board-calls", "aria-label": t.latest_calls });
  const agencies = h("tbody");
  const said = h("p", { class: "board-said", "aria-live": "assertive", role: "status", id: "announcement" });
  const away = h("p", { class: "banner", hidden: true, role: "alert" }, t.connection_lost);
  const sound = h("button", { type: "button", class: "sound no-print", onclick: unlock }, t.enable_sound);

  document.body.prepend(h("main", { class: "board" },
    h("header", { class: "board-head" },
      h("h1", {}, state.site.name || t.board_title), clock, sound),
    away,
    h("section", { class: "board-left", "aria-labelledby": "calls-title" },
      h("h2", { id: "calls-title" }, t.latest_calls), calls, said),
    h("section", { class: "board-right", "aria-labelledby": "wait-title" },
      h("h2", { id: "wait-title" }, t.waiting),
      h("table", { class: "board-agencies" },
        h("colgroup", {}, h("col", { class: "name" }), h("col", { class: "count" }), h("col", { class: "wait" })),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t.agency), h("th", { scope: "col", class: "num" }, t.waiting),
          h("th", { scope: "col", class: "num" }, t.expected_wait))),
        agencies))));

  function tick() {
    const now = new Date().toLocaleTimeString("id-ID", { timeZone: state.site.timezone, hour: "2-digit", minute: "2-digit", second: "2-digit" });
    clock.textContent = `${now.replace(/\./g, ":")} ${state.site.zone}`;
  }

  function draw() {
    replace(calls, state.calls.length ? state.calls.map((c, i) =>
      h("li", { class: i === 0 ? "call newest" : "call", "data-number": c.number },
        h("span", { class: "call-number" }, c.number),
        h("span", { class: "call-arrow", "aria-hidden": "true" }, "→"),
        h("span", { class: "call-counter" }, c.counter_name || ""))) :
      [h("li", { class: "call empty" }, t.no_calls)]);
    replace(agencies, state.agencies.map(a => h("tr", {},
      h("th", { scope: "row", title: a.name }, a.name),
      h("td", { class: "num" }, a.waiting),
      h("td", { class: "num" }, a.wait_min === null ? "—" : `± ${a.wait_min} ${t.minutes}`))));
  }

  function onState(next) {
    state = next;
    draw();
    // Oldest first, so two calls in one update are said in the order they were made.
    for (const call of [...state.calls].reverse()) {
      if (seen.has(call.key)) continue;
      seen.add(call.key);
      if (call.status === "called") announce(call.announcement);
    }
  }

  function announce(text) {
    window.antreAnnouncements.push(text);
    speech.push(text);
    if (!speaking) sayNext();
  }

  function sayNext() {
    const text = speech.shift();
    if (text === undefined) { speaking = false; return; }
    speaking = true;
    said.textContent = text;
    chime().then(() => speak(text)).then(sayNext);
  }

  function chime() {
    return new Promise(resolve => {
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        const now = audio.currentTime;
        [659.25, 523.25].forEach((freq, i) => {   // two notes: "ding-dong"
          const osc = audio.createOscillator(), gain = audio.createGain();
          osc.frequency.value = freq;
          gain.gain.setValueAtTime(0.0001, now + i * 0.45);
          gain.gain.exponentialRampToValueAtTime(0.4, now + i * 0.45 + 0.03);
          gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.45 + 0.8);
          osc.connect(gain).connect(audio.destination);
          osc.start(now + i * 0.45); osc.stop(now + i * 0.45 + 0.85);
        });
      } catch (_) { /* no audio device: the text is still on screen */ }
      setTimeout(resolve, 1300);
    });
  }

  function speak(text) {
    return new Promise(resolve => {
      if (!("speechSynthesis" in window)) { setTimeout(resolve, 1500); return; }
      const u = new SpeechSynthesisUtterance(text);
      u.lang = "id-ID"; u.rate = 0.9;
      const voice = speechSynthesis.getVoices().find(v => v.lang && v.lang.toLowerCase().startsWith("id"));
      if (voice) u.voice = voice;
      // A browser without a voice never fires "end": move on after a fair time anyway.
      const guard = setTimeout(resolve, 1000 + text.length * 120);
      u.onend = u.onerror = () => { clearTimeout(guard); resolve(); };
      speechSynthesis.speak(u);
    });
  }

  /* Browsers play sound only after a user gesture: the TV's operator taps once at start-up. */
  function unlock() {
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); audio.resume(); } catch (_) { }
    sound.hidden = true;
  }

  draw(); tick(); setInterval(tick, 1000);
  live(state.site.id, onState, away);
})();
