"use strict";
// Shared by the live pages: the reconnecting browser feed (/ws/browser), JSON calls to the API, and small DOM
// helpers. Everything a disc supplies goes into the page as text (textContent), never as markup.

const Amphigory = (() => {
  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Call the JSON API; resolves to the parsed body, rejects with an Error whose message is in words. */
  async function api(method, url, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new Error("The webapp cannot be reached. Is it running?");
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
    if (!response.ok) {
      const error = new Error(detailOf(data) || `${response.status} ${response.statusText}`);
      error.status = response.status;
      error.code = data && data.code;
      error.data = data;
      throw error;
    }
    return data;
  }

  function detailOf(data) {
    if (!data || data.detail === undefined) return "";
    if (typeof data.detail === "string") return data.detail;
    if (Array.isArray(data.detail)) return data.detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
    return JSON.stringify(data.detail);
  }

  /**
   * Follow /ws/browser: `onMessage(msg)` for every message (the first of each connection is the snapshot), and
   * reconnect with backoff (0.25 s doubling to 5 s, with jitter) whenever the connection drops, e.g. while the
   * webapp restarts. `onOpen()` runs on every (re)connection so a page can reload what it may have missed. While
   * the promise it returns is pending, messages wait, then arrive in order: the reloaded list was answered before
   * them, and applied after them it would put back a task's older state, or a task removed meanwhile.
   */
  function openFeed({ onMessage, onOpen }) {
    const status = document.getElementById("feed-status");
    let delay = 250;
    let everOpen = false;
    let waiting = null; // messages that arrived while the page reloaded
    let reloads = 0;

    function reload() {
      const mine = ++reloads;
      if (!waiting) waiting = [];
      Promise.resolve().then(onOpen).catch((err) => setTimeout(() => { throw err; })).finally(() => {
        if (mine !== reloads) return; // a later reload is on its way: they wait for it
        const late = waiting;
        waiting = null;
        for (const message of late) onMessage(message);
      });
    }

    function show(state, text) {
      if (!status) return;
      status.dataset.state = state;
      status.querySelector(".feed-text").textContent = text;
    }

    function connect() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      const socket = new WebSocket(`${scheme}//${location.host}/ws/browser`);
      socket.addEventListener("open", () => {
        delay = 250;
        everOpen = true;
        show("live", "Live");
        if (onOpen) reload();
      });
      socket.addEventListener("message", (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch (err) { return; }
        if (!message || typeof message !== "object") return;
        if (waiting) waiting.push(message);
        else onMessage(message);
      });
      socket.addEventListener("close", () => {
        show("offline", everOpen ? "Reconnecting…" : "Connecting…");
        const wait = delay * (1 + Math.random() * 0.3);
        delay = Math.min(5000, delay * 2);
        setTimeout(connect, wait);
      });
    }
    connect();
  }

  const ERROR_WORDS = {
    cancelled: "Cancelled.",
    disc_ejected: "The disc was ejected before it finished.",
    disk_full: "The disk ran out of space: free some, then retry.",  // a rip's, a worker's or the library's
    tool_failed: "The ripping tool failed.",
    verify_failed: "The ripped file did not pass verification.",
    exists: "A file with that name is already there.",
    already_ripped: "That title is ripped already: use Re-rip to rip it again.",
    fingerprint_mismatch: "A different disc is in the drive now.",
    daemon_disconnected: "The daemon that owns the drive disconnected.",
    webapp_restarted: "The webapp restarted while this was running.",
    daemon_timeout: "The daemon did not answer in time.",
    daemon_not_connected: "The daemon that owns the drive is not connected.",
    no_disc: "There is no disc in the drive.",
    busy: "The drive is busy with something else.",
    unknown_drive: "That drive is not connected any more.",
    not_available: "That is not available on this drive.",
    invalid_result: "The scan produced a result the webapp could not read.",
  };

  /** A failure in words: what the code means, then the daemon's own message when it adds something. */
  function errorWords(code, message) {
    const words = ERROR_WORDS[code];
    if (!words) return message || "Failed for an unknown reason.";
    if (!message || message === code) return words;
    return `${words} (${message})`;
  }

  /** The human part of a drive id (`user@host:sr0` -> `sr0`; an image drive's folder -> its last part). */
  function deviceName(device) {
    const parts = String(device || "").split("/").filter(Boolean);
    return parts.length ? parts[parts.length - 1] : String(device || "drive");
  }

  function relativeTime(iso) {
    if (!iso) return "never";
    const then = Date.parse(iso);
    if (Number.isNaN(then)) return String(iso);
    const seconds = Math.max(0, Math.round((Date.now() - then) / 1000));
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${seconds} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return new Date(then).toLocaleString();
  }

  const TYPE_WORDS = { dvd: "DVD", bluray: "Blu-ray", uhd: "UHD Blu-ray", cd: "CD" };
  function discType(kind) { return TYPE_WORDS[kind] || (kind ? String(kind) : "—"); }

  function words(value) { return String(value || "").replace(/_/g, " "); }

  /** A progress bar (role=progressbar) whose value `setProgress` changes. */
  function progressBar(label) {
    const fill = el("span", { className: "bar-fill" });
    return el("div", { className: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
      "aria-valuenow": 0, "aria-label": label }, fill);
  }

  function setProgress(bar, percent, label) {
    const value = Math.max(0, Math.min(100, Math.round(Number(percent) || 0)));
    bar.setAttribute("aria-valuenow", String(value));
    if (label) bar.setAttribute("aria-label", label);
    bar.firstChild.style.width = `${value}%`;
  }

  return { el, api, openFeed, errorWords, deviceName, relativeTime, discType, words, progressBar, setProgress };
})();
