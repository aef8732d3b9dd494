"use strict";
// The dashboard: every drive of every connected daemon, kept live from /ws/browser. The feed's snapshot replaces
// everything (so a reconnect after a webapp restart re-renders from scratch); `drive`, `drive_removed`, `daemon`
// and `disc` messages change one thing each. Whether a disc is known (and its stored title) comes from
// /api/discs/{fingerprint}, asked once per fingerprint (and again after a `disc` message, e.g. once identified),
// with what identification says it is (poster, answer, source).

(() => {
  const { el, api, openFeed, deviceName, relativeTime, discType, words, progressBar, setProgress } = Amphigory;
  const drivesBox = document.getElementById("drives");
  const daemonsBox = document.getElementById("daemons");
  const announce = document.getElementById("announce");

  const drives = new Map(); // drive_id -> drive dict

  const notices = new Map(); // drive_id -> what the drive last had to say
  const daemons = new Map(); // daemon_id -> daemon info
  const cards = new Map(); // drive_id -> card element
  const known = new Map(); // fingerprint -> stored disc summary {title, year} | null (unknown) | "pending"
  const STATE_WORDS = { empty: "Empty", disc_inserted: "Disc inserted", scanning: "Scanning", scanned: "Scanned",
    ripping: "Ripping" };

  function say(text) { announce.textContent = text; }

  // -- known discs ----------------------------------------------------------------------------------------------

  async function lookUp(fingerprint) {
    if (!fingerprint || known.has(fingerprint)) return;
    known.set(fingerprint, "pending");
    try {
      const disc = await api("GET", `/api/discs/${encodeURIComponent(fingerprint)}`);
      known.set(fingerprint, { title: disc.title, year: disc.year, identification: disc.identification,
        ripped: (disc.tracks || []).filter((t) => t.ripped_path).length });
    } catch (err) {
      if (err.status === 404) known.set(fingerprint, null);
      else {
        known.delete(fingerprint);
        return;
      }
    }
    for (const drive of drives.values()) if (drive.fingerprint === fingerprint) renderDrive(drive);
  }

  // -- drive cards ----------------------------------------------------------------------------------------------

  let cardsMade = 0; // ids stay unique when cards come and go (aria-labelledby must point at its own heading)

  function createCard(drive) {
    const id = drive.drive_id;
    const heading = el("h3", { className: "disc-name", id: `drive-${cardsMade++}-title` });
    const card = el("article", { className: "drive-card", "aria-labelledby": heading.id, dataset: { driveId: id } },
      el("header", { className: "card-head" },
        el("div", { className: "card-title" },
          heading,
          el("p", { className: "drive-name" })),
        el("span", { className: "card-badges" },
          el("span", { className: "state-badge" }),
          el("span", { className: "history-badge" }))),
      el("dl", { className: "facts" },
        el("div", { className: "fact-type" }, el("dt", { text: "Type" }), el("dd")),
        el("div", { className: "fact-label" }, el("dt", { text: "Volume label" }), el("dd")),
        el("div", { className: "fact-fingerprint" }, el("dt", { text: "Fingerprint" }), el("dd", {}, el("code")))),
      el("div", { className: "progress", hidden: true },
        el("div", { className: "progress-text" },
          el("span", { className: "progress-label" }),
          el("span", { className: "progress-value" })),
        progressBar("Progress")),
      el("div", { className: "countdown", hidden: true },
        el("p", { className: "countdown-text", role: "timer" }),
        el("ul", { className: "countdown-tracks" }),
        el("div", { className: "card-actions" },
          el("button", { type: "button", className: "button primary", dataset: { action: "rip-now" }, text: "Rip now" }),
          el("button", { type: "button", className: "button", dataset: { action: "cancel-countdown" },
            text: "Cancel" }))),
      el("p", { className: "card-note", hidden: true }),
      el("p", { className: "card-ident", hidden: true },
        el("img", { className: "card-poster", alt: "", width: 40, height: 60, hidden: true }),
        el("span", { className: "card-ident-text" })),
      el("p", { className: "card-error", role: "alert", hidden: true }),
      el("div", { className: "card-actions" },
        el("a", { className: "button", dataset: { action: "review" }, text: "Review" }),
        el("button", { type: "button", className: "button", dataset: { action: "scan" }, text: "Scan" }),
        el("button", { type: "button", className: "button ghost", dataset: { action: "eject" }, text: "Eject" }),
        el("button", { type: "button", className: "button ghost", dataset: { action: "handsfree" },
          "aria-pressed": "false", title: "Rip a disc by itself when it goes into this drive" })));
    card.querySelector("[data-action=scan]").addEventListener("click", () => act(id, "scan"));
    card.querySelector("[data-action=eject]").addEventListener("click", () => act(id, "eject"));
    card.querySelector("[data-action=handsfree]").addEventListener("click", () => toggleHandsFree(id));
    card.querySelector("[data-action=rip-now]").addEventListener("click", () => countdownAction(id, "rip-now"));
    card.querySelector("[data-action=cancel-countdown]").addEventListener("click",
      () => countdownAction(id, "cancel"));
    return card;
  }

  function renderDrive(drive) {
    let card = cards.get(drive.drive_id);
    if (!card) {
      card = createCard(drive);
      cards.set(drive.drive_id, card);
      placeCards();
    }
    const state = drive.state || "empty";
    const hasDisc = state !== "empty";
    const stored = drive.fingerprint ? known.get(drive.fingerprint) : undefined;
    const isKnown = stored && stored !== "pending";
    card.dataset.state = state;
    card.dataset.fingerprint = drive.fingerprint || "";
    card.dataset.known = isKnown ? "true" : "false";
    // A disc ripped before looks different from one seen for the first time (it needs no new rips, usually).
    const history = !hasDisc || stored === "pending" || stored === undefined ? "" : isKnown && stored.ripped
      ? "ripped" : "new";
    card.dataset.history = history;
    const historyBadge = card.querySelector(".history-badge");
    historyBadge.hidden = !history;
    historyBadge.textContent = history === "ripped"
      ? `Ripped before · ${stored.ripped} title${stored.ripped === 1 ? "" : "s"}` : "New disc";

    const title = !hasDisc ? "No disc" : isKnown ? stored.title + (stored.year ? ` (${stored.year})` : "")
      : drive.disc_volume || "Disc without a label";
    card.querySelector(".disc-name").textContent = title;
    card.querySelector(".drive-name").textContent = `Drive “${deviceName(drive.device)}” on ${drive.daemon_id}`;
    const badge = card.querySelector(".state-badge");
    badge.textContent = STATE_WORDS[state] || words(state);
    badge.dataset.state = state;

    const facts = card.querySelector(".facts");
    facts.hidden = !hasDisc;
    facts.querySelector(".fact-type dd").textContent = discType(drive.disc_type)
      + (isKnown ? " · known disc" : stored === null ? " · new disc" : "");
    facts.querySelector(".fact-label dd").textContent = drive.disc_volume || "—";
    const code = facts.querySelector(".fact-fingerprint code");
    code.textContent = drive.fingerprint ? `${drive.fingerprint.slice(0, 16)}…` : "—";
    code.title = drive.fingerprint || "";

    renderIdentification(card, hasDisc && isKnown ? stored.identification : null);
    renderProgress(card, drive);
    renderCountdown(card, drive.drive_id);
    const error = card.querySelector(".card-error");
    const notice = notices.get(drive.drive_id);
    const problem = drive.scan_error || drive.rip_error;
    error.hidden = !notice && !problem && !drive.disc_error;
    error.textContent = drive.disc_error ? `Cannot read this disc: ${drive.disc_error}`
      : notice || (problem ? `Last ${drive.scan_error ? "scan" : "rip"} failed: ${problem}` : "");

    const busy = state === "scanning" || state === "ripping";
    card.querySelector("[data-action=scan]").disabled = !hasDisc || busy || !drive.fingerprint;
    card.querySelector("[data-action=scan]").textContent = isKnown || state === "scanned" ? "Rescan" : "Scan";
    const review = card.querySelector("[data-action=review]");
    const canReview = drive.fingerprint && (isKnown || state === "scanned");
    // The primary button is what a person wants next: Review once there is something to review, else Scan.
    // During a hands-free countdown it is "Rip now" (in the countdown box).
    const counting = countdowns.has(drive.drive_id);
    review.classList.toggle("primary", Boolean(canReview) && !counting);
    card.querySelector("[data-action=scan]").classList.toggle("primary", !canReview && !counting);
    if (canReview) {
      review.href = `/discs/${encodeURIComponent(drive.fingerprint)}`;
      review.removeAttribute("aria-disabled");
    } else {
      review.removeAttribute("href");
      review.setAttribute("aria-disabled", "true");
    }
    card.querySelector("[data-action=eject]").disabled = !hasDisc || busy;
    if (drive.fingerprint) lookUp(drive.fingerprint);
  }

  const SOURCES = { thediscdb: "TheDiscDB", tmdb: "TMDB", musicbrainz: "MusicBrainz", person: "you" };

  /** What identification says the disc is: its poster or cover, and the answer with where it came from. */
  function renderIdentification(card, ident) {
    const box = card.querySelector(".card-ident");
    box.hidden = !ident;
    if (!ident) return;
    const poster = box.querySelector(".card-poster");
    const url = typeof ident.poster_url === "string" && /^https?:\/\//i.test(ident.poster_url) ? ident.poster_url : "";
    poster.hidden = !url;
    if (url && poster.getAttribute("src") !== url) poster.src = url;
    poster.alt = url ? `${ident.kind === "music" ? "Cover" : "Poster"} of ${ident.title || "the disc"}` : "";
    const from = SOURCES[ident.source];
    box.querySelector(".card-ident-text").textContent = ident.status === "identified"
      ? `Identified${from ? ` by ${from}` : ""}${ident.reasons && ident.reasons.length ? `: ${ident.reasons[0]}` : ""}`
      : ident.status === "uncertain" ? "Not sure what this is: pick on the review page"
        : ident.retry ? "Not identified yet: nothing could be looked up" : "Not identified";
  }

  function renderProgress(card, drive) {
    const box = card.querySelector(".progress");
    let label = null;
    let percent = 0;
    if (drive.state === "scanning") {
      label = "Scanning";
      percent = drive.scan_progress || 0;
    } else if (drive.state === "ripping") {
      label = drive.rip_track_number != null ? `Ripping title ${drive.rip_track_number}` : "Ripping";
      percent = drive.rip_progress || 0;
    }
    box.hidden = label === null;
    if (label === null) return;
    box.querySelector(".progress-label").textContent = label;
    box.querySelector(".progress-value").textContent = `${Math.round(percent)}%`;
    setProgress(box.querySelector(".bar"), percent, `${label}: ${Math.round(percent)}%`);
  }

  // -- hands-free: countdowns, what it did, discs waiting for a name, notifications ---------------------------

  const countdowns = new Map(); // drive_id -> countdown (with `deadline`, a performance.now() time)
  let handsfreeNotes = {};
  let rules = { on_insert: "manual", drive_rules: {} };

  function ruleOf(driveId) { return rules.drive_rules[driveId] || rules.on_insert; }

  async function toggleHandsFree(driveId) {
    const next = ruleOf(driveId) === "rip" ? "manual" : "rip";
    const lines = Object.entries({ ...rules.drive_rules, [driveId]: next }).map(([d, m]) => `${d}=${m}`);
    try {
      await api("PUT", "/api/settings", { values: { drive_on_insert: lines } });
      say(next === "rip" ? "Hands-free on for this drive." : "Hands-free off for this drive.");
    } catch (err) {
      const error = cards.get(driveId) && cards.get(driveId).querySelector(".card-error");
      if (error) { error.hidden = false; error.textContent = `Could not change hands-free: ${err.message}`; }
    }
  }
  const reviewBox = document.getElementById("needs-review");

  let handsfreeSeq = 0; // of the newest state applied: an answer to an older request never undoes a newer push

  function applyHandsFree(state) {
    if (typeof state.seq === "number") {
      if (state.seq < handsfreeSeq) return;
      handsfreeSeq = state.seq;
    }
    countdowns.clear();
    for (const c of state.countdowns || []) {
      countdowns.set(c.drive_id, { ...c, deadline: performance.now() + c.remaining * 1000 });
    }
    handsfreeNotes = state.notes || {};
    rules = { on_insert: state.on_insert || "manual", drive_rules: state.drive_rules || {} };
    for (const drive of drives.values()) renderDrive(drive);
    renderReview(state.needs_review || []);
  }

  async function loadHandsFree() {
    try { applyHandsFree(await api("GET", "/api/handsfree")); } catch (err) { /* the feed brings it again */ }
  }

  function renderCountdown(card, driveId) {
    const box = card.querySelector(".countdown");
    const countdown = countdowns.get(driveId);
    box.hidden = !countdown;
    const toggle = card.querySelector("[data-action=handsfree]");
    const handsFree = ruleOf(driveId) === "rip";
    toggle.textContent = handsFree ? "Hands-free: on" : "Hands-free: off";
    toggle.setAttribute("aria-pressed", handsFree ? "true" : "false");
    const note = card.querySelector(".card-note");
    note.hidden = !!countdown || !handsfreeNotes[driveId];
    note.textContent = handsfreeNotes[driveId] || "";
    if (!countdown) return;
    const left = Math.max(0, Math.ceil((countdown.deadline - performance.now()) / 1000));
    box.querySelector(".countdown-text").textContent = `Ripping in ${left} s, hands-free:`;
    const items = countdown.tracks.map((t) => el("li", { text:
      `Title ${t.number}: ${words(t.type)}${t.duration_seconds != null ? ` (${Math.round(t.duration_seconds)} s)` : ""}` }));
    box.querySelector(".countdown-tracks").replaceChildren(...items);
  }

  setInterval(() => {
    for (const [driveId] of countdowns) {
      const card = cards.get(driveId);
      if (card) renderCountdown(card, driveId);
    }
  }, 250);

  async function countdownAction(driveId, action) {
    try {
      applyHandsFree(await api("POST", `/api/handsfree/${action}`, { drive_id: driveId }));
      say(action === "cancel" ? "Hands-free rip cancelled." : "Rip started.");
    } catch (err) {
      const card = cards.get(driveId);
      const error = card && card.querySelector(".card-error");
      if (error) { error.hidden = false; error.textContent = err.message; }
    }
  }

  function renderReview(items) {
    const rows = items.map((d) => el("li", { dataset: { fingerprint: d.fingerprint } },
      el("a", { href: `/discs/${encodeURIComponent(d.fingerprint)}`, className: "review-title",
        text: d.title + (d.year ? ` (${d.year})` : "") }),
      el("span", { className: "muted", text: `${discType(d.disc_type)} · ${d.held} title${d.held === 1 ? "" : "s"} held` }),
      el("a", { className: "button primary", href: `/discs/${encodeURIComponent(d.fingerprint)}`, text: "Name it" })));
    reviewBox.replaceChildren(...(rows.length ? rows : [el("li", { className: "empty", text: "Nothing waits for you." })]));
  }

  const notifyButton = document.getElementById("browser-notify");
  if ("Notification" in window && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", async () => {
      await Notification.requestPermission();
      notifyButton.hidden = Notification.permission !== "default";
    });
  }

  function notifyBrowser(notice) {
    say(notice.title);
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const shown = new Notification(notice.title, { body: notice.body, tag: `${notice.kind}-${notice.fingerprint}` });
    if (notice.url) shown.onclick = () => { window.location.href = `/discs/${encodeURIComponent(notice.fingerprint)}`; };
  }

  let reviewRefresh = null;

  function placeCards() {
    const ordered = [...cards.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, card]) => card);
    drivesBox.replaceChildren(...ordered);
    if (!ordered.length) {
      drivesBox.append(el("p", { className: "empty", text: daemons.size
        ? "The connected daemons have no drives." : "No daemon is connected. Start one with `amphigory daemon`." }));
    }
    drivesBox.setAttribute("aria-busy", "false");
  }

  async function act(driveId, action) {
    const card = cards.get(driveId);
    const error = card && card.querySelector(".card-error");
    const button = card && card.querySelector(`[data-action=${action}]`);
    if (button) button.disabled = true;
    try {
      await api("POST", `/api/drives/${encodeURIComponent(driveId)}/${action}`);
      say(action === "scan" ? "Scan started." : "Disc ejected.");
    } catch (err) {
      if (error) {
        error.hidden = false;
        error.textContent = `Could not ${action}: ${err.message}`;
      }
      if (button) button.disabled = false;
    }
  }

  // -- daemons --------------------------------------------------------------------------------------------------

  function renderDaemons() {
    const items = [...daemons.values()].sort((a, b) => a.daemon_id.localeCompare(b.daemon_id)).map((d) => {
      const count = [...drives.values()].filter((x) => x.daemon_id === d.daemon_id).length;
      return el("li", { className: "daemon", dataset: { daemonId: d.daemon_id } },
        el("span", { className: "dot", "aria-hidden": "true" }),
        el("span", { className: "daemon-id", text: d.daemon_id }),
        el("span", { className: "muted", text: `v${d.version || "?"} · ${count} drive${count === 1 ? "" : "s"}` }),
        el("span", { className: "muted last-seen" }, "last seen ",
          el("time", { datetime: d.last_seen, text: relativeTime(d.last_seen) })));
    });
    daemonsBox.replaceChildren(...(items.length ? items : [el("li", { className: "empty", text: "None connected." })]));
  }

  function seen(daemonId) {
    const daemon = daemons.get(daemonId);
    if (!daemon) return;
    daemon.last_seen = new Date().toISOString();
    for (const item of daemonsBox.children) {
      if (item.dataset.daemonId !== daemonId) continue;
      const time = item.querySelector("time");
      time.dateTime = daemon.last_seen;
      time.textContent = relativeTime(daemon.last_seen);
    }
  }

  setInterval(() => {
    for (const time of daemonsBox.querySelectorAll("time")) time.textContent = relativeTime(time.dateTime);
  }, 5000);

  // -- what a drive has to say that its state does not (a second disc dropped in, a disc that cannot be read) ---

  function noteEvent(event) {
    const data = event.data || {};
    let notice = notices.get(event.drive_id) || "";
    if (event.event === "disc_ejected") notice = "";
    if (event.event === "disc_inserted") {
      notice = data.error ? `Cannot read this disc: ${data.error.message || data.error.code}` : "";
    }
    if (data.warning) notice = data.warning.message || data.warning.code || "";
    if (notice) notices.set(event.drive_id, notice);
    else notices.delete(event.drive_id);
    const drive = drives.get(event.drive_id);
    if (drive) renderDrive(drive);
    if (data.warning || data.error) say(notice);
  }

  // -- the feed -------------------------------------------------------------------------------------------------

  function onMessage(msg) {
    switch (msg.type) {
      case "snapshot":
        drives.clear();
        daemons.clear();
        cards.clear();
        for (const d of msg.daemons || []) daemons.set(d.daemon_id, d);
        for (const d of msg.drives || []) drives.set(d.drive_id, d);
        placeCards();
        for (const d of drives.values()) renderDrive(d);
        renderDaemons();
        handsfreeSeq = 0; // a new connection, maybe to a webapp on another machine: its states count afresh
        loadHandsFree();
        break;
      case "handsfree":
        applyHandsFree(msg);
        break;
      case "notification":
        notifyBrowser(msg.notification);
        break;
      case "task":
        if (msg.task && msg.task.type === "rip" && msg.task.status === "complete") {
          // A finished rip of a disc nobody named joins the needs-review list, and changes how many titles of
          // the disc were ripped before.
          if (!reviewRefresh) reviewRefresh = setTimeout(() => { reviewRefresh = null; loadHandsFree(); }, 300);
          if (msg.task.fingerprint) {
            known.delete(msg.task.fingerprint);
            lookUp(msg.task.fingerprint);
          }
        }
        break;
      case "drive": {
        const before = drives.get(msg.drive.drive_id);
        drives.set(msg.drive.drive_id, msg.drive);
        seen(msg.daemon_id || msg.drive.daemon_id);
        renderDrive(msg.drive);
        if (!before) renderDaemons();
        if (before && before.state === "empty" && msg.drive.state !== "empty") {
          say(`Disc inserted: ${msg.drive.disc_volume || "no label"}`);
        }
        break;
      }
      case "drive_removed":
        drives.delete(msg.drive_id);
        cards.delete(msg.drive_id);
        placeCards();
        renderDaemons();
        break;
      case "daemon":
        if (msg.connected) daemons.set(msg.daemon.daemon_id, msg.daemon);
        else {
          daemons.delete(msg.daemon.daemon_id);
          for (const [id, d] of drives) {
            if (d.daemon_id === msg.daemon.daemon_id) { drives.delete(id); cards.delete(id); }
          }
          placeCards();
        }
        renderDaemons();
        break;
      case "event":
        if (msg.event && msg.event.daemon_id) seen(msg.event.daemon_id);
        if (msg.event && msg.event.drive_id) noteEvent(msg.event);
        break;
      case "disc":
        known.delete(msg.fingerprint);
        lookUp(msg.fingerprint);
        break;
      default:
        break;
    }
  }

  openFeed({ onMessage });
})();
