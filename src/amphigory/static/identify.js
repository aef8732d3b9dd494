"use strict";
// The review page's identification panel (templates/_identification.html): what the disc is, where that came from
// and why; for an uncertain answer the candidates, and a search, to pick from. A pick is POSTed to
// /api/discs/{fp}/identification (the person's answer: final) and the page reloads with the names it gave.
// While a look-up is under way the panel asks /api/discs/{fp} again until there is an answer. Everything a
// service or a disc supplies goes in as text (textContent); images only from http(s) URLs.

(() => {
  const { el, api } = Amphigory;
  const panel = document.getElementById("identification");
  if (!panel) return;
  const fingerprint = panel.dataset.fingerprint;
  const data = JSON.parse(document.getElementById("identification-data").textContent || "{}");
  const SOURCES = { thediscdb: "TheDiscDB", tmdb: "TMDB", musicbrainz: "MusicBrainz", person: "you" };
  const KINDS = { movie: "Film", series: "Series", music: "Album" };
  const note = panel.querySelector(".ident-note");
  // Before any answer: what the server said (looking it up, or not looked up on an offline server).
  const noAnswerYet = panel.querySelector(".ident-status").textContent;

  function imageUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function named(thing) {
    const year = thing.year ? ` (${thing.year})` : "";
    const by = thing.artist ? `${thing.artist} – ` : "";
    const season = thing.season != null && thing.kind === "series" ? `, season ${thing.season}` : "";
    return `${by}${thing.title || "Untitled"}${year}${season}`;
  }

  function say(kind, text) {
    note.hidden = !text;
    note.dataset.kind = kind;
    note.textContent = text;
  }

  // -- the answer ------------------------------------------------------------------------------------------------

  function render(ident, namedBy) {
    panel.dataset.status = ident ? ident.status : "pending";
    const status = panel.querySelector(".ident-status");
    const source = panel.querySelector(".ident-source");
    const poster = panel.querySelector(".ident-poster");
    const url = ident && imageUrl(ident.poster_url);
    poster.hidden = !url;
    if (url) {
      poster.src = url;
      poster.alt = `${ident.kind === "music" ? "Cover" : "Poster"} of ${ident.title || "the disc"}`;
    }
    let text;
    if (!ident) text = noAnswerYet;
    else if (ident.status === "identified") text = `${KINDS[ident.kind] || "Disc"}: ${named(ident)}`;
    else if (ident.status === "uncertain") text = "Not sure what this disc is: pick the right one below, or search.";
    else if (ident.retry) text = "Not identified yet: nothing could be looked up (see why below).";
    else text = "Not identified: no service knows this disc. Search for it below, or type its title.";
    status.textContent = text;
    const from = ident && SOURCES[ident.source];
    source.textContent = namedBy === "person" && (!ident || ident.source !== "person")
      ? "You named this disc yourself; that stays."
      : from ? `From ${from}${ident.confidence ? `, ${Math.round(ident.confidence * 100)}% sure` : ""}.` : "";
    panel.querySelector(".ident-reasons").replaceChildren(
      ...((ident && ident.reasons) || []).map((reason) => el("li", { text: reason })));
    const titles = (ident && (ident.status === "identified" || ident.source === "person") && ident.titles) || [];
    panel.querySelector(".ident-titles").replaceChildren(...titles.map(titleItem));
    const candidates = (ident && ident.status !== "identified" && ident.candidates) || [];
    const box = panel.querySelector(".ident-candidates");
    box.hidden = candidates.length === 0;
    box.querySelector(".candidate-list").replaceChildren(...candidates.map(candidateItem));
    const search = panel.querySelector(".ident-search-box");
    const sure = ident && ident.status === "identified";
    search.querySelector("summary").textContent = sure ? "Not right? Search" : "Search";
    if (!sure) search.open = true;
  }

  function episodeCode(t) {
    if (t.season == null || t.episode == null) return null;
    const two = (n) => String(n).padStart(2, "0");
    return `s${two(t.season)}e${two(t.episode)}${t.episode_end != null ? `-e${two(t.episode_end)}` : ""}`;
  }

  /** What the answer says about one scanned title: its number, name, episode and type. */
  function titleItem(t) {
    const parts = [episodeCode(t), t.name, t.artist, t.type ? t.type.replace(/_/g, " ") : null].filter(Boolean);
    return el("li", {}, el("span", { className: "muted", text: `Title ${t.number}: ` }), parts.join(" · "));
  }

  function candidateItem(candidate) {
    const url = imageUrl(candidate.poster_url);
    const why = (candidate.parts || []).map((p) => p.why).filter(Boolean).join("; ");
    const button = el("button", { type: "button", className: "button primary pick",
      text: "This one", "aria-label": `This one: ${named(candidate)}` });
    button.addEventListener("click", () => pick(candidate, button));
    return el("li", { className: "candidate" },
      url ? el("img", { className: "candidate-poster", src: url, alt: "", width: 46, height: 69, loading: "lazy" })
        : el("span", { className: "candidate-poster", "aria-hidden": "true" }),
      el("div", { className: "candidate-text" },
        el("span", { className: "candidate-title", text: named(candidate) }),
        el("span", { className: "muted small", text: [KINDS[candidate.kind], candidate.score
          ? `score ${Math.round(candidate.score * 100)}%` : null].filter(Boolean).join(" · ") }),
        why ? el("span", { className: "muted small candidate-why", text: why }) : null,
        candidate.overview ? el("span", { className: "small candidate-overview", text: candidate.overview }) : null),
      button);
  }

  // -- picking and searching ---------------------------------------------------------------------------------------

  async function pick(candidate, button) {
    button.disabled = true;
    say("info", `Naming the disc ${named(candidate)}…`);
    const body = { kind: candidate.kind, title: candidate.title, year: candidate.year ?? null,
      tmdb_id: candidate.tmdb_id ?? null, musicbrainz_release_id: candidate.musicbrainz_release_id ?? null,
      season: candidate.season ?? null };
    try {
      const disc = await api("POST", `/api/discs/${encodeURIComponent(fingerprint)}/identification`, body);
      say("ok", `Named ${disc.title}${disc.year ? ` (${disc.year})` : ""}.`);
      location.reload();
    } catch (err) {
      say("error", `Could not name the disc: ${err.message}`);
      button.disabled = false;
    }
  }

  panel.querySelector(".ident-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const q = form.q.value.trim();
    const results = panel.querySelector(".search-results");
    if (!q) {
      say("error", "Type a title to search for.");
      return;
    }
    const params = new URLSearchParams({ q });
    if (form.year.value.trim()) params.set("year", form.year.value.trim());
    if (form.kind.value) params.set("kind", form.kind.value);
    say("info", "Searching…");
    try {
      const found = await api("GET", `/api/discs/${encodeURIComponent(fingerprint)}/candidates?${params}`);
      results.replaceChildren(...found.candidates.map(candidateItem));
      say("info", found.candidates.length ? `${found.candidates.length} found.` : "Nothing found. Try fewer words.");
    } catch (err) {
      say("error", `Search failed: ${err.message}`);
    }
  });

  // -- waiting for an answer ---------------------------------------------------------------------------------------

  function formUntouched() {
    return [...document.querySelectorAll("#review input, #review select")].every((input) =>
      input.type === "checkbox" ? input.checked === input.defaultChecked
        : input.tagName === "SELECT" ? [...input.options].every((o) => o.selected === o.defaultSelected)
          : input.value === input.defaultValue);
  }

  async function follow() {
    let delay = 500;
    for (let tries = 0; tries < 120; tries++) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(10000, delay * 1.5);
      let disc;
      try { disc = await api("GET", `/api/discs/${encodeURIComponent(fingerprint)}`); } catch (err) { continue; }
      const ident = disc.identification;
      if (!ident || (ident.retry && ident.status === "unknown")) {
        render(ident, disc.named_by);
        continue;
      }
      if (disc.named_by !== data.named_by && formUntouched()) {
        location.reload(); // the disc was named: show its names everywhere on the page
        return;
      }
      render(ident, disc.named_by);
      if (disc.named_by !== data.named_by) say("ok", `Identified as ${disc.title}: reload the page to use its names.`);
      return;
    }
  }

  render(data.identification, data.named_by);
  const ident = data.identification;
  if (!ident || ident.retry) follow();
})();
