// Byline's chat page. No framework and no build step: the browser runs this file as written.
// Answers quote articles, which are untrusted, so text always goes in as text (never innerHTML).
"use strict";

const HISTORY_MESSAGES = 12; // earlier messages sent with a follow-up (the API takes up to 20)
const ARTICLES_PAGE = 20;
const KEY_STORAGE = "byline-api-key";

const $ = (id) => document.getElementById(id);
const state = {
  history: [], // {role, content} of answered turns, oldest first
  turns: 0,
  busy: false,
  stop: () => {}, // aborts the answer being streamed
  key: sessionStorage.getItem(KEY_STORAGE) || "",
  articlesShown: 0,
  articlesOutlet: null,
};

// ---- talking to the API ------------------------------------------------------------------

function requestHeaders(accept, sendsJson = false) {
  const headers = { Accept: accept };
  if (sendsJson) headers["Content-Type"] = "application/json";
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  return headers;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The error envelope of a failed response ({"error": {"code", "message"}}), whatever came back.
async function apiError(response) {
  let code = "http_error";
  let message = `the server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch (_) {
    // not JSON (a proxy's page, say): keep the status line
  }
  if (response.status === 401) showKeyForm();
  return new ApiError(response.status, code, message);
}

async function getJson(path) {
  const response = await fetch(path, { headers: requestHeaders("application/json") });
  if (!response.ok) throw await apiError(response);
  return response.json();
}

// Server-Sent Events from a fetch response (EventSource cannot POST): yields {event, data}.
async function* serverEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

// ---- the conversation ---------------------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function announce(message) {
  $("announcer").textContent = message;
}

function addTurn(question) {
  state.turns += 1;
  const item = element("li", "turn");
  item.id = `turn-${state.turns}`;
  item.append(element("p", "question", question));
  const answer = element("div", "answer");
  answer.setAttribute("aria-busy", "true");
  const text = element("p", "answer-text");
  const status = element("p", "status muted", "Searching the articles…");
  answer.append(status, text);
  item.append(answer);
  $("log").append(item);
  $("intro").hidden = true;
  const turn = { item, answer, text, status, question };
  keepInView(turn);
  return turn;
}

// The newest question and its answer stay in view above the sticky question bar (the page's
// scroll-padding is the bar's height): the whole turn while it fits, else its start.
function keepInView(turn) {
  const room = window.innerHeight - $("ask-form").offsetHeight;
  turn.item.scrollIntoView({ block: turn.item.offsetHeight <= room ? "end" : "start" });
}

// The sticky question bar's height, for scroll-padding: what scrolls into view is not under it.
function trackQuestionBar() {
  const bar = $("ask-form");
  const update = () =>
    document.documentElement.style.setProperty("--question-bar", `${bar.offsetHeight}px`);
  new ResizeObserver(update).observe(bar);
  update();
}

// The answer's text with each [n] as a link to its source (once the sources are known).
function renderAnswer(target, text, done) {
  const byNumber = new Map((done ? done.citations : []).map((c) => [c.n, c]));
  target.replaceChildren();
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    target.append(text.slice(last, match.index));
    const citation = byNumber.get(Number(match[1]));
    target.append(citation ? citationLink(citation, done) : match[0]);
    last = match.index + match[0].length;
  }
  target.append(text.slice(last));
}

function citationLink(citation, done) {
  const link = element("a", "cite", `[${citation.n}]`);
  link.href = citation.url || "#";
  link.setAttribute("aria-haspopup", "dialog");
  link.setAttribute("aria-label", `Source ${citation.n}: ${citation.outlet}, ${citation.title}`);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    openSource(citation, done.passages || [], link);
  });
  return link;
}

// One article, one source: its cited passages' numbers together ("[1][3]"), first cited first.
function sourceList(done) {
  const list = element("ul", "sources");
  list.setAttribute("aria-label", "Sources");
  const byArticle = new Map();
  for (const citation of [...done.citations].sort((a, b) => a.n - b.n)) {
    const key = citation.article_id || citation.url;
    if (!byArticle.has(key)) byArticle.set(key, []);
    byArticle.get(key).push(citation);
  }
  for (const group of byArticle.values()) {
    const first = group[0];
    const item = element("li");
    item.append(element("span", "source-numbers", group.map((c) => `[${c.n}]`).join("")), " ");
    const link = citationLink(first, done);
    link.textContent = `${first.outlet}: ${first.title}`;
    link.classList.replace("cite", "source-link");
    item.append(link);
    if (first.published_at) item.append(" ", element("span", "muted", day(first.published_at)));
    storyLine(item, first.story_note);
    list.append(item);
  }
  return list;
}

// When the article is one copy of a wire story: who reported it first, who else carries it.
function storyLine(item, note) {
  if (note && note.text) item.append(element("div", "story muted small", note.text));
}

// A decline's nearest passages, offered as search results: headline, outlet, date, link.
function nearestList(passages) {
  const box = element("div", "nearest");
  box.append(element("p", "small", "The nearest passages found:"));
  const list = element("ul", "sources");
  list.setAttribute("aria-label", "Nearest passages");
  for (const passage of passages) {
    const item = element("li");
    const label = `${passage.outlet}: ${passage.title}`;
    if (passage.url) {
      const link = element("a", "source-link", label);
      link.href = passage.url;
      item.append(link);
    } else {
      item.append(element("span", "", label));
    }
    if (passage.published_at) item.append(" ", element("span", "muted", day(passage.published_at)));
    storyLine(item, passage.story_note);
    list.append(item);
  }
  box.append(list);
  return box;
}

function finishAnswer(turn, done) {
  turn.status.remove();
  turn.answer.setAttribute("aria-busy", "false");
  renderAnswer(turn.text, done.answer, done);
  if (done.question !== turn.question) {
    // A follow-up, searched as a standalone question: show what was searched.
    turn.answer.append(element("p", "read-as muted small", `Searched as: ${done.question}`));
  }
  if (done.declined) {
    turn.text.remove(); // the note below says it, once
    turn.answer.classList.add("declined");
    const note = element("p", "declined-note");
    note.append(element("strong", "", "No answer in the ingested articles. "));
    note.append(
      filtersActive()
        ? "Try other words, or widen the filters: they may hide the article that answers it."
        : "Try other words, or ask about something the ingested articles cover.",
    );
    turn.answer.prepend(note);
    if (done.searched) {
      turn.answer.append(element("p", "searched muted small", `Searched ${done.searched.text}.`));
    }
    if (done.nearest && done.nearest.length) turn.answer.append(nearestList(done.nearest));
    announce("No answer was found in the ingested articles.");
  } else {
    if (done.unsure) {
      turn.answer.classList.add("unsure");
      const mark = element("p", "unsure-note");
      mark.append(element("strong", "", "Unsure: "));
      mark.append("this answer is likelier wrong than right. Check its sources.");
      turn.answer.prepend(mark);
    }
    if (done.support && done.support.text) {
      turn.answer.append(element("p", "support muted small", done.support.text));
    }
    if (done.citations.length) turn.answer.append(sourceList(done));
    announce(`Answer ready${done.unsure ? ", marked unsure" : ""}, with ${done.citations.length} sources.`);
  }
  keepInView(turn);
  state.history.push({ role: "user", content: turn.question });
  state.history.push({ role: "assistant", content: done.answer });
}

function failAnswer(turn, error) {
  turn.status.remove();
  turn.answer.setAttribute("aria-busy", "false");
  turn.answer.classList.add("failed");
  const box = element("div", "error");
  box.setAttribute("role", "alert");
  box.append(element("strong", "", "Byline could not answer. "));
  box.append(error.message.charAt(0).toUpperCase() + error.message.slice(1));
  const detail = error.status ? `${error.code}, HTTP ${error.status}` : error.code;
  box.append(" ", element("span", "muted", `(${detail})`));
  const retry = element("button", "retry", "Try again");
  retry.type = "button";
  retry.addEventListener("click", () => {
    turn.item.remove();
    ask(turn.question);
  });
  box.append(" ", retry);
  turn.answer.append(box);
  keepInView(turn);
}

function setBusy(busy) {
  state.busy = busy;
  $("ask-button").hidden = busy;
  $("stop-button").hidden = !busy;
}

function stopAnswer(turn, text) {
  turn.status.remove();
  turn.answer.setAttribute("aria-busy", "false");
  renderAnswer(turn.text, text, null);
  turn.answer.append(element("p", "stopped muted", "Stopped before the answer ended."));
  announce("Stopped.");
}

async function ask(question) {
  if (state.busy) return;
  const controller = new AbortController();
  state.stop = () => controller.abort();
  setBusy(true);
  const turn = addTurn(question);
  let text = "";
  const body = {
    question,
    stream: true,
    include_passages: true,
    history: state.history.slice(-HISTORY_MESSAGES),
    ...filters(),
  };
  try {
    const response = await fetch("ask", {
      method: "POST",
      headers: requestHeaders("text/event-stream", true),
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!response.ok) throw await apiError(response);
    let finished = false;
    for await (const { event, data } of serverEvents(response)) {
      if (event === "delta") {
        text += data.text;
        turn.status.textContent = "Writing the answer…";
        renderAnswer(turn.text, text, null);
        keepInView(turn);
      } else if (event === "done") {
        finishAnswer(turn, data);
        finished = true;
      } else if (event === "error") {
        throw new ApiError(0, data.error.code, data.error.message);
      }
    }
    if (!finished) throw new ApiError(0, "cut_off", "the answer was cut off before it ended");
  } catch (error) {
    if (controller.signal.aborted) {
      stopAnswer(turn, text); // the server hears the hang-up and stops generating
      return;
    }
    const failure =
      error instanceof ApiError ? error : new ApiError(0, "network", `the server did not answer (${error.message})`);
    failAnswer(turn, failure);
    announce(`Error: ${failure.message}`);
  } finally {
    setBusy(false);
  }
}

// ---- the source card ----------------------------------------------------------------------

function day(published) {
  return published ? published.slice(0, 10) : "undated";
}

// A quote as a pattern that tolerates the whitespace a chunk may have where the quote has one space.
function quotePattern(quote) {
  const escaped = quote.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(escaped.replace(/\s+/g, "\\s+"));
}

// The chunk's text with each part of the quote ("part … part") marked.
function highlighted(chunk, quote) {
  const nodes = [];
  let rest = chunk;
  let marked = 0;
  for (const part of quote.split(" … ")) {
    if (!part.trim()) continue;
    const found = quotePattern(part).exec(rest);
    if (!found) continue;
    nodes.push(rest.slice(0, found.index), element("mark", "", found[0]));
    rest = rest.slice(found.index + found[0].length);
    marked += 1;
  }
  nodes.push(rest);
  return marked ? nodes : [element("mark", "", quote)];
}

function openSource(citation, passages, opener) {
  const passage = passages.find((p) => p.chunk_id === citation.chunk_id);
  $("source-number").textContent = `[${citation.n}]`;
  $("source-outlet").textContent = citation.outlet;
  $("source-date").textContent = day(citation.published_at);
  $("source-date").dateTime = citation.published_at || "";
  $("source-title").textContent = citation.title;
  $("source-passage").replaceChildren(...highlighted(passage ? passage.text : citation.quote, citation.quote));
  $("source-link").hidden = !citation.url;
  $("source-link").href = citation.url || "";
  $("source-no-link").hidden = Boolean(citation.url);
  const dialog = $("source");
  dialog.returnFocus = opener;
  dialog.showModal();
  const mark = dialog.querySelector("mark");
  if (mark) mark.scrollIntoView({ block: "center" });
}

function closeSource() {
  $("source").close();
}

// ---- filters ------------------------------------------------------------------------------

function chosenOutlets() {
  return [...document.querySelectorAll("#outlet-choices input:checked")].map((box) => box.value);
}

function filters() {
  const chosen = {};
  const outlets = chosenOutlets();
  if (outlets.length) chosen.outlets = outlets;
  if ($("since").value) chosen.since = $("since").value;
  if ($("until").value) chosen.until = $("until").value;
  return chosen;
}

function filtersActive() {
  return Object.keys(filters()).length > 0;
}

function showFilterSummary() {
  const parts = [];
  const outlets = chosenOutlets();
  if (outlets.length) parts.push(outlets.join(", "));
  const since = $("since").value;
  const until = $("until").value;
  if (since || until) parts.push(`${since || "…"} to ${until || "…"}`);
  $("filter-summary").textContent = parts.length ? parts.join("; ") : "none";
  // The server refuses since after until; say so here, before asking.
  $("until").setCustomValidity(since && until && since > until ? "The end is before the start." : "");
}

async function loadOutlets() {
  const box = $("outlet-choices");
  try {
    const listing = await getJson("outlets");
    box.querySelectorAll("label, p").forEach((node) => node.remove());
    for (const { outlet, articles } of listing.items) {
      const label = element("label", "outlet-choice");
      const input = element("input");
      input.type = "checkbox";
      input.value = outlet;
      input.addEventListener("change", showFilterSummary);
      label.append(input, ` ${outlet} `, element("span", "muted", `(${articles})`));
      box.append(label);
    }
    if (!listing.items.length) box.append(element("p", "muted", "No articles ingested yet."));
    return listing;
  } catch (error) {
    $("outlets-loading").textContent = `Outlets unavailable: ${error.message}`;
    return null;
  }
}

// ---- the ingested articles view -----------------------------------------------------------

async function showOutletTable() {
  const body = document.querySelector("#outlet-table tbody");
  try {
    const listing = await getJson("outlets");
    const outlets = listing.items.length;
    $("articles-total").textContent =
      `${listing.articles} article${listing.articles === 1 ? "" : "s"} from ${outlets} outlet${outlets === 1 ? "" : "s"}.`;
    body.replaceChildren();
    for (const row of listing.items) {
      const tr = element("tr");
      const name = element("td");
      const pick = element("button", "link", row.outlet);
      pick.type = "button";
      pick.setAttribute("aria-label", `Show the latest articles from ${row.outlet}`);
      pick.addEventListener("click", () => showLatest(row.outlet));
      name.append(pick);
      tr.append(name, element("td", "number", String(row.articles)), element("td", "date", day(row.newest)));
      body.append(tr);
    }
  } catch (error) {
    $("articles-total").textContent = `The article list is unavailable: ${error.message}.`;
  }
}

async function showLatest(outlet, more = false) {
  if (!more) {
    state.articlesShown = 0;
    state.articlesOutlet = outlet;
    $("latest").replaceChildren();
    $("latest-heading").textContent = outlet ? `Latest articles from ${outlet}` : "Latest articles";
    $("all-outlets").hidden = !outlet;
  }
  const query = new URLSearchParams({ limit: ARTICLES_PAGE, offset: state.articlesShown });
  if (state.articlesOutlet) query.set("outlet", state.articlesOutlet);
  try {
    const page = await getJson(`articles?${query}`);
    for (const article of page.items) {
      const item = element("li");
      const title = article.url ? element("a", "", article.title) : element("span", "", article.title);
      if (article.url) {
        title.href = article.url;
        title.target = "_blank";
        title.rel = "noopener noreferrer";
      }
      item.append(title, element("span", "muted", ` ${article.outlet} · ${day(article.published_at)}`));
      $("latest").append(item);
    }
    state.articlesShown += page.items.length;
    $("more-articles").hidden = state.articlesShown >= page.total;
  } catch (error) {
    $("latest").append(element("li", "error", `Articles unavailable: ${error.message}.`));
  }
}

// ---- views, keys and wiring -----------------------------------------------------------------

function showView() {
  const articles = location.hash === "#articles";
  $("ask-view").hidden = articles;
  $("articles-view").hidden = !articles;
  for (const [id, current] of [["nav-ask", !articles], ["nav-articles", articles]]) {
    if (current) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  if (articles) {
    showOutletTable();
    showLatest(null);
  }
}

function showKeyForm() {
  $("key-form").hidden = false;
  $("api-key").focus();
}

function wire() {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.busy) return; // one answer at a time; the question stays in the box
    const box = $("question");
    const question = box.value.trim();
    if (!question || !$("ask-form").reportValidity()) return;
    box.value = "";
    ask(question);
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("new-conversation").addEventListener("click", () => {
    state.history = [];
    $("log").replaceChildren();
    $("intro").hidden = false;
    $("question").focus();
    announce("New conversation.");
  });
  for (const id of ["since", "until"]) $(id).addEventListener("change", showFilterSummary);
  $("clear-filters").addEventListener("click", () => {
    document.querySelectorAll("#outlet-choices input").forEach((box) => (box.checked = false));
    $("since").value = "";
    $("until").value = "";
    showFilterSummary();
  });
  $("stop-button").addEventListener("click", () => state.stop());
  $("source-close").addEventListener("click", closeSource);
  $("source").addEventListener("close", () => {
    const opener = $("source").returnFocus;
    if (opener) opener.focus();
  });
  // A click on the backdrop (outside the card) closes it too.
  $("source").addEventListener("click", (event) => {
    if (event.target === $("source")) closeSource();
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("api-key").value.trim();
    sessionStorage.setItem(KEY_STORAGE, state.key);
    $("key-form").hidden = true;
    loadOutlets();
    showView();
  });
  $("more-articles").addEventListener("click", () => showLatest(state.articlesOutlet, true));
  $("all-outlets").addEventListener("click", () => showLatest(null));
  window.addEventListener("hashchange", showView);
}

wire();
trackQuestionBar();
showView();
loadOutlets();
