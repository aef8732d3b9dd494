"use strict";
// The disc review: save the person's choices (PATCH /api/discs/{fingerprint}), then rip the selected titles on the
// drive that holds the disc now (found in /api/drives); re-rip one title (its new file replaces the old one once
// verified); delete the disc's rips (after an in-page confirmation). The feed keeps the "in drive" line and each
// title's rip status live. A CD has an album form (artist, album, year, track titles) instead of the film table.

(() => {
  const { el, api, openFeed, errorWords, deviceName, progressBar, setProgress } = Amphigory;
  const form = document.getElementById("review");
  const fingerprint = form.dataset.fingerprint;
  const driveStatus = document.getElementById("drive-status");
  const ripStatus = document.getElementById("rip-status");
  const ripButton = document.getElementById("rip-selected");
  const saveButton = document.getElementById("save-only");
  const countText = document.getElementById("selected-count");
  const drives = new Map(); // drive_id -> drive (from the feed)
  let saving = false;

  // Folded duplicates (disc.html) are fetched when the person first opens them. Until then they are not in the page:
  // the selected ones among them still count, and a save leaves them as they are (the API changes only the tracks
  // it is sent). Once fetched, rows waiting to enter the table count, save and show status like the others.
  const folded = form.querySelector("details.duplicates");
  let foldedFetched = !folded;
  let waitingRows = [];
  function rows() {
    return [...form.querySelectorAll("tr[data-track]"), ...waitingRows];
  }
  function checkbox(row) { return row.querySelector("input[type=checkbox]"); }

  function updateCount() {
    const unfetched = foldedFetched ? 0 : Number(folded.dataset.selected || 0);
    const n = rows().filter((row) => checkbox(row).checked).length + unfetched;
    const noun = form.dataset.kind === "album" ? "track" : "title";
    countText.textContent = n === 1 ? `1 ${noun} selected` : `${n} ${noun}s selected`;
    for (const row of rows()) row.classList.toggle("is-selected", checkbox(row).checked);
  }

  function report(kind, ...parts) {
    ripStatus.hidden = false;
    ripStatus.dataset.kind = kind;
    ripStatus.replaceChildren(...parts);
  }

  // -- which drive holds the disc --------------------------------------------------------------------------------

  function holder() {
    return [...drives.values()].find((d) => d.fingerprint === fingerprint && d.state !== "empty") || null;
  }

  function showHolder() {
    const drive = holder();
    driveStatus.dataset.state = drive ? "present" : "absent";
    driveStatus.textContent = drive
      ? `This disc is in drive “${deviceName(drive.device)}” on ${drive.daemon_id}`
        + `${drive.state === "ripping" ? " (ripping now)" : ""}.`
      : "This disc is not in any drive. Insert it to rip; your choices can be saved meanwhile.";
  }

  // -- rip status per title -------------------------------------------------------------------------------------

  function showTask(task) {
    if (task.type !== "rip" || task.fingerprint !== fingerprint || task.track_number == null) return;
    const row = rows().find((r) => r.dataset.track === String(task.track_number));
    if (!row) return;
    const rerip = row.querySelector("[data-action=rerip]");
    if (task.status === "complete") rerip.hidden = false;
    rerip.disabled = task.status === "queued" || task.status === "running";
    const cell = row.querySelector(".status");
    const words = { queued: "queued", running: "ripping", complete: "ripped", failed: "failed", cancelled: "cancelled" };
    cell.dataset.status = words[task.status] || task.status;
    const parts = [el("span", { className: "status-text", text: words[task.status] || task.status })];
    if (task.status === "running") {
      const bar = progressBar(`Title ${task.track_number}`);
      setProgress(bar, task.progress, `Ripping title ${task.track_number}: ${task.progress}%`);
      parts.push(el("span", { className: "mini-progress" }, bar, el("span", { text: `${task.progress}%` })));
    }
    if (task.status === "failed") {
      parts.push(el("span", { className: "error-text", text: errorWords(task.error_code, task.error) }));
    }
    if ((task.status === "failed" || task.status === "cancelled") && !rerip.hidden) {
      // a failed or cancelled re-rip: the earlier file is still there
      parts[0].textContent = task.status === "failed" ? "re-rip failed" : "re-rip cancelled";
      parts.push(el("span", { className: "muted small", text: "The earlier rip is kept." }));
      cell.dataset.status = "ripped";
    }
    cell.replaceChildren(...parts);
  }

  // -- saving and ripping ---------------------------------------------------------------------------------------

  function choices() {
    const title = form.querySelector("#disc-title").value.trim();
    const yearText = form.querySelector("#disc-year").value.trim();
    const body = { tracks: [] };
    if (title) body.title = title;
    body.year = yearText ? Number(yearText) : null;
    const artist = form.querySelector("#disc-artist");
    if (artist) body.artist = artist.value.trim() || null;
    for (const row of rows()) {
      const number = Number(row.dataset.track);
      const name = row.querySelector("input.name").value.trim();
      const type = row.querySelector("select.type");
      const track = { number, selected: checkbox(row).checked, name: name || null };
      if (type) track.type = type.value === type.dataset.classified ? null : type.value;
      body.tracks.push(track);
    }
    return body;
  }

  async function save() {
    const body = choices();
    if (!body.title) throw new Error("The disc needs a title.");
    if (body.year !== null && !(Number.isInteger(body.year) && body.year >= 1870 && body.year <= 2200)) {
      throw new Error("The year must be a whole number between 1870 and 2200, or empty.");
    }
    body.version = Number(form.dataset.version);
    let disc;
    saving = true; // our own save's feed message may come before its answer: not another tab's
    try {
      disc = await api("PATCH", `/api/discs/${encodeURIComponent(fingerprint)}`, body);
    } catch (err) {
      saving = false;
      if (err.status !== 409) throw err;
      await reload();
      throw new Error("This disc was saved in another tab or window since you opened it: the page now shows "
        + "that save. Make your changes again, then save.");
    }
    saving = false;
    showSaved(disc);
    return body;
  }

  // -- another tab's save: the page takes the stored values (version counts saves) -------------------------------

  async function reload() {
    showSaved(await api("GET", `/api/discs/${encodeURIComponent(fingerprint)}`));
  }

  function showSaved(disc) {
    form.dataset.version = String(disc.version);
    form.querySelector("#disc-title").value = disc.title;
    form.querySelector("#disc-year").value = disc.year || "";
    const artist = form.querySelector("#disc-artist");
    if (artist) artist.value = disc.artist || "";
    for (const track of disc.tracks) {
      const row = rows().find((r) => r.dataset.track === String(track.number));
      if (!row) continue;
      checkbox(row).checked = track.selected;
      const name = row.querySelector("input.name");
      if (name) name.value = track.name || "";
      const type = row.querySelector("select.type"); // an album's tracks have no type
      if (type) type.value = track.track_type || type.dataset.classified;
    }
    updateCount();
    const heading = document.getElementById("disc-heading");
    heading.replaceChildren(disc.title);
    if (disc.year) heading.append(" ", el("span", { className: "muted", text: `(${disc.year})` }));
    document.title = `${disc.title} · Amphigory`;
    showPlanned(disc.tracks);
  }

  function showPlanned(tracks) {
    for (const track of tracks || []) {
      for (const code of form.querySelectorAll(`.planned[data-track="${track.number}"] .planned-path`)) {
        code.textContent = track.planned_library_path || "";
      }
    }
  }

  // The file names follow what the person types, before anything is saved (POST .../plan saves nothing).
  let previewTimer = null;
  let previewSeq = 0;
  function previewSoon() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const seq = ++previewSeq;
      const body = choices();
      if (!body.title) delete body.title;
      if (body.year !== null && !(Number.isInteger(body.year) && body.year >= 1870 && body.year <= 2200)) {
        body.year = null;
      }
      try {
        const plan = await api("POST", `/api/discs/${encodeURIComponent(fingerprint)}/plan`, body);
        if (seq === previewSeq) showPlanned(plan.tracks);
      } catch (err) { /* the names shown stay as they were */ }
    }, 250);
  }
  form.addEventListener("input", (event) => {
    if (event.target.matches("input[type=text], input[type=number]")) previewSoon();
  });
  form.addEventListener("change", (event) => { if (event.target.matches("select")) previewSoon(); });

  function isRipped(number) {
    const row = rows().find((r) => r.dataset.track === String(number));
    return Boolean(row && !row.querySelector("[data-action=rerip]").hidden);
  }

  async function driveHolding() {
    const { drives: current } = await api("GET", "/api/drives");
    return current.find((d) => d.fingerprint === fingerprint && d.state !== "empty") || null;
  }

  async function rerip(number) {
    await save();
    const drive = await driveHolding();
    if (!drive) {
      report("error", `Choices saved, but this disc is not in any drive. Insert it to re-rip title ${number}.`);
      return;
    }
    const result = await api("POST", `/api/drives/${encodeURIComponent(drive.drive_id)}/rip`,
      { tracks: [number], fingerprint, replace: true });
    for (const task of result.tasks || []) showTask(task);
    report("ok", `Re-ripping title ${number}: the new file replaces the old one once it is complete and checked.`);
  }

  async function rip() {
    const body = await save();
    const chosen = body.tracks.filter((t) => t.selected).map((t) => t.number);
    const tracks = chosen.filter((n) => !isRipped(n));
    if (!tracks.length) {
      report("error", chosen.length ? "Choices saved. The selected titles are ripped already: use Re-rip on a "
        + "title to rip it again." : "Choices saved. Select at least one title to rip.");
      return;
    }
    const drive = await driveHolding();
    if (!drive) {
      report("error", "Choices saved, but this disc is not in any drive. Insert it, then press Rip selected again.");
      return;
    }
    const result = await api("POST", `/api/drives/${encodeURIComponent(drive.drive_id)}/rip`,
      { tracks, fingerprint });
    for (const task of result.tasks || []) showTask(task);
    const n = result.task_ids.length;
    report("ok", `Queued ${n} rip${n === 1 ? "" : "s"} on drive “${deviceName(drive.device)}”. `
      + "Progress shows in the table and in the ",
      el("a", { href: "/queue", text: "queue" }), ".");
  }

  async function run(button, work, busyText) {
    ripButton.disabled = true;
    saveButton.disabled = true;
    const label = [...button.childNodes]; // kept whole: a Re-rip button holds a hidden "title N" for screen readers
    button.textContent = busyText;
    try {
      await work();
    } catch (err) {
      report("error", err.message);
    } finally {
      button.replaceChildren(...label);
      ripButton.disabled = false;
      saveButton.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(ripButton, rip, "Queuing…");
  });
  saveButton.addEventListener("click", () => run(saveButton, async () => {
    await save();
    report("ok", "Choices saved.");
  }, "Saving…"));
  form.addEventListener("change", (event) => { if (event.target.matches("input[type=checkbox]")) updateCount(); });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action=rerip]");
    if (button) run(button, () => rerip(Number(button.dataset.track)), "Queuing…");
  });
  updateCount();

  // Opening the duplicates the first time fetches their rows (rendered and escaped by the server, as the page is)
  // and moves them into the table a few dozen a frame, so the page never freezes.
  if (folded) {
    let fetching = false;
    folded.addEventListener("toggle", async () => {
      if (!folded.open || foldedFetched || fetching) return;
      fetching = true;
      const problem = folded.querySelector(".fetch-error");
      if (problem) problem.remove();
      try {
        const response = await fetch(folded.dataset.rows, { headers: { Accept: "text/html" } });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        const holder = document.createElement("template");
        holder.innerHTML = await response.text();
        waitingRows = [...holder.content.querySelectorAll("tr[data-track]")];
        foldedFetched = true;
      } catch (err) {
        const words = err instanceof TypeError ? "the webapp cannot be reached" : err.message;
        folded.append(el("p", { className: "error-text fetch-error", text: `The duplicate titles could not be loaded (${words}). Close and open again to retry.` }));
        return;
      } finally {
        fetching = false;
      }
      const body = folded.querySelector("tbody");
      const step = () => {
        body.append(...waitingRows.splice(0, 40));
        if (waitingRows.length) requestAnimationFrame(step);
      };
      step();
      updateCount();
    });
  }

  // -- deleting the disc's rips (confirmed in the page: no browser dialog) ------------------------------------------

  const deleteButton = document.getElementById("delete-disc");
  const confirmBox = document.getElementById("delete-confirm");
  deleteButton.addEventListener("click", () => {
    confirmBox.hidden = false;
    document.getElementById("delete-no").focus();
  });
  document.getElementById("delete-no").addEventListener("click", () => {
    confirmBox.hidden = true;
    deleteButton.focus();
  });
  document.getElementById("delete-yes").addEventListener("click", async () => {
    try {
      const result = await api("DELETE", `/api/discs/${encodeURIComponent(fingerprint)}`);
      const kept = result.kept.length ? ` ${result.kept.length} could not be removed.` : "";
      confirmBox.replaceChildren(el("p", { text: `Deleted ${result.removed.length} file`
        + `${result.removed.length === 1 ? "" : "s"}.${kept} ` }, el("a", { href: "/library", text: "Back to the library" })));
      confirmBox.dataset.kind = "ok";
      form.hidden = true;
      deleteButton.hidden = true;
    } catch (err) {
      confirmBox.hidden = true;
      report("error", `Could not delete: ${err.message}`);
    }
  });

  // -- the feed -------------------------------------------------------------------------------------------------

  async function loadTasks() {
    try {
      const body = await api("GET", `/api/tasks?fingerprint=${encodeURIComponent(fingerprint)}&limit=500`);
      // Oldest first, so the newest task of each title is the one left showing. Only what changed since the page
      // was rendered: older tasks are already in the statuses the server rendered (and may be of a deleted rip).
      const since = form.dataset.renderedAt || "";
      for (const task of [...body.tasks].reverse()) if (task.updated_at >= since) showTask(task);
    } catch (err) { /* the statuses rendered by the server stay */ }
  }

  openFeed({
    onOpen: loadTasks,
    onMessage(msg) {
      if (msg.type === "snapshot") {
        drives.clear();
        for (const d of msg.drives || []) drives.set(d.drive_id, d);
        showHolder();
      } else if (msg.type === "drive") {
        drives.set(msg.drive.drive_id, msg.drive);
        showHolder();
      } else if (msg.type === "drive_removed") {
        drives.delete(msg.drive_id);
        showHolder();
      } else if (msg.type === "task" && msg.task) {
        showTask(msg.task);
      } else if (msg.type === "disc" && msg.fingerprint === fingerprint && !saving
                 && msg.version > Number(form.dataset.version)) {
        reload().then(() => report("ok", "This disc was saved in another tab or window: showing that save."),
          () => {});
      }
    },
  });
})();
