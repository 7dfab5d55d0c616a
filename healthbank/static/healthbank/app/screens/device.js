/*
 * Verifying this phone (SPEC §5, seed 000): scan the code the web's "Mobile devices" page shows, type it, or
 * verify by the phone's own number with the card's last four digits. What the server returns (the device
 * credential) is kept on this phone only (core.js, "what is kept").
 */
import * as api from "../api.js";
import { _, config, format, go, keep, language, model, platform, register } from "../core.js";
import { CameraError, startScanning } from "../scanner.js";
import { busy, field, flash, h, link, notice, showErrors } from "../ui.js";

const LOOK_ALIKES = { 0: "o", O: "o", 1: "i", l: "i", I: "i" }; // a hint, never a silent change

/**
 * A device code as typed or scanned → {code} or {error}. Full-width characters (a Chinese keyboard) become
 * half-width and spaces and dashes go; a character the codes never use is named, with what it may be.
 */
export function readDeviceCode(raw) {
  const code = String(raw || "")
    .normalize("NFKC")
    .replace(/[\s\-–—_.]/g, "");
  if (!code) return { error: _("Enter the device verification code.") };
  const strange = [...new Set([...code].filter((c) => !config.deviceCodeAlphabet.includes(c)))];
  if (strange.length) {
    const hints = strange
      .filter((c) => c in LOOK_ALIKES)
      .map((c) => format(_("“%(typed)s” may be “%(meant)s”"), { typed: c, meant: LOOK_ALIKES[c] }));
    const named = strange.map((c) => format(_("“%(char)s”"), { char: c })).join(_(", "));
    const sentences = [format(_("A device code never contains %(chars)s."), { chars: named })];
    if (hints.length) sentences.push(hints.join(_(", ")) + _("."));
    sentences.push(_("Codes use letters and the digits 2 to 9; upper and lower case differ."));
    return { error: sentences.join(language() === "en" ? " " : "") }; // Chinese sentences follow without a space
  }
  if (code.length !== config.deviceCodeLength) {
    return { error: format(_("A device code has %(n)s characters; this one has %(m)s."), { n: config.deviceCodeLength, m: code.length }) };
  }
  return { code };
}

async function bind(code) {
  const answer = await api.call("POST", "devices/bind", {
    auth: false,
    json: { code, platform: platform(), model: model(), device_identifier: keep.deviceIdentifier() },
  });
  keep.setDevice(answer);
  flash.set(_("This phone is verified. Log in with your national ID and registration password."));
  go("/login");
}

function welcome(view) {
  view.title(_("Verify this phone"));
  const intro = h(
    "div",
    { class: "intro" },
    h("p", {}, _("Before the first login, this phone must be verified as yours. Choose one way:")),
  );
  view.main.append(
    flash.take() || "",
    intro,
    h(
      "ul",
      { class: "choices" },
      h("li", {}, link("/verify/scan", h("strong", {}, _("Scan the device code")), h("span", {}, _("Log in on the HealthBank website, open “Mobile devices”, press “Generate device verification code” and point this phone's camera at the QR code.")))),
      h("li", {}, link("/verify/code", h("strong", {}, _("Type the device code")), h("span", {}, _("The same 8-character code, shown under the QR code on the website.")))),
      h("li", {}, link("/verify/phone", h("strong", {}, _("Verify with this phone's number")), h("span", {}, _("For a post-paid number in your own name: your national ID, the last 4 digits of your NHI card number and your registration password."))))
    ),
    keep.device() ? h("p", {}, link("/login", _("This phone is already verified: log in"))) : ""
  );
}

function scanScreen(view) {
  view.title(_("Scan the device code"));
  view.back("/welcome");
  const video = h("video", { class: "camera", "aria-label": _("Camera view"), playsinline: true, muted: true });
  const status = h("p", { role: "status", class: "scan-status" }, _("Starting the camera…"));
  const errors = h("div", { class: "form-errors", tabindex: "-1" });
  view.main.append(
    h("p", {}, _("Point the camera at the QR code on the website's “Mobile devices” page.")),
    h("div", { class: "camera-frame" }, video),
    status,
    errors,
    h("p", {}, link("/verify/code", _("Type the code instead")))
  );
  const scanning = startScanning(video, (text) => !readDeviceCode(text).error);
  const leave = () => scanning.stop();
  window.addEventListener("hashchange", leave, { once: true });
  scanning.started.then(
    () => {
      if (view.alive()) status.textContent = _("Looking for the code…");
    },
    (error) => {
      if (!view.alive()) return;
      const refused = error instanceof CameraError && error.kind === "refused";
      flash.set(
        refused
          ? _("The camera may not be used, so the code cannot be scanned. Type it instead (or allow the camera in the phone's settings).")
          : _("This phone's camera cannot be used. Type the code instead."),
        "error"
      );
      go("/verify/code");
    }
  );
  scanning.result.then(async (text) => {
    if (!text || !view.alive()) return;
    status.textContent = _("Code found. Verifying…");
    try {
      await bind(readDeviceCode(text).code);
    } catch (error) {
      if (!view.alive()) return;
      status.textContent = "";
      errors.append(notice("error", h("p", {}, error.text || _("Something went wrong. Please try again."))), h("p", {}, link("/verify/code", _("Type the code instead"))));
      errors.focus();
    }
  });
}

function codeScreen(view) {
  view.title(_("Type the device code"));
  view.back("/welcome");
  const submit = h("button", { type: "submit", class: "primary" }, _("Verify this phone"));
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "form-errors", tabindex: "-1" }),
    field({
      name: "code",
      label: _("Device verification code"),
      hint: _("8 characters, as shown on the website; upper and lower case differ."),
      attrs: { autocomplete: "one-time-code", autocapitalize: "none", autocorrect: "off", spellcheck: "false", maxlength: 24, required: true },
    }),
    submit
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const read = readDeviceCode(form.elements.code.value);
    if (read.error) {
      showErrors(form, { code: [read.error] });
      return;
    }
    busy(submit, true);
    try {
      await bind(read.code);
    } catch (error) {
      showErrors(form, error.errors && Object.keys(error.errors).length ? error.errors : { "": [error.text] });
    } finally {
      busy(submit, false);
    }
  });
  view.main.append(flash.take() || "", form, h("p", {}, link("/verify/scan", _("Scan the code instead"))));
}

function phoneScreen(view) {
  view.title(_("Verify with this phone's number"));
  view.back("/welcome");
  const submit = h("button", { type: "submit", class: "primary" }, _("Verify this phone"));
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "form-errors", tabindex: "-1" }),
    field({ name: "national_id", label: _("National ID number"), attrs: { autocomplete: "username", autocapitalize: "characters", maxlength: 10, required: true } }),
    field({
      name: "card_last4",
      label: format(_("Last %(n)s digits of your NHI card number"), { n: config.cardLastDigits }),
      attrs: { inputmode: "numeric", maxlength: config.cardLastDigits, autocomplete: "off", required: true },
    }),
    field({ name: "mobile", label: _("This phone's mobile number"), hint: _("09 and 8 more digits; a post-paid number in your name."), type: "tel", attrs: { autocomplete: "tel-national", maxlength: 14, required: true } }), // room for 0912-345-678
    field({ name: "password", label: _("Registration password"), type: "password", attrs: { autocomplete: "current-password", required: true } }),
    submit
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    busy(submit, true);
    try {
      const answer = await api.call("POST", "devices/verify-phone", {
        auth: false,
        json: {
          national_id: String(data.national_id || "").trim().toUpperCase(),
          card_last4: String(data.card_last4 || "").normalize("NFKC").trim(),
          mobile: String(data.mobile || "").normalize("NFKC").replace(/[\s-]/g, ""),
          password: data.password || "",
          platform: platform(),
          model: model(),
          device_identifier: keep.deviceIdentifier(),
        },
      });
      keep.setDevice(answer);
      flash.set(_("This phone is verified. Log in with your national ID and registration password."));
      go("/login");
    } catch (error) {
      form.elements.password.value = "";
      showErrors(form, error.errors && Object.keys(error.errors).length ? error.errors : { "": [error.text] });
    } finally {
      busy(submit, false);
    }
  });
  view.main.append(
    h("p", {}, _("Prepaid, company or someone else's numbers cannot be used: scan or type a device code instead.")),
    form
  );
}

register("/welcome", welcome, { auth: false });
register("/verify/scan", scanScreen, { auth: false });
register("/verify/code", codeScreen, { auth: false });
register("/verify/phone", phoneScreen, { auth: false });
