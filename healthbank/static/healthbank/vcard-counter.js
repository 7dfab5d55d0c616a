// The clinic counter's scan page (SPEC §9). The institution's API key lives in this tab's sessionStorage only; a
// card QR comes from the camera (decoded by the vendored jsQR) or from what a USB scanner types; the scan API's
// answer is drawn into the page's own markup. Nothing of a code, a key or a person is written to the console.
(function () {
  "use strict";
  const root = document.querySelector(".counter");
  if (!root) return;
  const text = root.dataset;  // the page's translated messages: data-msg-* → text.msg*
  const chinese = (text.language || "").indexOf("zh") === 0;
  const STORE = "healthbank.vcard.counterKey";
  const KEY_FORM = /^hb_[0-9a-f]{8}_[A-Za-z0-9_-]{16,}$/;  // healthbank/records/auth.py: hb_<8 hex>_<urlsafe secret>
  const CARD_PREFIX = "HBVC1.";
  const FRAME_MS = 150;
  const DECODE_WIDTH = 800;  // frames are scaled down to this before decoding: fast, and a card code stays legible

  const $ = function (selector) { return root.querySelector(selector); };
  const keyForm = $(".counter-key-form");
  const keyInput = $("#counter-key");
  const keySet = $(".counter-key-set");
  const scanSection = $(".counter-scan");
  const cameraStart = $(".counter-camera-start");
  const cameraBox = $(".counter-camera");
  const video = $(".counter-video");
  const cameraStatus = $(".counter-camera-status");
  const pasteForm = $(".counter-paste");
  const qrInput = $("#counter-qr");
  const checkButton = $(".counter-check");
  const result = $(".counter-result");
  const person = $(".counter-person");
  const refusal = $(".counter-refusal");
  const photo = $(".counter-photo");

  // ------------------------------------------------------------ the key: this tab only, never a cookie

  let keyInMemory = "";  // where sessionStorage is refused (some private modes): the key lives as long as the page
  function readKey() {
    try { return window.sessionStorage.getItem(STORE) || ""; } catch (e) { return keyInMemory; }
  }
  function keepKey(key) {
    keyInMemory = key;
    try {
      if (key) window.sessionStorage.setItem(STORE, key); else window.sessionStorage.removeItem(STORE);
    } catch (e) { /* kept in memory only */ }
  }
  function showKeyState() {
    const key = readKey();
    keyForm.hidden = Boolean(key);
    keySet.hidden = !key;
    // Only the key's public prefix is ever shown again: enough to tell which key is in use, not to copy it.
    $(".counter-key-prefix").textContent = key ? key.slice(0, 12) + "…" : "";
  }

  function fieldError(input, message) {
    const error = document.getElementById(input.id + "-error");
    const field = input.closest(".field");
    error.textContent = message || "";
    error.hidden = !message;
    field.classList.toggle("field-has-error", Boolean(message));
    if (message) { input.setAttribute("aria-invalid", "true"); input.focus(); } else input.removeAttribute("aria-invalid");
  }

  keyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) { fieldError(keyInput, text.msgKeyEmpty); return; }
    if (!KEY_FORM.test(key)) { fieldError(keyInput, text.msgKeyForm); return; }
    keepKey(key);
    keyInput.value = "";
    fieldError(keyInput, "");
    showKeyState();
    qrInput.focus();  // ready for the scanner's first code
  });

  $(".counter-forget").addEventListener("click", function () {
    keepKey("");
    stopCamera();
    clearResult();
    scanSection.hidden = false;
    showKeyState();
    keyInput.focus();
  });

  function needKey() {
    showKeyState();
    fieldError(keyInput, text.msgNoKey);
  }

  // ------------------------------------------------------------ the camera

  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;
  let timer = 0;
  let cameraWanted = false;
  let lastWay = "scanner";  // how the last code came: "Scan next" goes back to the same way
  let busy = false;

  function say(message, isError) {
    cameraStatus.textContent = message || "";
    cameraStatus.classList.toggle("error", Boolean(isError));
  }

  async function startCamera() {
    lastWay = "camera";
    if (!readKey()) { needKey(); return; }
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      say(text.msgCameraInsecure, true);
      return;
    }
    if (typeof window.jsQR !== "function") { say(text.msgCameraFailed, true); return; }
    cameraWanted = true;
    cameraStart.disabled = true;
    say(text.msgCameraStart);
    let got;
    try {
      got = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      cameraWanted = false;
      cameraStart.disabled = false;
      const name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError") say(text.msgCameraDenied, true);
      else if (name === "NotFoundError" || name === "OverconstrainedError") say(text.msgCameraNone, true);
      else say(text.msgCameraFailed, true);
      return;
    }
    if (!cameraWanted) {  // stopped (a key forgotten, a code typed) while the browser was still asking
      got.getTracks().forEach(function (track) { track.stop(); });
      return;
    }
    stream = got;
    video.srcObject = stream;
    cameraBox.hidden = false;
    cameraStart.hidden = true;
    cameraStart.disabled = false;
    try { await video.play(); } catch (e) { /* a muted inline video plays by itself; frames are read either way */ }
    say(text.msgCameraOn);
    window.clearInterval(timer);
    timer = window.setInterval(readFrame, FRAME_MS);
  }

  function stopCamera() {
    cameraWanted = false;
    window.clearInterval(timer);
    timer = 0;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    cameraBox.hidden = true;
    cameraStart.hidden = false;
    cameraStart.disabled = false;
    say("");
  }

  function readFrame() {
    if (busy || !stream || video.readyState < 2 || !video.videoWidth) return;
    const scale = Math.min(1, DECODE_WIDTH / video.videoWidth);
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    // Both ways round: a phone in dark mode may show the code light on dark.
    const found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
      inversionAttempts: "attemptBoth",
    });
    if (!found || !found.data) return;
    const code = normalise(found.data);
    if (code.indexOf(CARD_PREFIX) !== 0) { say(text.msgCameraOther); return; }  // another QR in view: keep looking
    stopCamera();
    check(code);
  }

  cameraStart.addEventListener("click", startCamera);
  $(".counter-camera-stop").addEventListener("click", function () { lastWay = "scanner"; stopCamera(); qrInput.focus(); });
  // A counter's computer is shared: the camera goes off as soon as the tab is left.
  document.addEventListener("visibilitychange", function () { if (document.hidden) stopCamera(); });
  window.addEventListener("pagehide", stopCamera);

  // ------------------------------------------------------------ the scanner box

  // A card code is only A–Z, 2–7 and ".": a scanner typing with Caps Lock on gives lower case, and a pasted code
  // may carry line breaks or spaces. Neither changes which code it is.
  function normalise(value) {
    return String(value || "").replace(/\s+/g, "").toUpperCase();
  }

  pasteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    lastWay = "scanner";
    if (!readKey()) { needKey(); return; }  // nothing can be checked without it: ask for it first
    const code = normalise(qrInput.value);
    if (!code) { fieldError(qrInput, text.msgQrEmpty); return; }
    fieldError(qrInput, "");
    stopCamera();
    check(code);
  });

  // ------------------------------------------------------------ the scan API

  async function check(code) {
    const key = readKey();
    if (!key) { needKey(); return; }
    if (busy) return;
    busy = true;
    checkButton.disabled = true;
    say(text.msgChecking);
    let response = null;
    let body = null;
    try {
      response = await window.fetch(text.scanUrl, {
        method: "POST",
        headers: {
          "Authorization": "Bearer " + key,
          "Content-Type": "application/json",
          "Accept": "application/json",
          "Accept-Language": text.language,  // the refusal's message in the page's language
        },
        body: JSON.stringify({ qr: code }),
        credentials: "omit",  // the key is the only credential: no session cookie rides along
        cache: "no-store",
      });
      body = await response.json().catch(function () { return null; });
    } catch (error) {
      response = null;
    }
    busy = false;
    checkButton.disabled = false;
    say("");
    qrInput.value = "";  // used up or refused: it is never sent twice by accident
    if (response === null) showRefusal(text.msgNetwork, "network");
    else if (response.ok && body && body.person) showPerson(body);
    else showRefusal(firstMessage(body) || text.msgUnexpected, reasonOf(response.status, body));
  }

  function firstMessage(body) {
    if (!body || typeof body.errors !== "object" || body.errors === null) return "";
    for (const field of Object.keys(body.errors)) {
      const messages = body.errors[field];
      if (Array.isArray(messages) && messages.length) return String(messages[0]);
      if (typeof messages === "string" && messages) return messages;
    }
    return "";
  }

  // The API's own reason code when it gives one (the scan's refusals); otherwise a name for the HTTP status.
  function reasonOf(status, body) {
    if (body && typeof body.reason === "string" && body.reason) return body.reason;
    const named = { 401: "bad_key", 403: "not_an_institution", 429: "throttled", 503: "service_unavailable" };
    return named[status] || "http_" + status;
  }

  // ------------------------------------------------------------ the result

  let photoUrl = "";

  // The photo comes as a data: URL inside the JSON; as a blob: URL the page's policy needs no data: images, and
  // revoking it on "Scan next" drops the picture from memory.
  function blobUrl(dataUrl) {
    const parts = /^data:(image\/(?:jpeg|png));base64,([A-Za-z0-9+/]+={0,2})$/.exec(dataUrl || "");
    if (!parts) return "";
    const raw = window.atob(parts[2]);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return URL.createObjectURL(new Blob([bytes], { type: parts[1] }));
  }

  // ``1970-05-04`` → ``59/05/04`` (ROC year) on the Chinese page, as the server's own date filters write it.
  function formatDay(iso) {
    const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!parts) return iso || "";
    const year = Number(parts[1]);
    return chinese && year > 1911 ? (year - 1911) + "/" + parts[2] + "/" + parts[3] : iso;
  }

  function formatMoment(iso) {
    const when = new Date(iso);
    if (!iso || Number.isNaN(when.getTime())) return iso || "";
    try {
      const p = {};
      new Intl.DateTimeFormat("en-GB", {
        timeZone: text.timeZone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).formatToParts(when).forEach(function (part) { p[part.type] = part.value; });
      return formatDay(p.year + "-" + p.month + "-" + p.day) + " " + p.hour + ":" + p.minute;
    } catch (e) {
      return iso;
    }
  }

  const SHOWN = [
    ".counter-name", ".counter-name-en", ".counter-national-id", ".counter-card-number", ".counter-sex",
    ".counter-birth-date", ".counter-insurance", ".counter-shown-by", ".counter-valid-until",
    ".counter-refusal-message", ".counter-refusal-reason code",
  ];

  function put(selector, value) { $(selector).textContent = value == null ? "" : String(value); }

  function showPerson(answer) {
    const who = answer.person;
    const insurance = who.insurance || {};
    put(".counter-name", who.name);
    put(".counter-name-en", who.name_en);
    $(".counter-name-en").hidden = !who.name_en;
    put(".counter-national-id", who.national_id);
    put(".counter-card-number", who.card_number);
    put(".counter-sex", who.sex === "M" ? text.msgSexM : who.sex === "F" ? text.msgSexF : who.sex);
    put(".counter-birth-date", formatDay(who.birth_date));
    put(".counter-insurance", insurance.status_label || insurance.status);
    $(".counter-insurance").classList.toggle("counter-not-insured", insurance.status === "withdrawn");
    const shownBy = { holder: text.msgShownHolder, delegate: text.msgShownDelegate, parent: text.msgShownParent };
    put(".counter-shown-by", shownBy[answer.shown_by] || answer.shown_by);
    put(".counter-valid-until", formatMoment(answer.visit_valid_until));
    $(".counter-lost").hidden = !who.card_reported_lost;
    photoUrl = blobUrl(who.photo);
    if (photoUrl) photo.src = photoUrl;
    photo.hidden = !photoUrl;
    person.hidden = false;
    refusal.hidden = true;
    showResult();
  }

  function showRefusal(message, reason) {
    put(".counter-refusal-message", message);
    put(".counter-refusal-reason code", reason);
    person.hidden = true;
    refusal.hidden = false;
    showResult();
  }

  function showResult() {
    scanSection.hidden = true;  // on a phone the answer is then the first thing under the key
    result.hidden = false;
    result.focus();
  }

  function clearResult() {
    if (photoUrl) URL.revokeObjectURL(photoUrl);
    photoUrl = "";
    photo.removeAttribute("src");
    SHOWN.forEach(function (selector) { put(selector, ""); });  // no one's details linger in the page
    person.hidden = true;
    refusal.hidden = true;
    result.hidden = true;
  }

  $(".counter-next").addEventListener("click", function () {
    clearResult();
    scanSection.hidden = false;
    if (lastWay === "camera") startCamera(); else qrInput.focus();
  });

  showKeyState();
})();
