// 環境檢測 — the system check: the browser, the card agent on this computer, its card reader and the NHI card.
// Every message is in the page (data-* attributes, in the page's language); this script only picks one.
(function () {
  const section = document.querySelector(".system-check");
  if (!section) return;
  const agent = section.dataset.agentUrl.replace(/\/$/, "");
  const summary = section.querySelector(".check-summary");
  const TIMEOUT_MS = 4000;

  function row(name) { return section.querySelector('[data-check="' + name + '"]'); }

  function show(name, state, key, values) {
    const item = row(name);
    let text = item.dataset[key] || "";
    Object.entries(values || {}).forEach(function ([k, v]) { text = text.split("{" + k + "}").join(String(v)); });
    item.className = "check " + state;
    item.querySelector(".check-result").textContent = text;
    return state === "ok";
  }

  function modernBrowser() {
    try {
      return typeof window.fetch === "function" && typeof window.Promise === "function" &&
        typeof window.AbortController === "function" && typeof window.URLSearchParams === "function" &&
        typeof Object.entries === "function" && window.CSS && CSS.supports("display", "grid") &&
        typeof Element.prototype.closest === "function";
    } catch (e) {
      return false;
    }
  }

  function cookiesWork() {
    if (!navigator.cookieEnabled) return false;
    const probe = "hb_cookie_check=1";
    document.cookie = probe + "; path=/; SameSite=Lax";
    const works = document.cookie.split("; ").indexOf(probe) !== -1;
    document.cookie = probe + "; path=/; SameSite=Lax; max-age=0";
    return works;
  }

  async function ask(path) {
    const controller = new AbortController();
    const timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    try {
      const answer = await fetch(agent + path, { signal: controller.signal, cache: "no-store" });
      const body = await answer.json().catch(function () { return {}; });
      return { status: answer.status, body: body };
    } finally {
      clearTimeout(timer);
    }
  }

  async function checkAgent() {
    row("agent").querySelector(".check-result").textContent = row("agent").dataset.checking;
    let status;
    try {
      status = await ask("/status");
    } catch (e) {
      show("agent", "fail", "fail", { origin: window.location.origin });
      show("reader", "skipped", "skipped");
      show("card", "skipped", "skipped");
      return false;
    }
    if (status.status !== 200 || status.body.agent !== "healthbank-cardagent") {
      show("agent", "fail", "stranger", { url: agent });
      show("reader", "skipped", "skipped");
      show("card", "skipped", "skipped");
      return false;
    }
    show("agent", "ok", "ok", { version: status.body.version });
    const answer = status.body;
    const detail = String(answer.detail || "");
    let readerOk;
    if (answer.source === null || answer.source === undefined) {
      readerOk = show("reader", "fail", "none");
    } else if (answer.source === "simulated") {
      readerOk = show("reader", "ok", "okSimulated");
    } else if (answer.card_present || detail.indexOf("no card in reader") === 0) {
      readerOk = show("reader", "ok", "ok");
    } else {
      readerOk = show("reader", "fail", "fail");
    }
    if (!readerOk) { show("card", "skipped", "skipped"); return false; }
    if (!answer.card_present) return show("card", "fail", "fail");
    let card;
    try {
      card = await ask("/card");
    } catch (e) {
      return show("card", "fail", "unreadable");
    }
    if (card.status === 404) return show("card", "fail", "fail");
    if (card.status !== 200 || !/^\d{12}$/.test(String(card.body.card_number || ""))) {
      return show("card", "fail", "unreadable");
    }
    return show("card", "ok", "ok", { last4: card.body.card_number.slice(-4) });
  }

  async function run() {
    const button = section.querySelector(".check-again");
    button.disabled = true;
    show("javascript", "ok", "ok");
    const browserOk = show("browser", modernBrowser() ? "ok" : "fail", modernBrowser() ? "ok" : "fail");
    const cookiesOk = cookiesWork() ? show("cookies", "ok", "ok") : show("cookies", "fail", "fail");
    const agentOk = await checkAgent();
    const ready = browserOk && cookiesOk && agentOk;
    summary.textContent = ready ? summary.dataset.ok : summary.dataset.fail;
    summary.className = "check-summary " + (ready ? "ok" : "fail");
    button.disabled = false;
  }

  section.querySelector(".check-again").addEventListener("click", run);
  run();
})();
