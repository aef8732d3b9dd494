"use strict";
// The queue: every task from /api/tasks, grouped by status, kept live by the feed's `task` messages. The list is
// reloaded on every (re)connection of the feed, so nothing missed while the webapp restarted stays stale.

(() => {
  const { el, api, openFeed, errorWords, deviceName, relativeTime, progressBar, setProgress } = Amphigory;
  const GROUP = { running: "running", queued: "queued", complete: "complete", failed: "failed", cancelled: "failed" };
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
      return task.track_number != null ? `Title ${task.track_number}${name ? ` · ${name}` : ""}` : "Rip";
    }
    if (task.type === "file") {
      const how = task.params && task.params.transcode && task.params.transcode !== "none"
        ? ` · transcode (${task.params.transcode})` : "";
      return `Title ${task.track_number} into the library${how}`;
    }
    if (task.type === "scan") return task.result && task.result.title ? task.result.title : "Scan the disc";
    return "Eject the disc";
  }

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
        el("button", { type: "button", className: "button", dataset: { action: "retry" }, text: "Retry" })));
    item.querySelector("[data-action=cancel]").addEventListener("click", () => act(task.id, "cancel"));
    item.querySelector("[data-action=retry]").addEventListener("click", () => act(task.id, "retry"));
    return item;
  }

  function renderTask(task) {
    let item = items.get(task.id);
    if (!item) {
      item = createItem(task);
      items.set(task.id, item);
    }
    item.dataset.status = task.status;
    item.querySelector(".kind").textContent = KIND[task.type] || task.type;
    item.querySelector(".task-title").textContent = describe(task);
    const pill = item.querySelector(".status-pill");
    pill.textContent = STATUS_WORDS[task.status] || task.status;
    pill.dataset.status = task.status;

    const where = item.querySelector(".task-where");
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
    const progress = item.querySelector(".progress");
    progress.hidden = !active;
    progress.querySelector(".progress-value").textContent = `${task.progress}%`;
    setProgress(progress.querySelector(".bar"), task.progress, `${describe(task)}: ${task.progress}%`);

    const error = item.querySelector(".task-error");
    const failed = task.status === "failed" || task.status === "cancelled";
    error.hidden = !failed;
    error.textContent = failed ? errorWords(task.error_code || (task.status === "cancelled" ? "cancelled" : ""),
      task.error) : "";

    const result = item.querySelector(".task-result");
    const path = task.status === "complete" && task.result && task.result.path;
    const skipped = task.result && task.result.filing && task.result.filing.note;
    result.hidden = !path && !skipped;
    result.textContent = [path ? `${task.type === "file" ? "Filed as" : "Written to"} ${path}` : "",
      skipped ? `Not filed: ${skipped}` : ""].filter(Boolean).join(" · ");

    item.querySelector("[data-action=cancel]").hidden = !active;
    item.querySelector("[data-action=retry]").hidden = !(failed && task.type !== "eject");
    place(task, item);
  }

  function place(task, item) {
    const group = GROUP[task.status] || "failed";
    const list = document.getElementById(`tasks-${group}`);
    const newestFirst = group === "complete" || group === "failed";
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
    updateCounts();
  }

  function updateCounts() {
    for (const group of ["running", "queued", "complete", "failed"]) {
      const count = document.getElementById(`tasks-${group}`).children.length;
      document.querySelector(`[data-count=${group}]`).textContent = String(count);
      document.querySelector(`[data-empty=${group}]`).hidden = count > 0;
    }
  }

  function upsert(task) {
    const current = tasks.get(task.id);
    if (current && current.updated_at > task.updated_at) return; // an older copy arriving late
    tasks.set(task.id, task);
    renderTask(task);
  }

  async function reload() {
    try {
      const body = await api("GET", "/api/tasks?limit=200");
      showError("");
      const ids = new Set(body.tasks.map((t) => t.id));
      for (const [id, item] of items) {
        if (!ids.has(id)) { item.remove(); items.delete(id); tasks.delete(id); }
      }
      for (const task of body.tasks) { tasks.delete(task.id); upsert(task); }
      updateCounts();
    } catch (err) {
      showError(`Could not load the tasks: ${err.message}`);
    }
  }

  async function act(id, action) {
    const item = items.get(id);
    const button = item && item.querySelector(`[data-action=${action}]`);
    if (button) button.disabled = true;
    try {
      const body = await api("POST", `/api/tasks/${encodeURIComponent(id)}/${action}`);
      showError("");
      for (const task of (body && body.tasks) || (body && body.id ? [body] : [])) upsert(task);
    } catch (err) {
      showError(`Could not ${action} the task: ${err.message}`);
    } finally {
      if (button) button.disabled = false;
    }
  }

  setInterval(() => {
    for (const task of tasks.values()) {
      const time = items.get(task.id).querySelector(".task-where time");
      if (time) {
        const verb = task.finished_at ? "finished" : task.started_at ? "started" : "queued";
        time.textContent = `${verb} ${relativeTime(time.dateTime)}`;
      }
    }
  }, 10000);

  openFeed({
    onOpen: reload,
    onMessage(msg) { if (msg.type === "task" && msg.task) upsert(msg.task); },
  });
})();
