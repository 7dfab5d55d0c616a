/*
 * The app's core: configuration from the shell, language and messages, what the app keeps on the device, dates
 * as Taiwan writes them, and the hash router. No screen lives here.
 *
 * What the app keeps (and nothing else):
 *   localStorage  hb.lang            the language the person chose (absent: the phone's language)
 *                 hb.deviceId        a random identifier of this installation (names the phone in the device list)
 *                 hb.device          {device_id, credential} of this phone's verification; removed by
 *                                    "log out and remove this device"
 *   sessionStorage hb.token          {token, expires_at}; gone when the app closes, when it locks and on log-out
 * Health data lives only in memory, on the screen showing it.
 */

export const config = JSON.parse(document.getElementById("app-config").textContent);

const KEYS = { lang: "hb.lang", deviceId: "hb.deviceId", device: "hb.device", token: "hb.token" };

// ------------------------------------------------------------------------------------------- language

export function phoneLanguage() {
  const wanted = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""])
    .map((l) => String(l).toLowerCase());
  for (const l of wanted) {
    if (l.startsWith("zh")) return "zh-hant";
    if (l.startsWith("en")) return "en";
  }
  return "zh-hant";
}

export function language() {
  const chosen = localStorage.getItem(KEYS.lang);
  return chosen === "en" || chosen === "zh-hant" ? chosen : phoneLanguage();
}

export function chooseLanguage(lang) {
  if (lang === phoneLanguage()) localStorage.removeItem(KEYS.lang);
  else localStorage.setItem(KEYS.lang, lang);
}

export function htmlLang(lang = language()) {
  return lang === "en" ? "en" : "zh-Hant-TW";
}

/** Loads the message catalogue of the current language (Django's JavaScript catalogue, a script of ours). */
export function loadCatalog() {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = config.catalogs[language()];
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("catalog"));
    document.head.appendChild(script);
  });
}

export function _(text) {
  return window.django ? window.django.gettext(text) : text;
}

export function ngettext(singular, plural, n) {
  return window.django ? window.django.ngettext(singular, plural, n) : n === 1 ? singular : plural;
}

/** interpolate(_("%(name)s was here"), {name}) — named placeholders only. */
export function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_m, key) => (values[key] === undefined || values[key] === null ? "" : String(values[key])));
}

// ------------------------------------------------------------------------------------------- dates

const ROC_OFFSET = 1911;

function pad(n) {
  return String(n).padStart(2, "0");
}

/** "2026-12-08" or an ISO moment → "115/12/08" in Chinese, "2026-12-08" in English (as the web writes them). */
export function date(value) {
  if (!value) return "";
  const text = String(value);
  let y, m, d;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    [y, m, d] = text.split("-").map(Number);
  } else {
    const moment = new Date(text);
    if (Number.isNaN(moment.getTime())) return text;
    const taipei = new Date(moment.getTime() + 8 * 3600 * 1000); // Taiwan time, whatever the phone's zone
    [y, m, d] = [taipei.getUTCFullYear(), taipei.getUTCMonth() + 1, taipei.getUTCDate()];
  }
  if (language() === "zh-hant" && y > ROC_OFFSET) return `${y - ROC_OFFSET}/${pad(m)}/${pad(d)}`;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** An ISO moment → "115/12/08 21:08" (Taiwan time). */
export function dateTime(value) {
  if (!value) return "";
  const moment = new Date(String(value));
  if (Number.isNaN(moment.getTime())) return String(value);
  const taipei = new Date(moment.getTime() + 8 * 3600 * 1000);
  return `${date(value)} ${pad(taipei.getUTCHours())}:${pad(taipei.getUTCMinutes())}`;
}

/** "2026-12" → "115/12" in Chinese. */
export function month(value) {
  if (!value) return "";
  const [y, m] = String(value).split("-").map(Number);
  if (language() === "zh-hant" && y > ROC_OFFSET) return `${y - ROC_OFFSET}/${pad(m)}`;
  return `${y}-${pad(m)}`;
}

export function thousands(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : n ?? "";
}

// ------------------------------------------------------------------------------------------- what is kept

function readJson(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) || "null");
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

export const keep = {
  device() {
    return readJson(localStorage, KEYS.device);
  },
  setDevice(device) {
    localStorage.setItem(KEYS.device, JSON.stringify({ device_id: device.device_id, credential: device.credential }));
  },
  forgetDevice() {
    localStorage.removeItem(KEYS.device);
  },
  deviceIdentifier() {
    let id = localStorage.getItem(KEYS.deviceId);
    if (!id) {
      id = "pwa-" + crypto.randomUUID();
      localStorage.setItem(KEYS.deviceId, id);
    }
    return id;
  },
  token() {
    const kept = readJson(sessionStorage, KEYS.token);
    if (!kept || !kept.token) return null;
    if (kept.expires_at && new Date(kept.expires_at).getTime() <= Date.now()) {
      sessionStorage.removeItem(KEYS.token);
      return null;
    }
    return kept;
  },
  setToken(answer) {
    sessionStorage.setItem(KEYS.token, JSON.stringify({ token: answer.token, expires_at: answer.expires_at }));
  },
  forgetToken() {
    sessionStorage.removeItem(KEYS.token);
  },
  /** Log-out: nothing of the person is left; the language and this installation's random id stay. */
  forgetPerson({ device = false } = {}) {
    sessionStorage.clear();
    if (device) localStorage.removeItem(KEYS.device);
  },
};

export function platform() {
  const ua = navigator.userAgent || "";
  if (/Android/i.test(ua)) return "Android";
  if (/iPhone|iPad|iPod/i.test(ua)) return "iOS";
  return "Web";
}

export function model() {
  const ua = navigator.userAgent || "";
  const android = ua.match(/Android [\d.]+; ([^;)]+)/);
  if (android) return android[1].trim().slice(0, 60);
  if (/iPhone/.test(ua)) return "iPhone";
  return "HealthBank app (PWA)";
}

// ------------------------------------------------------------------------------------------- router

const routes = [];

/** register("/passbook/:pid/labs", render, {auth: true}): render(view, params, query) draws the screen. */
export function register(pattern, render, options = {}) {
  const names = [];
  const regex = new RegExp(
    "^" +
      pattern.replace(/:(\w+)/g, (_m, name) => {
        names.push(name);
        return "([^/]+)";
      }) +
      "$"
  );
  routes.push({ pattern, regex, names, render, auth: options.auth !== false });
}

export function currentPath() {
  const hash = location.hash.replace(/^#/, "") || "/";
  return hash.split("?")[0];
}

export function currentQuery() {
  const hash = location.hash.replace(/^#/, "");
  const i = hash.indexOf("?");
  return new URLSearchParams(i >= 0 ? hash.slice(i + 1) : "");
}

export function match(path) {
  for (const route of routes) {
    const found = route.regex.exec(path);
    if (found) {
      const params = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1])));
      return { route, params };
    }
  }
  return null;
}

export function go(path) {
  if (location.hash === "#" + path) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = path;
}
