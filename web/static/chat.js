// The chat page: sends each question with the conversation so far to POST /ask and
// shows the quoted answer, its matched words, why it was chosen and any sources that
// disagree. Document text is only ever inserted as text nodes (textContent), never as HTML.
"use strict";

(function () {
  const MAX_HISTORY_TURNS = 20;
  const MAX_BODY_CHARS = 60000; // the server refuses bodies over 64 KiB
  const TOP_K = 3;
  const TOKEN_KEY = "qa-api-token";

  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const log = document.getElementById("conversation");
  const intro = document.getElementById("intro");
  const newButton = document.getElementById("new-conversation");
  const tokenForm = document.getElementById("token-form");
  const tokenInput = document.getElementById("token");
  const indexStatus = document.getElementById("index-status");

  let history = []; // [{question, answer}] of the answered turns, oldest first
  let pending = null; // the AbortController of the request in flight

  // -- small DOM helpers -------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The matched words of a quote as [start, end] offsets inside its text: sorted, inside
  // the text, without overlaps. Anything malformed is left out.
  function matchedSpans(quote) {
    const spans = (Array.isArray(quote.matched) ? quote.matched : [])
      .filter((m) => m && Number.isInteger(m.start) && Number.isInteger(m.end))
      .filter((m) => m.start >= 0 && m.start < m.end && m.end <= quote.text.length)
      .map((m) => [m.start, m.end])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const merged = [];
    spans.forEach(([start, end]) => {
      const last = merged[merged.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    });
    return merged;
  }

  // The document page at the quote; its matched words go along as document offsets.
  function documentUrl(quote, words) {
    const path = quote.document.split("/").map(encodeURIComponent).join("/");
    let url = "/documents/" + path + "?start=" + quote.start + "&end=" + quote.end;
    if (words && words.length) {
      url += "&words=" + words.map(([start, end]) => quote.start + start + "-" + (quote.start + end)).join(",");
    }
    return url;
  }

  function percent(value) {
    return Math.round(Math.max(0, Math.min(1, value)) * 100) + "%";
  }

  function isNumber(value) {
    return typeof value === "number" && Number.isFinite(value);
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function scrollToEnd(node) {
    node.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  // An answer is read from its top: bring that into view, even when it is taller than the screen.
  function scrollToStart(node) {
    node.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  // -- messages ------------------------------------------------------------------

  function addMessage(kind, label) {
    intro.hidden = true;
    const item = el("li", "message message--" + kind);
    item.appendChild(el("p", "message__who", label));
    log.appendChild(item);
    return item;
  }

  function addQuestion(text) {
    const item = addMessage("user", "You");
    item.querySelector(".message__who").className = "message__who visually-hidden"; // the bubble says it
    item.appendChild(el("p", "message__text", text));
    scrollToEnd(item);
  }

  // The passage around a quote, with the quote in a <mark>, all as text nodes.
  function contextNode(quote) {
    const passage = el("p", "quote__context");
    const at = quote.context.indexOf(quote.text);
    if (at < 0) {
      passage.textContent = quote.context;
      return passage;
    }
    passage.appendChild(document.createTextNode(quote.context.slice(0, at)));
    passage.appendChild(el("mark", "", quote.text));
    passage.appendChild(document.createTextNode(quote.context.slice(at + quote.text.length)));
    return passage;
  }

  // The quote's text with the question's words it holds wrapped in <b class="match">,
  // built as nodes: the text itself is never parsed as HTML.
  function quoteTextNode(quote, spans) {
    const block = el("blockquote", "quote__text");
    // A quote within one paragraph is prose: the line breaks of a hard-wrapped source
    // (Markdown, plain text) are not the author's, so it flows. One with a blank line
    // in it holds an example or a list and keeps its lines.
    if (!/\n[ \t]*\n/.test(quote.text)) block.classList.add("quote__text--flowing");
    let at = 0;
    spans.forEach(([start, end]) => {
      if (start > at) block.appendChild(document.createTextNode(quote.text.slice(at, start)));
      block.appendChild(el("b", "match", quote.text.slice(start, end)));
      at = end;
    });
    if (at < quote.text.length) block.appendChild(document.createTextNode(quote.text.slice(at)));
    return block;
  }

  // -- why this answer: the evidence, in words ----------------------------------

  function meter(value) {
    const bar = el("span", "meter");
    bar.setAttribute("aria-hidden", "true");
    const fill = el("span", "meter__fill");
    fill.style.width = percent(value); // CSSOM, allowed by the CSP (no inline style attribute)
    bar.appendChild(fill);
    return bar;
  }

  function evidenceRow(list, label, value, fraction, explanation) {
    const row = el("div", "evidence__row");
    row.appendChild(el("dt", "evidence__label", label));
    const detail = el("dd", "evidence__detail");
    const line = el("span", "evidence__value");
    if (fraction !== null) line.appendChild(meter(fraction));
    line.appendChild(el("span", "", value));
    detail.appendChild(line);
    detail.appendChild(el("span", "evidence__explain", explanation));
    row.appendChild(detail);
    list.appendChild(row);
  }

  function closeness(cosine) {
    if (cosine >= 0.7) return "very close";
    if (cosine >= 0.5) return "close";
    if (cosine >= 0.3) return "loosely related";
    return "not close";
  }

  function surroundings(z) {
    if (z >= 1) return "Much more on topic than most";
    if (z >= 0.25) return "More on topic than most";
    if (z > -0.25) return "About average";
    return "Less on topic than most";
  }

  function whyNode(quote, spans, answer, primary) {
    const evidence = quote.evidence;
    const details = el("details", "quote__why");
    details.appendChild(el("summary", "", primary ? "Why this answer?" : "Why this quote?"));
    const body = el("div", "why");
    const words = spans.map(([start, end]) => quote.text.slice(start, end));
    const unique = words.filter((word, i) => words.findIndex((w) => w.toLowerCase() === word.toLowerCase()) === i);
    if (unique.length) {
      const found = el("p", "why__words");
      found.appendChild(document.createTextNode("Words of your question found in this sentence: "));
      unique.forEach((word, i) => {
        if (i) found.appendChild(document.createTextNode(", "));
        found.appendChild(el("b", "match", word));
      });
      found.appendChild(document.createTextNode(" (highlighted in the quote)."));
      body.appendChild(found);
    } else {
      body.appendChild(el("p", "why__words", "None of your question's words appear in this sentence as such: it was chosen for what it means."));
    }
    if (evidence && typeof evidence === "object") {
      const list = el("dl", "evidence");
      if (isNumber(evidence.confidence)) {
        const needed = isNumber(answer.threshold) && answer.threshold > 0
          ? " An answer is given only when the best quote reaches " + percent(answer.threshold) + "."
          : "";
        evidenceRow(list, "Confidence", percent(evidence.confidence), evidence.confidence,
          "The higher of the word match and the meaning below." + needed);
      }
      if (isNumber(evidence.word_match)) {
        evidenceRow(list, "Word match", percent(evidence.word_match), evidence.word_match,
          "How closely its words match the words of your question, close forms included. Quotes are listed in this order"
          + (isNumber(evidence.lead) && evidence.lead > 0 ? ", plus the gain below." : "."));
      }
      if (isNumber(evidence.lead) && evidence.lead > 0) {
        evidenceRow(list, "Opens its section", "+" + percent(evidence.lead), evidence.lead,
          "It is the first sentence under a heading that matches your question: such a sentence usually says what the heading is or does.");
      }
      if (isNumber(evidence.cosine)) {
        evidenceRow(list, "Meaning", percent(evidence.cosine) + " · " + closeness(evidence.cosine), evidence.cosine,
          "How close its meaning is to your question's, even where it uses other words.");
      }
      if (isNumber(evidence.bm25)) {
        const shared = evidence.bm25 > 0 ? "Yes · keyword score " + evidence.bm25.toFixed(1) : "None";
        evidenceRow(list, "Same words", shared, null,
          evidence.bm25 > 0
            ? "It uses some of your question's exact words; rare words count for more than common ones."
            : "It shares no exact word with your question: it was found by its meaning.");
      }
      if (isNumber(evidence.passage)) {
        const sign = evidence.passage > 0 ? "+" : "";
        evidenceRow(list, "Nearby sentences", surroundings(evidence.passage) + " · " + sign + evidence.passage.toFixed(1), null,
          "Whether the sentences around it are about your question too, compared with the rest of the documents.");
      }
      if (list.childElementCount) body.appendChild(list);
    }
    details.appendChild(body);
    return details;
  }

  function quoteNode(quote, primary, answer) {
    const spans = matchedSpans(quote);
    const figure = el("figure", "quote" + (primary ? " quote--primary" : ""));
    figure.appendChild(quoteTextNode(quote, spans));
    const caption = el("figcaption", "quote__source");
    caption.appendChild(document.createTextNode("Source: "));
    const link = el("a", "quote__link", quote.document);
    link.href = documentUrl(quote, spans);
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.title = "Open " + quote.document + " at this sentence (new tab)";
    caption.appendChild(link);
    figure.appendChild(caption);
    const details = el("details", "quote__details");
    details.appendChild(el("summary", "", "Show surrounding passage"));
    details.appendChild(contextNode(quote));
    figure.appendChild(details);
    figure.appendChild(whyNode(quote, spans, answer, primary));
    return figure;
  }

  // -- sources that disagree ------------------------------------------------------

  function isQuoteRef(quote) {
    return quote && typeof quote.document === "string" && Number.isInteger(quote.start) && Number.isInteger(quote.end);
  }

  // A note beside the answer: a warning sign and a sentence (role "note", for screen readers).
  function noteNode(className, text) {
    const note = el("div", className);
    note.setAttribute("role", "note");
    const title = el("p", "conflict__note");
    const icon = el("span", "conflict__icon", "!");
    icon.setAttribute("aria-hidden", "true");
    title.appendChild(icon);
    title.appendChild(document.createTextNode(text));
    note.appendChild(title);
    return note;
  }

  // Quoted files edited or removed since the index was built: the quotes are of the indexed text.
  function changedNode(names) {
    const valid = (Array.isArray(names) ? names : []).filter((name) => typeof name === "string" && name);
    if (!valid.length) return null;
    return noteNode(
      "conflict changed",
      (valid.length > 1 ? "These documents have" : "This document has") +
        " changed since the index was built, so the quote may no longer be in it: " +
        valid.join(", ") +
        ". Rebuild the index (qa index) to update."
    );
  }

  // One note per conflict, with a link to each side's sentence; nothing when the answer has none.
  function conflictsNode(conflicts) {
    const valid = (Array.isArray(conflicts) ? conflicts : []).filter(
      (c) => c && typeof c.note === "string" && c.note && Array.isArray(c.quotes) && c.quotes.length && c.quotes.every(isQuoteRef)
    );
    if (!valid.length) return null;
    const box = el("div", "conflicts");
    valid.forEach((conflict) => {
      const note = noteNode("conflict", conflict.note.charAt(0).toUpperCase() + conflict.note.slice(1));
      const sources = el("ul", "conflict__sources");
      conflict.quotes.forEach((quote, i) => {
        const item = el("li", "conflict__source");
        const value = Array.isArray(conflict.values) && typeof conflict.values[i] === "string" ? conflict.values[i] : "";
        if (value) {
          item.appendChild(el("span", "conflict__value", value));
          item.appendChild(document.createTextNode(" in "));
        }
        const link = el("a", "conflict__link", quote.document);
        link.href = documentUrl(quote, []);
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.title = typeof quote.text === "string" ? "“" + quote.text + "” (opens in a new tab)" : "Opens in a new tab";
        item.appendChild(link);
        sources.appendChild(item);
      });
      note.appendChild(sources);
      box.appendChild(note);
    });
    return box;
  }

  // "Searched for: … remain …" when typing slips were corrected, the corrected words marked.
  function searchedNode(answer) {
    const fixes = Array.isArray(answer.corrections)
      ? answer.corrections.filter((c) => c && typeof c.typed === "string" && typeof c.searched === "string")
      : [];
    if (!fixes.length || typeof answer.searched !== "string") return null;
    const line = el("p", "message__searched", "Searched for: ");
    let rest = answer.searched;
    fixes.forEach((fix) => {
      const at = rest.indexOf(fix.searched);
      if (at < 0) return;
      line.appendChild(document.createTextNode(rest.slice(0, at)));
      const word = el("b", "message__corrected", fix.searched);
      word.title = "You typed “" + fix.typed + "”";
      line.appendChild(word);
      rest = rest.slice(at + fix.searched.length);
    });
    line.appendChild(document.createTextNode(rest));
    line.appendChild(
      document.createTextNode(" (you typed " + fixes.map((f) => "“" + f.typed + "”").join(", ") + ")")
    );
    return line;
  }

  // `asked`: the question this answers, when the message asked several (answer.parts).
  function addAnswer(answer, asked) {
    if (Array.isArray(answer.parts) && answer.parts.length > 1) {
      const items = answer.parts.map((part) => addAnswer(part, typeof part.question === "string" ? part.question : ""));
      scrollToStart(items[0]);
      return items[0];
    }
    const searched = searchedNode(answer);
    if (!answer.answered) {
      const item = addMessage("abstain", "Assistant");
      if (asked) item.appendChild(el("p", "message__asked", asked));
      if (searched) item.appendChild(searched);
      item.appendChild(el("p", "message__title", "Not found in the documents"));
      item.appendChild(
        el("p", "message__text", "None of the documents answers this question. Try other words, or ask about something the documents cover.")
      );
      if (typeof answer.declined_because === "string" && answer.declined_because) {
        item.appendChild(el("p", "message__meta", answer.declined_because));
      } else if (isNumber(answer.confidence) && isNumber(answer.threshold) && answer.threshold > 0) {
        item.appendChild(
          el("p", "message__meta", "The closest sentence matched " + percent(answer.confidence) + "; an answer needs " + percent(answer.threshold) + ".")
        );
      }
      scrollToEnd(item);
      return item;
    }
    const item = addMessage("answer", "Assistant");
    if (asked) item.appendChild(el("p", "message__asked", asked));
    if (searched) item.appendChild(searched);
    const [first, ...others] = answer.quotes;
    item.appendChild(quoteNode(first, true, answer));
    const conflicts = conflictsNode(answer.conflicts);
    if (conflicts) item.appendChild(conflicts);
    const changed = changedNode(answer.changed_since_indexed);
    if (changed) item.appendChild(changed);
    if (others.length) {
      const more = el("div", "message__more");
      more.appendChild(el("p", "message__subtitle", "Also relevant"));
      others.forEach((quote) => more.appendChild(quoteNode(quote, false, answer)));
      item.appendChild(more);
    }
    const meta = [plural(answer.quotes.length, "quote"), Math.round(answer.took_ms) + " ms"];
    if (isNumber(answer.confidence)) meta.unshift("Confidence " + percent(answer.confidence));
    item.appendChild(el("p", "message__meta", meta.join(" · ")));
    scrollToStart(item);
    return item;
  }

  // An error: what happened in plain words, and the server's own reason below it when there is one.
  function addError(text, title, detail) {
    const item = addMessage("error", "Problem");
    item.setAttribute("role", "alert");
    if (title) item.appendChild(el("p", "message__title", title));
    item.appendChild(el("p", "message__text", text));
    if (detail) item.appendChild(el("p", "message__detail", detail));
    scrollToEnd(item);
  }

  // What the index errors of the server mean for the person asking.
  const INDEX_ERRORS = {
    no_index: {
      title: "The documents are not indexed yet",
      text: "Questions can be answered once the documents are indexed (qa index). Ask again then.",
    },
    index_broken: {
      title: "The documents' index needs repair",
      text: "It is damaged or was built for another version, so nothing can be answered until it is rebuilt " +
        "(qa index). The server picks the rebuilt index up by itself: ask again then.",
    },
  };

  function addWorking() {
    const item = addMessage("working", "Assistant");
    const text = el("p", "message__text");
    text.appendChild(el("span", "spinner"));
    text.appendChild(document.createTextNode("Searching the documents…"));
    item.appendChild(text);
    scrollToEnd(item);
    return item;
  }

  // -- talking to the server -----------------------------------------------------

  function requestBody(question) {
    // Keep the most recent turns, within the server's limits.
    let turns = history.slice(-MAX_HISTORY_TURNS);
    let body = JSON.stringify({ question: question, top_k: TOP_K, history: turns });
    while (body.length > MAX_BODY_CHARS && turns.length) {
      turns = turns.slice(1);
      body = JSON.stringify({ question: question, top_k: TOP_K, history: turns });
    }
    return body;
  }

  // The server's {error: {code, message}}, or a message made from the status line.
  async function errorOf(response) {
    try {
      const data = await response.json();
      if (data && data.error && typeof data.error.message === "string") {
        return { code: typeof data.error.code === "string" ? data.error.code : "", message: data.error.message };
      }
    } catch (ignored) {
      // not JSON: fall through to the status line
    }
    const status = [response.status, response.statusText].join(" ").trim();
    return { code: "", message: "The server answered " + status + ". Try again in a moment." };
  }

  function setBusy(busy) {
    form.setAttribute("aria-busy", busy ? "true" : "false");
    log.setAttribute("aria-busy", busy ? "true" : "false");
    send.disabled = busy;
    send.textContent = busy ? "Working…" : "Ask";
  }

  async function ask(question) {
    const controller = new AbortController();
    pending = controller;
    addQuestion(question);
    const working = addWorking();
    setBusy(true);
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    try {
      const response = await fetch("/ask", {
        method: "POST",
        headers: headers,
        body: requestBody(question),
        signal: controller.signal,
      });
      if (controller.signal.aborted) return;
      if (response.ok) {
        const answer = await response.json();
        working.remove();
        addAnswer(answer);
        history.push({ question: question, answer: answer.answer });
        if (indexStatus.classList.contains("index-status--warning")) showIndexStatus(); // it came back
        return;
      }
      const error = await errorOf(response);
      working.remove();
      if (response.status === 401) {
        tokenForm.hidden = false;
        addError((token ? "The API token was refused. " : "This server requires an API token. ") + "Enter it above the question box, then ask again.");
        tokenInput.focus();
      } else if (response.status === 503 && Object.hasOwn(INDEX_ERRORS, error.code)) {
        const meaning = INDEX_ERRORS[error.code];
        addError(meaning.text, meaning.title, "Details: " + error.message);
        showIndexStatus();
      } else {
        addError(error.message);
      }
      restore(question);
    } catch (error) {
      if (controller.signal.aborted) return;
      working.remove();
      addError("Could not reach the server. Check that it is running, then ask again.");
      restore(question);
    } finally {
      if (pending === controller) {
        pending = null;
        setBusy(false);
      }
    }
  }

  // After a failure, give the question back so it can be sent again.
  function restore(question) {
    if (!input.value.trim()) {
      input.value = question;
      resize();
    }
  }

  // -- the page --------------------------------------------------------------------

  function resize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 200) + "px";
  }

  function submit() {
    const question = input.value.trim();
    if (!question || pending) return;
    input.value = "";
    resize();
    ask(question);
  }

  function newConversation() {
    if (pending) pending.abort();
    pending = null;
    setBusy(false);
    history = [];
    log.replaceChildren();
    intro.hidden = false;
    input.value = "";
    resize();
    input.focus();
  }

  async function showIndexStatus() {
    try {
      const response = await fetch("/health", { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (response.ok) {
        indexStatus.textContent = plural(data.documents, "document") + " · " + plural(data.sentences, "sentence");
        indexStatus.title = "";
        indexStatus.className = "index-status";
      } else {
        // "degraded": the index is damaged or built for another model; "no index": none yet.
        indexStatus.textContent = data.status === "degraded" ? "Index needs repair" : "No index yet";
        indexStatus.title = data.error && data.error.message ? data.error.message : "";
        indexStatus.className = "index-status index-status--warning";
      }
    } catch (ignored) {
      indexStatus.textContent = "Server unreachable";
      indexStatus.className = "index-status index-status--warning";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", resize);
  newButton.addEventListener("click", newConversation);
  tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = tokenInput.value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    tokenInput.value = "";
    tokenForm.hidden = true;
    input.focus();
  });

  showIndexStatus();
  input.focus();
})();
