/*
 * The HealthBank app (issue 13): starts the app, draws the frame around each screen, and keeps the rules that
 * hold on every screen — log in first, lock when idle, say when HealthBank cannot be reached (and show nothing
 * stale then), and go back to the login without losing what was typed when the token runs out.
 */
import * as api from "./api.js";
import { _, chooseLanguage, config, currentPath, currentQuery, go, htmlLang, keep, language, loadCatalog, match } from "./core.js";
import { clear, h, notice } from "./ui.js";

const app = document.getElementById("app");
const drafts = new Map(); // path → {input name: value}: what was typed when the token ran out (memory only)
let sequence = 0; // the screen being drawn; an answer for an older one is dropped
let lastActivity = Date.now();
let frame = null;
// Where the login sends the person afterwards (kept in memory, so no path travels in the URL).
export const after = { path: "" };

function buildFrame() {
  const title = h("h1", { id: "screen-title", tabindex: "-1" });
  const back = h("a", { class: "back", href: "#/", hidden: true }, h("span", { "aria-hidden": "true" }, "‹ "), _("Back"));
  const other = language() === "en" ? "zh-hant" : "en";
  const switcher = h(
    "button",
    {
      type: "button",
      class: "lang-switch",
      lang: htmlLang(other),
      onclick: () => {
        chooseLanguage(other);
        location.reload();
      },
    },
    other === "en" ? "English" : "中文"
  );
  const status = h("div", { id: "connection", class: "connection", role: "status", hidden: true });
  const main = h("main", { id: "main", tabindex: "-1" });
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": _("App menu"), hidden: true },
    h(
      "ul",
      {},
      [
        ["/passbook", _("My Health Bank"), "passbook"],
        ["/vcard", _("Virtual NHI card"), "vcard"],
        ["/settings", _("Settings"), "settings"],
      ].map(([path, label, key]) => h("li", {}, h("a", { href: "#" + path, dataset: { tab: key } }, label)))
    )
  );
  clear(app).append(
    h("a", { class: "skip-link", href: "#main" }, _("Skip to main content")),
    h("header", { class: "bar" }, back, title, switcher),
    status,
    main,
    tabs
  );
  return { title, back, main, status, tabs };
}

function loggedIn() {
  return keep.token() !== null;
}

/** What a screen gets: where to draw, and a title, back link and "still showing" check of its own. */
function viewFor(mine) {
  return {
    main: frame.main,
    title(text) {
      frame.title.textContent = text;
      document.title = `${text} · ${_("My Health Bank")}`;
    },
    back(path) {
      frame.back.hidden = !path;
      if (path) frame.back.setAttribute("href", "#" + path);
    },
    alive: () => mine === sequence,
  };
}

/** The server or the network is away: nothing stale stays on the screen. */
export function showUnreachable(view, error) {
  clear(view.main).append(
    notice("error", h("p", {}, error.text)),
    h("button", { type: "button", class: "primary", onclick: () => render() }, _("Try again"))
  );
}

function capture(path) {
  const values = {};
  for (const input of frame.main.querySelectorAll("input[name], textarea[name], select[name]")) {
    if (input.type === "password" || input.type === "file" || input.type === "hidden") continue;
    values[input.name] = input.type === "checkbox" || input.type === "radio" ? input.checked : input.value;
  }
  if (Object.keys(values).length) drafts.set(path, values);
}

function restore(path) {
  const values = drafts.get(path);
  if (!values) return;
  drafts.delete(path);
  for (const input of frame.main.querySelectorAll("input[name], textarea[name], select[name]")) {
    if (!(input.name in values)) continue;
    if (input.type === "checkbox" || input.type === "radio") input.checked = Boolean(values[input.name]);
    else input.value = values[input.name];
  }
}

async function render() {
  const mine = ++sequence;
  const path = currentPath();
  if (path === "/" || path === "") {
    go(loggedIn() ? "/passbook" : keep.device() ? "/login" : "/welcome");
    return;
  }
  const found = match(path);
  const view = viewFor(mine);
  clear(frame.main);
  frame.back.hidden = true;
  if (!found) {
    view.title(_("Page not found"));
    frame.main.append(notice("error", h("p", {}, _("This page does not exist in the app."))), h("a", { href: "#/" }, _("Home")));
    return;
  }
  if (found.route.auth && !loggedIn()) {
    after.path = path;
    go(keep.device() ? "/login" : "/welcome");
    return;
  }
  frame.tabs.hidden = !loggedIn() || !found.route.auth;
  for (const a of frame.tabs.querySelectorAll("a")) {
    if (path.startsWith("/" + a.dataset.tab)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    await found.route.render(view, found.params, currentQuery());
    if (view.alive()) restore(path);
  } catch (error) {
    if (!view.alive()) return;
    if (error instanceof api.ApiError && error.kind === "unauthorised") return; // the login took over
    if (error instanceof api.ApiError && ["offline", "unavailable"].includes(error.kind)) {
      showUnreachable(view, error);
      return;
    }
    clear(frame.main).append(notice("error", h("p", {}, error instanceof api.ApiError ? error.text : _("Something went wrong. Please try again."))));
    if (!(error instanceof api.ApiError)) console.error(error);
  }
  if (view.alive()) frame.title.focus({ preventScroll: false });
}

/** Ends the session in this app: the token and every screen of the person gone (the device stays verified
 * unless ``device``). */
export function logOut({ device = false, locked = false } = {}) {
  // Locked: the login brings the person back to this screen with what was typed (memory only); logged out:
  // nothing is kept.
  const place = locked ? currentPath() : "";
  drafts.clear();
  if (locked) capture(place);
  keep.forgetPerson({ device });
  after.path = place;
  clear(frame.main);
  lock.locked = locked;
  go(keep.device() ? "/login" : "/welcome");
}

export const lock = { locked: false };

function watchIdle() {
  const touch = () => (lastActivity = Date.now());
  for (const event of ["pointerdown", "keydown", "touchstart", "wheel", "scroll"]) {
    window.addEventListener(event, touch, { passive: true, capture: true });
  }
  const check = () => {
    if (loggedIn() && Date.now() - lastActivity > config.idleLockSeconds * 1000) logOut({ locked: true });
  };
  setInterval(check, 5000);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && check());
}

function watchConnection() {
  const say = (reachable) => {
    frame.status.hidden = reachable;
    clear(frame.status);
    if (!reachable) frame.status.append(_("Offline: HealthBank cannot be reached. What you see is not being updated."));
  };
  window.addEventListener("offline", () => {
    say(false);
    // Nothing stale: a screen of data is taken down while the phone is offline.
    if (loggedIn()) {
      clear(frame.main).append(notice("error", h("p", {}, new api.ApiError("offline", 0).text)));
    }
  });
  window.addEventListener("online", () => {
    say(true);
    render();
  });
  api.on("reachable", (reachable) => say(reachable));
  if (!navigator.onLine) say(false);
}

async function start() {
  document.documentElement.lang = htmlLang();
  try {
    await loadCatalog();
  } catch {
    // offline before the catalogue was ever kept: the app still runs, in its source language
  }
  await import("./screens/device.js");
  await import("./screens/account.js");
  await import("./screens/passbook.js");
  await import("./screens/vcard.js");
  frame = buildFrame();
  api.on("unauthorised", () => {
    const path = currentPath();
    if (path === "/login" || path === "/welcome") return;
    after.path = path;
    capture(path);
    keep.forgetToken();
    go(keep.device() ? "/login" : "/welcome");
  });
  window.addEventListener("hashchange", render);
  watchIdle();
  watchConnection();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.serviceWorker, { scope: config.scope }).catch(() => {});
  }
  render();
}

start();
