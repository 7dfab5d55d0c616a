/*
 * The app API client: every call of the app goes through here, to the documented endpoints under
 * /api/app/v1/ (the same a native app would use). The token travels only in the Authorization header.
 *
 * A failed call throws ApiError with a kind the screens can act on:
 *   offline       the server could not be reached
 *   unavailable   503: a system HealthBank depends on is away (the server's message is kept)
 *   unauthorised  401: no token or not valid any more (the app goes back to its login, keeping what was typed)
 *   throttled     429 (retryAfter in seconds)
 *   refused       any other 4xx, with the API's {"errors": {field: [message]}}
 *   failed        5xx other than 503
 */
import { _, config, keep, language } from "./core.js";

export class ApiError extends Error {
  constructor(kind, status, errors = {}, retryAfter = 0) {
    super(kind);
    this.kind = kind;
    this.status = status;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }

  /** Every message the server gave, in one line. */
  get text() {
    const parts = Object.values(this.errors || {}).flat();
    if (parts.length) return parts.join(" ");
    if (this.kind === "offline") return _("HealthBank cannot be reached. Check the phone's connection and try again.");
    if (this.kind === "unavailable") return _("HealthBank is not available at the moment. Please try again in a few minutes.");
    if (this.kind === "throttled") return _("Too many tries. Please wait a while and try again.");
    if (this.kind === "unauthorised") return _("Please log in again.");
    return _("Something went wrong. Please try again.");
  }
}

function acceptLanguage() {
  return language() === "en" ? "en" : "zh-Hant-TW, zh-Hant;q=0.9";
}

const listeners = { unauthorised: [], reachable: [] };

/** on("unauthorised", fn) — a 401 from a call made with the token; on("reachable", fn(bool)). */
export function on(event, fn) {
  listeners[event].push(fn);
}

function emit(event, value) {
  for (const fn of listeners[event]) fn(value);
}

/**
 * call("GET", "passbook/<id>/labs", {query: {page: 2}}) → the JSON answer.
 * options: json (a body), form (FormData), query, auth (default true), raw (return the Response: files).
 */
export async function call(method, path, options = {}) {
  const url = new URL(config.api + path, location.origin);
  for (const [name, value] of Object.entries(options.query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json", "Accept-Language": acceptLanguage() };
  const useToken = options.auth !== false;
  if (useToken) {
    const kept = keep.token();
    if (!kept) {
      emit("unauthorised");
      throw new ApiError("unauthorised", 401);
    }
    headers.Authorization = "Token " + kept.token;
  }
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body, cache: "no-store", credentials: "omit", redirect: "error" });
  } catch {
    emit("reachable", false);
    throw new ApiError("offline", 0);
  }
  emit("reachable", response.status !== 503);
  if (response.ok) {
    if (options.raw) return response;
    return response.status === 204 ? {} : response.json();
  }
  let errors = {};
  try {
    errors = (await response.json()).errors || {};
  } catch {
    errors = {};
  }
  const retryAfter = Number(response.headers.get("Retry-After")) || 0;
  if (response.status === 401) {
    if (useToken) {
      keep.forgetToken();
      emit("unauthorised");
    }
    throw new ApiError("unauthorised", 401, errors);
  }
  if (response.status === 503) throw new ApiError("unavailable", 503, errors, retryAfter);
  if (response.status === 429) throw new ApiError("throttled", 429, errors, retryAfter);
  if (response.status >= 500) throw new ApiError("failed", response.status, {});
  throw new ApiError("refused", response.status, errors);
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, json) => call("POST", path, { json });
