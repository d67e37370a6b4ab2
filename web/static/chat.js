// The chat page: sends each question with the conversation so far to POST /ask and
// shows the quoted answer. Document text is only ever inserted with textContent.
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

  function documentUrl(quote) {
    const path = quote.document.split("/").map(encodeURIComponent).join("/");
    return "/documents/" + path + "?start=" + quote.start + "&end=" + quote.end;
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

  function quoteNode(quote, primary) {
    const figure = el("figure", "quote" + (primary ? " quote--primary" : ""));
    figure.appendChild(el("blockquote", "quote__text", quote.text));
    const caption = el("figcaption", "quote__source");
    caption.appendChild(document.createTextNode("Source: "));
    const link = el("a", "quote__link", quote.document);
    link.href = documentUrl(quote);
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.title = "Open " + quote.document + " at this sentence (new tab)";
    caption.appendChild(link);
    figure.appendChild(caption);
    const details = el("details", "quote__details");
    details.appendChild(el("summary", "", "Show surrounding passage"));
    details.appendChild(contextNode(quote));
    figure.appendChild(details);
    return figure;
  }

  function addAnswer(answer) {
    if (!answer.answered) {
      const item = addMessage("abstain", "Assistant");
      item.appendChild(el("p", "message__title", "Not found in the documents"));
      item.appendChild(
        el("p", "message__text", "None of the documents answers this question. Try other words, or ask about something the documents cover.")
      );
      scrollToEnd(item);
      return;
    }
    const item = addMessage("answer", "Assistant");
    const [first, ...others] = answer.quotes;
    item.appendChild(quoteNode(first, true));
    if (others.length) {
      const more = el("div", "message__more");
      more.appendChild(el("p", "message__subtitle", "Also relevant"));
      others.forEach((quote) => more.appendChild(quoteNode(quote, false)));
      item.appendChild(more);
    }
    item.appendChild(el("p", "message__meta", plural(answer.quotes.length, "quote") + " · " + Math.round(answer.took_ms) + " ms"));
    scrollToStart(item);
  }

  function addError(text) {
    const item = addMessage("error", "Problem");
    item.setAttribute("role", "alert");
    item.appendChild(el("p", "message__text", text));
    scrollToEnd(item);
  }

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

  async function errorMessage(response) {
    try {
      const data = await response.json();
      if (data && data.error && typeof data.error.message === "string") return data.error.message;
    } catch (ignored) {
      // not JSON: fall through to the status line
    }
    return "The server answered " + [response.status, response.statusText].join(" ").trim() + ". Try again in a moment.";
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
        return;
      }
      const message = await errorMessage(response);
      working.remove();
      if (response.status === 401) {
        tokenForm.hidden = false;
        addError((token ? "The API token was refused. " : "This server requires an API token. ") + "Enter it above the question box, then ask again.");
        tokenInput.focus();
      } else {
        addError(message);
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
        indexStatus.className = "index-status";
      } else {
        indexStatus.textContent = "No index yet";
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
