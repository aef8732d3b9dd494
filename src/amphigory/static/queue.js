"use strict";
// The queue: every task from /api/tasks, grouped by status, kept live by the feed's `task` messages. The list is
// reloaded on every (re)connection of the feed, so nothing missed while the webapp restarted stays stale.
//
// A title's rip and the filing it started are one entry (the filing is a step inside its rip), shown in the group
// of whichever of the two still needs attention. Cancelled tasks have their own group (a cancel is no failure).
// Finished entries beyond the newest FINISHED_SHOWN per group are pruned from the list; failed ones stay until they
// are dismissed (one, or all with "Clear failed").

(() => {
  const { el, api, openFeed, errorWords, deviceName, relativeTime, progressBar, setProgress } = Amphigory;
  const FINISHED_SHOWN = 50;
  const GROUPS = ["running", "queued", "failed", "cancelled", "complete"];
  const KIND = { scan: "Scan", rip: "Rip", eject: "Eject", file: "File" };
  const STATUS_WORDS = { queued: "Queued", running: "Running", complete: "Complete", failed: "Failed",
    cancelled: "Cancelled" };
  const tasks = new Map(); // id -> task
  const items = new Map(); // id -> <li>
  const errorBox = document.getElementById("queue-error");

  function showError(text) {
    errorBox.hidden = !text;
    errorBox.textContent = text || "";
  }

  function describe(task) {
    if (task.type === "rip") {
      const name = task.params && task.params.output_name;
      const again = task.params && task.params.replace ? " (re-rip)" : "";
      return task.track_number != null ? `Title ${task.track_number}${name ? ` · ${name}` : ""}${again}` : "Rip";
    }
    if (task.type === "file") {
      const how = task.params && task.params.transcode && task.params.transcode !== "none"
        ? ` · transcode (${task.params.transcode})` : "";
      return `Title ${task.track_number} into the library${how}`;
    }
    if (task.type === "scan") return task.result && task.result.title ? task.result.title : "Scan the disc";
    return "Eject the disc";
  }

  // -- a rip and its filing ---------------------------------------------------------------------------------------

  /** The rip task whose completion started this filing, if it is listed. */
  function ripOf(task) {
    if (task.type !== "file") return null;
    for (const other of tasks.values()) {
      const filing = other.type === "rip" && other.result && other.result.filing;
      if (filing && filing.task_id === task.id) return other;
    }
    return null;
  }

  function stepOf(rip) {
    const filing = rip.type === "rip" && rip.result && rip.result.filing;
    return filing && filing.task_id ? tasks.get(filing.task_id) || null : null;
  }

  /** Where an entry belongs: a rip whose filing is still running, or failed, shows there. */
  function groupOf(task) {
    const step = stepOf(task);
    if (step && task.status === "complete" && step.status !== "complete") return step.status;
    return GROUPS.includes(task.status) ? task.status : "failed";
  }

  // -- items ---------------------------------------------------------------------------------------------------

  function createItem(task) {
    const item = el("li", { className: "task", dataset: { taskId: task.id } },
      el("div", { className: "task-head" },
        el("span", { className: "badge kind" }),
        el("span", { className: "task-title" }),
        el("span", { className: "status-pill" })),
      el("p", { className: "task-where muted" }),
      el("div", { className: "progress" },
        el("div", { className: "progress-text" },
          el("span", { className: "progress-label", text: "Progress" }),
          el("span", { className: "progress-value" })),
        progressBar("Progress")),
      el("p", { className: "task-error", role: "note" }),
      el("p", { className: "task-result muted" }),
      el("div", { className: "task-actions" },
        el("button", { type: "button", className: "button ghost", dataset: { action: "cancel" }, text: "Cancel" }),
        el("button", { type: "button", className: "button", dataset: { action: "retry" }, text: "Retry" }),
        el("button", { type: "button", className: "button ghost", dataset: { action: "dismiss" }, text: "Dismiss" })),
      el("ul", { className: "task-steps" }));
    for (const action of ["cancel", "retry", "dismiss"]) {
      own(item, `.task-actions [data-action=${action}]`).addEventListener("click", () => act(task.id, action));
    }
    return item;
  }

  /** The item's own element (never one of its steps'). */
  function own(item, selector) {
    return item.querySelector(`:scope > ${selector}`);
  }

  function renderTask(task) {
    let item = items.get(task.id);
    if (!item) {
      item = createItem(task);
      items.set(task.id, item);
    }
    item.dataset.status = task.status;
    own(item, ".task-head .kind").textContent = KIND[task.type] || task.type;
    own(item, ".task-head .task-title").textContent = describe(task);
    const pill = own(item, ".task-head .status-pill");
    pill.textContent = STATUS_WORDS[task.status] || task.status;
    pill.dataset.status = task.status;

    const where = own(item, ".task-where");
    if (task.daemon_id) {
      const drive = deviceName(String(task.drive_id).slice(task.daemon_id.length + 1) || task.drive_id);
      where.replaceChildren(`Drive “${drive}” on ${task.daemon_id}`);
    } else {
      where.replaceChildren("In the webapp");  // the webapp's own task (filing)
    }
    if (task.fingerprint) {
      where.append(" · disc ", el("a", { href: `/discs/${encodeURIComponent(task.fingerprint)}`,
        text: `${task.fingerprint.slice(0, 16)}…` }));
    }
    const stamp = task.finished_at || task.started_at || task.created_at;
    const verb = task.finished_at ? "finished" : task.started_at ? "started" : "queued";
    where.append(" · ", el("time", { datetime: stamp, text: `${verb} ${relativeTime(stamp)}` }));

    const active = task.status === "running" || task.status === "queued";
    const progress = own(item, ".progress");
    progress.hidden = !active;
    progress.querySelector(".progress-value").textContent = `${task.progress}%`;
    setProgress(progress.querySelector(".bar"), task.progress, `${describe(task)}: ${task.progress}%`);

    const error = own(item, ".task-error");
    const failed = task.status === "failed";
    const cancelled = task.status === "cancelled";
    error.hidden = !failed && !cancelled;
    error.classList.toggle("muted", cancelled);
    error.textContent = failed ? errorWords(task.error_code, task.error) : cancelled ? "Cancelled." : "";

    const result = own(item, ".task-result");
    const path = task.status === "complete" && task.result && task.result.path;
    const skipped = task.result && task.result.filing && task.result.filing.note;
    result.hidden = !path && !skipped;
    const ripped = task.type === "file" && task.result && task.result.ripped;
    result.textContent = [path ? `${task.type === "file" ? "Filed as" : "Written to"} ${path}` : "",
      skipped ? `Not filed: ${skipped}` : "",
      ripped === "removed" ? "the rip left ripped/ (it is safely in the library)" : ripped ? `rip ${ripped}` : "",
    ].filter(Boolean).join(" · ");

    own(item, ".task-actions [data-action=cancel]").hidden = !active;
    own(item, ".task-actions [data-action=retry]").hidden = !((failed || cancelled) && task.type !== "eject");
    own(item, ".task-actions [data-action=dismiss]").hidden = !failed && !cancelled;
    place(task, item);
  }

  function place(task, item) {
    const rip = ripOf(task);
    if (rip && items.has(rip.id)) {
      // a filing is a step of its rip: inside the rip's entry, which moves to the group the pair belongs in
      const steps = own(items.get(rip.id), ".task-steps");
      if (item.parentElement !== steps) steps.append(item);
      item.classList.add("task-step");
      placeEntry(rip, items.get(rip.id));
      return;
    }
    item.classList.remove("task-step");
    placeEntry(task, item);
    const step = stepOf(task);
    if (step && items.has(step.id)) place(step, items.get(step.id));
  }

  function placeEntry(task, item) {
    const group = groupOf(task);
    item.dataset.group = group;
    const list = document.getElementById(`tasks-${group}`);
    const newestFirst = group !== "running" && group !== "queued";
    const key = (t) => t.finished_at || t.created_at;
    const mine = key(task);
    let before = null;
    for (const other of list.children) {
      const otherTask = other === item ? null : tasks.get(other.dataset.taskId);
      if (!otherTask) continue;
      const theirs = key(otherTask);
      if (newestFirst ? theirs < mine : theirs > mine) { before = other; break; }
    }
    if (item.parentElement !== list || item.nextElementSibling !== before) list.insertBefore(item, before);
    prune();
    updateCounts();
  }

  /** Only the newest FINISHED_SHOWN entries of the complete and cancelled groups stay listed. */
  function prune() {
    for (const group of ["complete", "cancelled"]) {
      const list = document.getElementById(`tasks-${group}`);
      while (list.children.length > FINISHED_SHOWN) forget(list.lastElementChild.dataset.taskId);
    }
  }

  function forget(id) {
    const item = items.get(id);
    if (item) {
      for (const step of item.querySelectorAll(".task-step")) forget(step.dataset.taskId);
      item.remove();
    }
    items.delete(id);
    tasks.delete(id);
  }

  function updateCounts() {
    for (const group of GROUPS) {
      const count = document.getElementById(`tasks-${group}`).children.length;
      document.querySelector(`[data-count=${group}]`).textContent = String(count);
      document.querySelector(`[data-empty=${group}]`).hidden = count > 0;
    }
    document.getElementById("clear-failed").hidden = document.getElementById("tasks-failed").children.length === 0;
  }

  function upsert(task) {
    const current = tasks.get(task.id);
    if (current && current.updated_at > task.updated_at) return; // an older copy arriving late
    tasks.set(task.id, task);
    renderTask(task);
  }

  function removed(ids) {
    for (const id of ids) {
      const item = items.get(id);
      const steps = item ? [...item.querySelectorAll(".task-step")] : [];
      for (const step of steps) step.remove(); // a dismissed rip leaves its filing listed on its own
      forget(id);
      for (const step of steps) {
        const task = tasks.get(step.dataset.taskId);
        if (task && !ids.includes(task.id)) { step.classList.remove("task-step"); placeEntry(task, step); }
      }
    }
    updateCounts();
  }

  async function reload() {
    try {
      const body = await api("GET", "/api/tasks?limit=200");
      showError("");
      const ids = new Set(body.tasks.map((t) => t.id));
      for (const id of [...items.keys()]) if (!ids.has(id)) forget(id);
      for (const task of body.tasks) tasks.set(task.id, task); // all known first, so rips find their filings
      for (const task of [...body.tasks].reverse()) { tasks.delete(task.id); upsert(task); }
      updateCounts();
    } catch (err) {
      showError(`Could not load the tasks: ${err.message}`);
    }
  }

  async function act(id, action) {
    const item = items.get(id);
    const button = item && own(item, `.task-actions [data-action=${action}]`);
    if (button) button.disabled = true;
    try {
      if (action === "dismiss") {
        removed((await api("DELETE", `/api/tasks/${encodeURIComponent(id)}`)).task_ids);
      } else {
        const body = await api("POST", `/api/tasks/${encodeURIComponent(id)}/${action}`);
        for (const task of (body && body.tasks) || (body && body.id ? [body] : [])) upsert(task);
      }
      showError("");
    } catch (err) {
      showError(`Could not ${action} the task: ${err.message}`);
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.getElementById("clear-failed").addEventListener("click", async () => {
    try {
      removed((await api("DELETE", "/api/tasks?status=failed")).task_ids);
      showError("");
    } catch (err) {
      showError(`Could not clear the failed tasks: ${err.message}`);
    }
  });

  setInterval(() => {
    for (const task of tasks.values()) {
      const item = items.get(task.id);
      const time = item && own(item, ".task-where time");
      if (time) {
        const verb = task.finished_at ? "finished" : task.started_at ? "started" : "queued";
        time.textContent = `${verb} ${relativeTime(time.dateTime)}`;
      }
    }
  }, 10000);

  openFeed({
    onOpen: reload,
    onMessage(msg) {
      if (msg.type === "task" && msg.task) upsert(msg.task);
      else if (msg.type === "tasks_removed" && Array.isArray(msg.task_ids)) removed(msg.task_ids);
    },
  });
})();
