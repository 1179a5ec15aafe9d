// The search page: plain JS over the HTTP API (/search, /facets, /articles, /quarantine).
// No build step, nothing fetched from another origin. The query string is the state, so a
// search can be shared; every text from the API becomes a text node, and only the <mark>
// tags of the highlighted fragments become markup.
"use strict";

(() => {
  const MULTI = ["entity", "label", "lang", "origin", "feed", "publication", "site"];
  const SINGLE = ["q", "from", "to", "sort", "size"];
  const VIEW = ["view", "id", "job", "stage"];
  const DEFAULTS = { sort: "relevance", size: "10", view: "search" };
  const LABEL_NAMES = {
    PER: "People", ORG: "Organisations", LOC: "Places", EVENT: "Events", MISC: "Other",
  };
  const FILTER_NAMES = {
    entity: "entity", label: "has", lang: "language", origin: "origin", feed: "feed",
    publication: "publication", site: "site", from: "from", to: "to",
  };
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (selector) => document.querySelector(selector);

  let state = readState();
  let ticket = 0; // the newest render; answers to older ones are dropped
  let nextCursor = null;
  let shown = 0;
  const knownLanguages = new Set();
  const languageNames = typeof Intl.DisplayNames === "function"
    ? new Intl.DisplayNames(["en"], { type: "language" }) : null;

  // ---- elements -------------------------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }

  const NAMED = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: "\u00a0" };

  /** HTML-escaped text back to the text it stands for (numeric and the usual named refs). */
  function unescapeHtml(text) {
    return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,6});/g, (all, ref) => {
      if (ref[0] === "#") {
        const code = ref[1] === "x" || ref[1] === "X"
          ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
      }
      return Object.prototype.hasOwnProperty.call(NAMED, ref) ? NAMED[ref] : all;
    });
  }

  /** A highlighted fragment: text nodes, and <mark> elements around the matches. */
  function marked(fragment) {
    const out = document.createDocumentFragment();
    let inMark = false;
    for (const part of String(fragment).split(/(<\/?mark>)/)) {
      if (part === "<mark>") inMark = true;
      else if (part === "</mark>") inMark = false;
      else if (part) {
        const text = document.createTextNode(unescapeHtml(part));
        out.append(inMark ? el("mark", {}, text) : text);
      }
    }
    return out;
  }

  /** Only http(s) links leave the page; anything else in an article's URL is shown as text. */
  function safeUrl(url) {
    try {
      const parsed = new URL(String(url), location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  const day = (when) => (when ? String(when).slice(0, 10) : "");
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const languageName = (code) => {
    try {
      const name = languageNames && code !== "unknown" ? languageNames.of(code) : null;
      return name && name !== code ? `${name} (${code})` : code;
    } catch {
      return code;
    }
  };

  // ---- state in the query string ---------------------------------------------------------

  function readState(search = location.search) {
    const params = new URLSearchParams(search);
    const read = {};
    for (const key of MULTI) read[key] = params.getAll(key).map((v) => v.trim()).filter(Boolean);
    for (const key of [...SINGLE, ...VIEW]) read[key] = (params.get(key) || "").trim();
    for (const [key, value] of Object.entries(DEFAULTS)) read[key] = read[key] || value;
    return read;
  }

  /** The query string of a state, without defaults; `keys` limits it (e.g. to the search). */
  function queryOf(s, keys = [...SINGLE, ...MULTI, ...VIEW]) {
    const params = new URLSearchParams();
    for (const key of keys) {
      if (MULTI.includes(key)) for (const value of s[key] || []) params.append(key, value);
      else if (s[key] && s[key] !== DEFAULTS[key]) params.set(key, s[key]);
    }
    return params;
  }

  const hrefOf = (s) => {
    const query = queryOf(s).toString();
    return query ? `/?${query}` : "/";
  };
  const searchOnly = (s) => ({ ...s, view: "search", id: "", job: "", stage: "" });
  const quarantineOf = (job, stage) => ({ ...readState(""), view: "quarantine", job, stage });

  /** Move to a new state: a new history entry (so Back works), then draw it. */
  function go(change) {
    state = { ...state, ...change };
    window.scrollTo(0, 0);
    history.pushState(null, "", hrefOf(state));
    render();
  }

  const withValue = (list, value) => (list.includes(value) ? list : [...list, value]);
  const without = (list, value) => list.filter((v) => v !== value);

  // ---- the API ---------------------------------------------------------------------------

  async function api(path, params) {
    const query = params ? params.toString() : "";
    const response = await fetch(query ? `${path}?${query}` : path, {
      headers: { Accept: "application/json" },
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const reason = body && (body.error || body.detail);
      throw new Error(reason ? String(reason) : `the API answered ${response.status}`);
    }
    return body;
  }

  /** The API's filters: a bare `to` date means the whole of that day. */
  function filterParams(s) {
    const params = queryOf(s, ["q", ...MULTI, "from", "to"]);
    const to = params.get("to");
    if (to && /^\d{4}-\d{2}-\d{2}$/.test(to)) params.set("to", `${to}T23:59:59.999Z`);
    return params;
  }

  // ---- views -----------------------------------------------------------------------------

  function render() {
    const view = ["quarantine", "article"].includes(state.view) ? state.view : "search";
    $("#search-view").hidden = view !== "search";
    $("#article-view").hidden = view !== "article";
    $("#quarantine-view").hidden = view !== "quarantine";
    $("#nav-search").toggleAttribute("aria-current", view === "search");
    $("#nav-quarantine").toggleAttribute("aria-current", view === "quarantine");
    const mine = ++ticket;
    document.body.classList.add("busy"); // until this view's answers are drawn
    const drawn = view === "quarantine" ? renderQuarantine(mine)
      : view === "article" ? renderArticle(mine) : renderSearch(mine);
    drawn.finally(() => {
      if (mine === ticket) document.body.classList.remove("busy");
    });
  }

  function showError(node, error) {
    node.textContent = error ? String(error.message || error) : "";
    node.hidden = !error;
  }

  // ---- search ----------------------------------------------------------------------------

  function fillForm() {
    $("#q").value = state.q;
    $("#from").value = state.from;
    $("#to").value = state.to;
    $("#sort").value = state.sort;
    for (const code of state.lang) knownLanguages.add(code);
    fillLanguages();
    document.title = state.q ? `${state.q} – newsworker search` : "newsworker search";
  }

  function fillLanguages() {
    const select = $("#lang");
    const chosen = state.lang.join(",");
    const options = [el("option", { value: "" }, "any")];
    for (const code of [...knownLanguages].sort()) {
      options.push(el("option", { value: code }, languageName(code)));
    }
    if (state.lang.length > 1) options.push(el("option", { value: chosen }, state.lang.join(", ")));
    select.replaceChildren(...options);
    select.value = chosen;
  }

  function renderActive() {
    const chips = [];
    for (const key of ["entity", "lang", "site", "label", "publication", "origin", "feed"]) {
      for (const value of state[key]) {
        chips.push(activeChip(key, value, () => go({ [key]: without(state[key], value) })));
      }
    }
    for (const key of ["from", "to"]) {
      if (state[key]) chips.push(activeChip(key, state[key], () => go({ [key]: "" })));
    }
    if (chips.length > 1) {
      chips.push(el("button", {
        type: "button", class: "clear",
        onclick: () => go({ ...Object.fromEntries(MULTI.map((k) => [k, []])), from: "", to: "" }),
      }, "clear all"));
    }
    $("#active").replaceChildren(...chips);
  }

  function activeChip(key, value, remove) {
    const label = key === "lang" ? languageName(value) : value;
    return el("span", { class: "chip active-filter", "data-filter": key, "data-value": value },
      el("span", { class: "chip-kind" }, FILTER_NAMES[key] || key),
      el("span", { class: "chip-name" }, label),
      el("button", {
        type: "button", class: "remove", "aria-label": `remove ${key} ${value}`, onclick: remove,
      }, "×"));
  }

  async function renderSearch(mine) {
    fillForm();
    renderActive();
    showError($("#error"), null);
    const params = filterParams(state);
    const pageParams = new URLSearchParams(params);
    pageParams.set("sort", state.sort);
    pageParams.set("size", state.size);
    try {
      const [page, facets] = await Promise.all([
        api("/search", pageParams), api("/facets", params),
      ]);
      if (mine !== ticket) return;
      shown = 0;
      $("#hits").replaceChildren();
      addHits(page);
      renderFacets(facets);
      renderChart(facets.per_day || []);
    } catch (error) {
      if (mine !== ticket) return;
      showError($("#error"), error);
      $("#hits").replaceChildren();
      $("#facets").replaceChildren();
      $("#chart").replaceChildren();
      $("#summary").textContent = "";
      $("#more").hidden = true;
    }
  }

  function addHits(page) {
    const list = $("#hits");
    for (const hit of page.hits) list.append(hitItem(hit));
    shown += page.hits.length;
    nextCursor = page.next;
    $("#more").hidden = !nextCursor;
    const total = page.total;
    const took = page.took_ms ? ` · ${Math.round(page.took_ms.round_trip)} ms` : "";
    $("#summary").textContent = total === 0 ? "No article matches."
      : `${plural(total, "article", "articles")}${shown < total ? `, showing ${shown}` : ""}${took}`;
    $("#summary").dataset.total = String(total);
  }

  async function moreHits() {
    if (!nextCursor) return;
    const mine = ticket;
    const params = filterParams(state);
    params.set("sort", state.sort);
    params.set("size", state.size);
    params.set("after", nextCursor);
    $("#more").disabled = true;
    document.body.classList.add("busy");
    try {
      const page = await api("/search", params);
      if (mine === ticket) addHits(page);
    } catch (error) {
      if (mine === ticket) showError($("#error"), error);
    } finally {
      $("#more").disabled = false;
      if (mine === ticket) document.body.classList.remove("busy");
    }
  }

  function entityFilter(entity) {
    return `${entity.label}:${entity.name}`;
  }

  function entityChip(entity, onpick) {
    return el("button", {
      type: "button", class: "chip entity", "data-label": entity.label,
      "data-entity": entityFilter(entity), title: `${entity.label} · filter by ${entity.name}`,
      onclick: onpick,
    }, entity.name);
  }

  function hitItem(hit) {
    const articleHref = hrefOf({ ...state, view: "article", id: hit.id });
    const original = safeUrl(hit.url);
    const title = hit.title_highlighted ? marked(hit.title_highlighted) : (hit.title || "(no title)");
    const entities = [...(hit.entities || [])].sort((a, b) => b.count - a.count).slice(0, 12);
    return el("li", { class: "hit", "data-id": hit.id },
      el("h3", {}, el("a", { href: articleHref, "data-nav": true, class: "title" }, title)),
      el("div", { class: "meta" },
        hit.site ? el("span", { class: "site" }, hit.site) : null,
        hit.language ? el("span", { class: "lang" }, hit.language) : null,
        hit.date ? el("time", { datetime: hit.date }, day(hit.date)) : null,
        original ? el("a", { href: original, rel: "noopener noreferrer", target: "_blank",
          class: "original" }, "original") : null,
        el("a", { href: `/articles/${encodeURIComponent(hit.id)}`, class: "json" }, "JSON")),
      (hit.snippets || []).map((s) => el("p", { class: "snippet" }, marked(s))),
      entities.length ? el("div", { class: "chips" }, entities.map((e) => entityChip(e,
        () => go({ entity: withValue(state.entity, entityFilter(e)) })))) : null);
  }

  function renderFacets(facets) {
    for (const bucket of facets.languages || []) {
      if (bucket.value !== "unknown") knownLanguages.add(bucket.value);
    }
    fillLanguages();
    const groups = [
      facetGroup("Languages", "lang", facets.languages, (b) => languageName(b.value),
        (b) => (b.value === "unknown" ? null : state.lang.includes(b.value)
          ? { lang: without(state.lang, b.value) } : { lang: [b.value] }),
        (b) => state.lang.includes(b.value)),
      facetGroup("Sites", "site", facets.sites, (b) => b.value,
        (b) => (state.site.includes(b.value) ? { site: without(state.site, b.value) }
          : { site: [b.value] }),
        (b) => state.site.includes(b.value)),
    ];
    for (const [label, buckets] of Object.entries(facets.entities || {})) {
      groups.push(facetGroup(LABEL_NAMES[label] || label, `entity-${label}`, buckets,
        (b) => b.value,
        (b) => {
          const value = `${label}:${b.value}`;
          return { entity: state.entity.includes(value) ? without(state.entity, value)
            : [...state.entity, value] };
        },
        (b) => state.entity.includes(`${label}:${b.value}`)));
    }
    $("#facets").replaceChildren(
      el("p", { class: "facet-total" }, plural(facets.total, "article", "articles"), " matched"),
      ...groups.filter(Boolean));
  }

  function facetGroup(title, key, buckets, name, change, active) {
    if (!buckets || !buckets.length) return null;
    return el("section", { class: "panel facet", "data-facet": key },
      el("h2", {}, title),
      el("ul", {}, buckets.map((bucket) => {
        const next = change(bucket);
        const content = [el("span", { class: "name" }, name(bucket)),
          el("span", { class: "count" }, bucket.count)];
        return el("li", {}, next === null
          ? el("span", { class: "facet-value", "data-value": bucket.value }, content)
          : el("button", {
            type: "button", class: "facet-value", "data-value": bucket.value,
            "aria-pressed": active(bucket) ? "true" : "false", onclick: () => go(next),
          }, content));
      })));
  }

  /** The days between the first and the last bucket, empty ones too, so time runs evenly. */
  function everyDay(buckets) {
    const isDay = (b) => /^\d{4}-\d{2}-\d{2}$/.test(b.value);
    if (buckets.length < 2 || !buckets.every(isDay)) return buckets;
    const counts = new Map(buckets.map((b) => [b.value, b.count]));
    const first = Date.parse(`${buckets[0].value}T00:00:00Z`);
    const last = Date.parse(`${buckets[buckets.length - 1].value}T00:00:00Z`);
    const days = Math.round((last - first) / 86400000) + 1;
    if (!(days > 0) || days > 1000) return buckets;
    return Array.from({ length: days }, (_, i) => {
      const value = new Date(first + i * 86400000).toISOString().slice(0, 10);
      return { value, count: counts.get(value) || 0 };
    });
  }

  /** Articles per day as bars of an inline SVG; a bar's click narrows the dates to its day. */
  function renderChart(perDay) {
    const box = $("#chart");
    const buckets = everyDay(perDay);
    if (!buckets.length) {
      box.replaceChildren(el("p", { class: "muted" }, "No dated article."));
      return;
    }
    const width = 320;
    const height = 130;
    const pad = { left: 30, right: 8, top: 10, bottom: 24 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const step = plotW / buckets.length;
    const gap = step > 6 ? Math.min(4, step * 0.2) : 0;
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`, class: "per-day",
      "aria-label": `Articles per day, ${buckets[0].value} to ${buckets[buckets.length - 1].value}`,
    });
    const base = pad.top + plotH;
    chart.append(
      svg("line", { x1: pad.left, x2: width - pad.right, y1: base, y2: base, class: "axis" }),
      svg("text", { x: pad.left - 4, y: pad.top + 8, class: "tick", "text-anchor": "end" }, max),
      svg("text", { x: pad.left - 4, y: base, class: "tick", "text-anchor": "end" }, 0));
    buckets.forEach((bucket, i) => {
      const h = bucket.count ? Math.max(1, (bucket.count / max) * plotH) : 0;
      const bar = svg("rect", {
        x: (pad.left + i * step + gap / 2).toFixed(2), y: (base - h).toFixed(2),
        width: Math.max(0.5, step - gap).toFixed(2), height: h.toFixed(2),
        class: "bar", "data-day": bucket.value, "data-count": bucket.count, tabindex: 0,
      }, svg("title", {}, `${bucket.value}: ${plural(bucket.count, "article", "articles")}`));
      const pick = () => go({ from: bucket.value, to: bucket.value });
      bar.addEventListener("click", pick);
      bar.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") pick();
      });
      chart.append(bar);
    });
    const ticks = buckets.length > 2
      ? [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1]
      : buckets.map((_, i) => i);
    for (const i of ticks) {
      const anchor = i === 0 ? "start" : i === buckets.length - 1 ? "end" : "middle";
      const x = i === 0 ? pad.left : i === buckets.length - 1 ? width - pad.right
        : pad.left + (i + 0.5) * step;
      chart.append(svg("text", { x, y: height - 6, class: "tick", "text-anchor": anchor },
        buckets[i].value));
    }
    box.replaceChildren(chart);
  }

  // ---- one article -----------------------------------------------------------------------

  async function renderArticle(mine) {
    const box = $("#article");
    $("#back").setAttribute("href", hrefOf(searchOnly(state)));
    box.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try {
      const doc = await api(`/articles/${encodeURIComponent(state.id)}`);
      if (mine !== ticket) return;
      document.title = `${doc.title || doc.id} – newsworker`;
      const original = safeUrl(doc.url);
      const paragraphs = String(doc.body || "").split(/\n\s*\n/).filter((p) => p.trim());
      const back = searchOnly(state);
      box.replaceChildren(el("div", { class: "document" },
        el("h1", {}, doc.title || "(no title)"),
        el("div", { class: "meta" },
          doc.site ? el("span", {}, doc.site) : null,
          doc.language ? el("span", {}, languageName(doc.language)) : null,
          doc.published_or_fetched_at ? el("time", { datetime: doc.published_or_fetched_at },
            day(doc.published_or_fetched_at)) : null,
          doc.attributed_publication ? el("span", {}, doc.attributed_publication) : null,
          (doc.authors || []).length ? el("span", {}, doc.authors.join(", ")) : null),
        el("p", { class: "links" },
          original ? el("a", { href: original, rel: "noopener noreferrer", target: "_blank" },
            "original") : null,
          el("a", { href: `/articles/${encodeURIComponent(doc.id)}`, class: "json" },
            "document (JSON)")),
        (doc.entities || []).length ? el("div", { class: "chips" }, doc.entities.map((e) =>
          entityChip(e, () => go({ ...back, entity: withValue(back.entity, entityFilter(e)) }))))
          : null,
        doc.summary && !paragraphs.length ? el("p", { class: "summary-text" }, doc.summary) : null,
        el("div", { class: "body" }, paragraphs.map((p) => el("p", {}, p))),
        (doc.keywords || []).length
          ? el("p", { class: "muted" }, "Keywords: ", doc.keywords.join(", ")) : null,
        el("section", { class: "similar", id: "similar" })));
      renderSimilar(mine);
    } catch (error) {
      if (mine === ticket) box.replaceChildren(el("p", { class: "error" }, error.message));
    }
  }

  async function renderSimilar(mine) {
    try {
      const similar = await api(`/articles/${encodeURIComponent(state.id)}/similar`,
        new URLSearchParams({ size: "5" }));
      if (mine !== ticket || !similar.hits.length) return;
      $("#similar").replaceChildren(el("h2", {}, "Similar articles"), el("ul", {},
        similar.hits.map((hit) => el("li", {}, el("a", {
          href: hrefOf({ ...state, id: hit.id }), "data-nav": true,
        }, hit.title || hit.id), " ", el("span", { class: "muted" }, hit.site || "")))));
    } catch {
      // Similar articles are a bonus: the article itself is already shown.
    }
  }

  // ---- quarantine ------------------------------------------------------------------------

  async function renderQuarantine(mine) {
    document.title = "Quarantine – newsworker";
    $("#job").value = state.job;
    $("#stage").value = state.stage;
    showError($("#quarantine-error"), null);
    const params = new URLSearchParams();
    if (state.job) params.set("job", state.job);
    if (state.stage) params.set("stage", state.stage);
    params.set("size", "100");
    try {
      const data = await api("/quarantine", params);
      if (mine !== ticket) return;
      const scope = [data.job ? `of job ${data.job}` : "", data.stage ? `at ${data.stage}` : ""]
        .filter(Boolean).join(" ");
      $("#quarantine-summary").textContent = data.count
        ? `${plural(data.count, "entry", "entries")}${scope ? ` ${scope}` : ""}, newest first`
        : `Nothing quarantined${scope ? ` ${scope}` : ""}.`;
      $("#quarantine-list").replaceChildren(...data.entries.map(quarantineItem));
    } catch (error) {
      if (mine !== ticket) return;
      showError($("#quarantine-error"), error);
      $("#quarantine-summary").textContent = "";
      $("#quarantine-list").replaceChildren();
    }
  }

  function quarantineItem(entry) {
    const origin = entry.origin || {};
    const when = entry.quarantined_at ? new Date(entry.quarantined_at) : null;
    return el("li", { class: "q-entry", "data-stage": entry.stage || "" },
      el("div", { class: "meta" },
        el("span", { class: "stage" }, entry.stage || "?"),
        el("span", { class: "code" }, entry.reason_code || entry.error_class || ""),
        when && !Number.isNaN(when.getTime())
          ? el("time", { datetime: entry.quarantined_at }, when.toLocaleString()) : null),
      el("p", { class: "reason" }, entry.reason || "(no reason)"),
      el("dl", {},
        origin.location ? [el("dt", {}, "origin"), el("dd", {}, origin.location)] : null,
        entry.job_id ? [el("dt", {}, "job"), el("dd", {}, el("a", {
          href: hrefOf(quarantineOf(entry.job_id, state.stage)), "data-nav": true,
        }, entry.job_id))] : null,
        entry.error_class ? [el("dt", {}, "error"), el("dd", {}, entry.error_class)] : null,
        entry.raw_size !== undefined && entry.raw_size !== null
          ? [el("dt", {}, "raw input"), el("dd", {}, `${entry.raw_size} bytes`
            + (entry.raw_truncated ? " (truncated)" : ""))] : null));
  }

  // ---- wiring ----------------------------------------------------------------------------

  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = $("#entity-input").value.trim();
    $("#entity-input").value = "";
    go({ q: $("#q").value.trim(), entity: typed ? withValue(state.entity, typed) : state.entity });
  });
  $("#lang").addEventListener("change", (event) => {
    const value = event.target.value;
    go({ lang: value ? value.split(",") : [] });
  });
  for (const key of ["from", "to"]) {
    $(`#${key}`).addEventListener("change", (event) => go({ [key]: event.target.value }));
  }
  $("#sort").addEventListener("change", (event) => go({ sort: event.target.value }));
  $("#more").addEventListener("click", moreHits);
  $("#quarantine-form").addEventListener("submit", (event) => {
    event.preventDefault();
    go(quarantineOf($("#job").value.trim(), $("#stage").value));
  });
  $("#stage").addEventListener("change", (event) => {
    go(quarantineOf($("#job").value.trim(), event.target.value));
  });

  // Links inside the page change the state without a reload (new tabs still work).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-nav]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey
        || event.altKey) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    state = readState();
    render();
    window.scrollTo(0, 0);
  });
  window.addEventListener("popstate", () => {
    state = readState();
    render();
  });

  render();
})();
