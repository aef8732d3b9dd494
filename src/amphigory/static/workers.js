// Workers, from GET /api/workers: the dashboard's list (#workers: host, current job, speed, last seen) and, on the
// queue page, the live fps and time left of each job a worker is running (next to its task's progress).
(() => {
  "use strict";
  const { el, api } = Amphigory;
  const list = document.getElementById("workers");
  const PHASES = { claimed: "Starting", fetching: "Fetching the rip", transcoding: "Transcoding",
                   uploading: "Sending the result" };

  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "";
    const s = Math.round(seconds);
    const m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${String(s % 60).padStart(2, "0")}`;
  }

  function speed(worker) {
    const parts = [];
    if (worker.fps) parts.push(`${worker.fps.toFixed(1)} fps`);
    if (worker.eta_seconds !== null && worker.eta_seconds !== undefined) parts.push(`${clock(worker.eta_seconds)} left`);
    return parts.join(" · ");
  }

  function seen(seconds) {
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${Math.round(seconds)} s ago`;
    return `${Math.round(seconds / 60)} min ago`;
  }

  function renderList(workers) {
    if (!list) return;
    list.replaceChildren();
    if (!workers.length) {
      list.append(el("li", { className: "empty", text: "None heard from yet." }));
      return;
    }
    for (const worker of workers) {
      const doing = worker.task_id ? `${PHASES[worker.phase] || worker.phase || "Working"} ${speed(worker)}`.trim()
        : "Idle";
      list.append(el("li", { dataset: { workerId: worker.id } },
        el("strong", { text: worker.host }),
        el("span", { className: "muted", text: ` pid ${worker.pid} · ${doing} · seen ${seen(worker.last_seen_seconds_ago)}` })));
    }
  }

  function annotateQueue(workers) {
    for (const worker of workers) {
      if (!worker.task_id) continue;
      const item = document.querySelector(`li.task[data-task-id="${CSS.escape(worker.task_id)}"]`);
      const label = item && item.querySelector(".progress-label");
      if (!label) continue;
      const detail = speed(worker);
      label.textContent = `${PHASES[worker.phase] || "Progress"} on ${worker.host}${detail ? ` · ${detail}` : ""}`;
    }
  }

  async function refresh() {
    try {
      const body = await api("GET", "/api/workers");
      renderList(body.workers);
      annotateQueue(body.workers);
    } catch (error) {
      // the feed's status already says when the webapp is unreachable
    }
  }

  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, 1000);
})();
