/*
 * The virtual NHI card in the app (SPEC §9, issue 13): my card or my application, the one-time QR code shown at
 * a counter, institutions' requests and household asks waiting for me, applying (for myself or a member of my
 * NHI household), lending my card (我授權的), the cards I may use (我可使用), taking up a delegation by its code
 * or its QR code, and the use history. Everything through the app API (vcard/...); photos are fetched with the
 * token and shown through blob: URLs that are revoked when the screen is left.
 */
import * as api from "../api.js";
import { _, config, date, dateTime, format, go, register } from "../core.js";
import { CameraError, startScanning } from "../scanner.js";
import { busy, clear, field, flash, h, link, notice, showErrors, table } from "../ui.js";

const rules = config.vcard; // the policy's numbers (minutes, days, code length), from the shell
const CODE_GROUP = 5; // ABCDE-FGHJK, as the web prints it
// Spoken countdown: a screen reader hears the time left at these marks (seconds), not every second.
const ANNOUNCE_AT = [240, 180, 120, 60, 30, 10];
const ZH = "zh-Hant-TW"; // names come from the register in Chinese

/** A message with a context, where the same English word is said differently in Chinese ("Name" of a person). */
function pgettext(context, text) {
  return window.django ? window.django.pgettext(context, text) : text;
}

// ------------------------------------------------------------------------------------------- helpers

/** Runs ``fn`` once when the person leaves this screen (another route). */
function onLeave(fn) {
  window.addEventListener("hashchange", fn, { once: true });
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function mmss(seconds) {
  return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`;
}

/** "HH:MM" of an ISO moment in Taiwan time. */
function clock(value) {
  return dateTime(value).split(" ")[1] || "";
}

/** The last day a person chose: a delegation ends at the (exclusive) midnight after it. */
function lastDay(endsAt) {
  const moment = Date.parse(endsAt);
  return Number.isNaN(moment) ? "" : date(new Date(moment - 1).toISOString());
}

function name(text) {
  return h("span", { lang: ZH }, text);
}

/** format() whose values may be nodes: "%(name)s 的虛擬健保卡" → ["", <span>, " 的虛擬健保卡"]. */
function formatNodes(text, values) {
  const out = [];
  let last = 0;
  text.replace(/%\((\w+)\)s/g, (whole, key, offset) => {
    out.push(text.slice(last, offset), values[key]);
    last = offset + whole.length;
    return whole;
  });
  out.push(text.slice(last));
  return out.filter((part) => part !== "");
}

/** Today in Taiwan, YYYY-MM-DD (what a date input takes). */
function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/**
 * A countdown drawn into ``timer`` once a second (``label(mm:ss)``), announced politely in ``live`` only at the
 * ANNOUNCE_AT marks; ``onEnd`` when it reaches zero. It counts from ``seconds`` on this phone's monotonic clock,
 * so a phone whose clock is a few minutes wrong still shows the code's real life. Stops when the screen goes.
 */
function countdown({ seconds, timer, live, label, spoken, onEnd, alive }) {
  const started = performance.now();
  const said = new Set(ANNOUNCE_AT.filter((mark) => mark >= seconds));
  let handle = null;
  let drawn = false; // the timer may be put on the screen just after the first tick
  const tick = () => {
    if (!alive() || (drawn && !timer.isConnected)) {
      clearInterval(handle);
      return;
    }
    drawn = drawn || timer.isConnected;
    const left = Math.max(0, Math.ceil(seconds - (performance.now() - started) / 1000));
    if (left <= 0) {
      clearInterval(handle);
      timer.textContent = "";
      onEnd();
      return;
    }
    timer.textContent = label(mmss(left));
    const due = ANNOUNCE_AT.filter((mark) => left <= mark && !said.has(mark));
    if (due.length && live) {
      due.forEach((mark) => said.add(mark));
      const minutes = Math.floor(left / 60);
      live.textContent = spoken(minutes >= 1 && left % 60 === 0 ? format(_("%(n)s min"), { n: minutes }) : mmss(left));
    }
  };
  handle = setInterval(tick, 1000);
  tick();
  return () => clearInterval(handle);
}

/** The card photo (token-authorised fetch) as a blob: URL on ``img``; revoked when the screen is left. */
async function showPhoto(img, personId) {
  try {
    const response = await api.call("GET", `vcard/photo/${encodeURIComponent(personId)}`, { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    img.src = url;
    onLeave(() => URL.revokeObjectURL(url));
  } catch {
    img.replaceWith(h("p", { class: "vcard-photo vcard-photo-missing" }, _("The photo cannot be shown now.")));
  }
}

function photo(personId, { small = false, alt = "" } = {}) {
  const img = h("img", {
    class: small ? "vcard-photo small" : "vcard-photo",
    alt,
    width: small ? 48 : 96,
    height: small ? 60 : 120,
  });
  showPhoto(img, personId);
  return img;
}

/** The API's messages of a refusal, or the app's own for the kind of failure. */
function message(error) {
  return error instanceof api.ApiError ? error.text : _("Something went wrong. Please try again.");
}

/** A refusal's errors with the API's field names turned into the form's. */
function formErrors(error, rename = {}) {
  const errors = error instanceof api.ApiError && Object.keys(error.errors || {}).length ? error.errors : { "": [message(error)] };
  const out = {};
  for (const [key, value] of Object.entries(errors)) out[rename[key] || key] = value;
  return out;
}

function stateLabel(state) {
  return (
    {
      waiting: _("Waiting for the delegate"),
      expired: _("Not taken up in time"),
      declined: _("Declined"),
      cancelled: _("Cancelled"),
      active: _("In force"),
      scheduled: _("Starts later"),
      ended: _("Ended"),
    }[state] || state
  );
}

function requestStateLabel(state) {
  return (
    {
      waiting: _("Waiting for your answer"),
      expired: _("Not answered in time"),
      declined: _("Declined"),
      ended: _("Ended"),
      accepted: _("In force"),
    }[state] || state
  );
}

function kindLabel(kind) {
  return kind === "household" ? _("A member of my NHI household") : _("A specific person");
}

function section(id, title, ...children) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

// ------------------------------------------------------------------------------------------- delegation codes

/**
 * A delegation code as typed → {code} or {error}. Full-width characters (a Chinese keyboard) become half-width,
 * spaces and dashes go and lower case becomes upper case (codes are one case); a character codes never use is
 * named, so a misread 0 or 1 is found before the server counts a wrong try.
 */
export function readDelegationCode(raw) {
  const code = String(raw || "")
    .normalize("NFKC")
    .replace(/[\s\-–—_.‧・·]/g, "")
    .toUpperCase();
  if (!code) return { error: _("Enter the delegation code.") };
  const alphabet = config.delegationCodeAlphabet;
  const strange = [...new Set([...code].filter((c) => !alphabet.includes(c)))];
  if (strange.length) {
    return {
      error:
        format(_("A delegation code never contains %(chars)s."), { chars: strange.map((c) => `“${c}”`).join(" ") }) +
        " " +
        _("Codes use the letters A to Z without I and O, and the digits 2 to 9 (no 0 or 1)."),
    };
  }
  if (code.length !== rules.codeLength) {
    return { error: format(_("A delegation code has %(n)s characters; this one has %(m)s."), { n: rules.codeLength, m: code.length }) };
  }
  return { code };
}

/**
 * What a delegation QR code says: the obtain link the API (and the web) puts in it,
 * ``<this site>/[<language>/]vcard/obtain/?code=<code>``. Anything else (another site's link, a card QR, a
 * bare text) is not taken: null.
 */
export function readDelegationQr(text) {
  let url;
  try {
    url = new URL(String(text || "").trim());
  } catch {
    return null;
  }
  if (url.origin !== location.origin) return null;
  if (!/^\/(?:[a-z]{2}(?:-[a-z]+)?\/)?vcard\/obtain\/$/.test(url.pathname)) return null;
  const read = readDelegationCode(url.searchParams.get("code") || "");
  return read.error ? null : read.code;
}

function grouped(code) {
  const parts = [];
  for (let i = 0; i < code.length; i += CODE_GROUP) parts.push(code.slice(i, i + CODE_GROUP));
  return parts.join("-");
}

async function obtain(code) {
  const done = await api.post("vcard/delegations/obtain", { code });
  flash.set(format(_("You can now show the card of %(name)s."), { name: done.holder }));
  go("/vcard");
}

/** A refusal of a code: the server's words, and what to do next. */
function obtainRefusal(error) {
  const lines = [message(error)];
  if (error instanceof api.ApiError) {
    if (error.status === 403) lines.push(_("Log in with the national ID of the person the code was made for."));
    else if (error.status === 409) lines.push(_("If you took it up already, the card is under “Cards I can use”."));
    else if (error.status === 410) lines.push(_("Ask the card holder for a new authorisation."));
    else if (error.kind === "throttled") lines.push(_("Wrong codes are limited to protect the card holders."));
  }
  return lines.join(" ");
}

// ------------------------------------------------------------------------------------------- my card

function requestItem(view, item) {
  const timer = h("p", { class: "countdown" });
  const live = h("p", { class: "visually-hidden", role: "status" });
  const result = h("div", {});
  const institution = item.institution;
  const hidden = () => h("span", { class: "visually-hidden" }, " " + institution);
  const accept = h("button", { type: "button", class: "primary" }, _("Accept"), hidden());
  const decline = h("button", { type: "button" }, _("Decline"), hidden());
  const answer = async (button, value) => {
    busy(button, true);
    clear(result);
    try {
      const made = await api.post(`vcard/requests/${encodeURIComponent(item.id)}/answer`, { answer: value });
      flash.set(
        value === "accept"
          ? format(_("%(institution)s may use your card until %(until)s."), { institution, until: clock(made.usable_until) })
          : format(_("You declined the request of %(institution)s."), { institution })
      );
      go("/vcard");
    } catch (error) {
      if (error instanceof api.ApiError && error.kind === "unauthorised") return;
      busy(button, false);
      if (error instanceof api.ApiError && (error.status === 410 || error.status === 409)) {
        accept.disabled = decline.disabled = true;
        stop();
        timer.textContent = "";
      }
      result.append(notice("error", h("p", {}, message(error))));
    }
  };
  accept.addEventListener("click", () => answer(accept, "accept"));
  decline.addEventListener("click", () => answer(decline, "decline"));
  const seconds = Math.max(0, Math.round((Date.parse(item.answer_by) - Date.now()) / 1000));
  const li = h(
    "li",
    { class: "vcard-item" },
    h("p", {}, h("strong", {}, institution), " · ", item.purpose_label),
    h("p", { class: "hint" }, format(_("Answer by %(until)s. If you accept, the institution may use your card for one hour."), { until: dateTime(item.answer_by) })),
    timer,
    live,
    h("div", { class: "actions" }, accept, decline),
    result
  );
  const stop = countdown({
    seconds,
    timer,
    live,
    alive: view.alive,
    label: (left) => format(_("Time left to answer: %(time)s"), { time: left }),
    spoken: (left) => format(_("%(institution)s: %(time)s left to answer"), { institution, time: left }),
    onEnd: () => {
      accept.disabled = decline.disabled = true;
      clear(result).append(notice("error", h("p", {}, _("The time to answer has passed; ask the institution to send a new request."))));
    },
  });
  return li;
}

function householdAskItem(item) {
  const result = h("div", {});
  const act = async (button, action) => {
    busy(button, true);
    clear(result);
    try {
      await api.post(`vcard/delegations/${encodeURIComponent(item.id)}/${action}`);
      flash.set(
        action === "agree"
          ? format(_("You can now show the card of %(name)s."), { name: item.holder })
          : format(_("You declined to use the card of %(name)s."), { name: item.holder })
      );
      go("/vcard");
    } catch (error) {
      if (error instanceof api.ApiError && error.kind === "unauthorised") return;
      busy(button, false);
      result.append(notice("error", h("p", {}, message(error))));
    }
  };
  const agree = h("button", { type: "button", class: "primary" }, _("Agree"));
  const decline = h("button", { type: "button" }, _("Decline"));
  agree.addEventListener("click", () => act(agree, "agree"));
  decline.addEventListener("click", () => act(decline, "decline"));
  return h(
    "li",
    { class: "vcard-item" },
    h("p", {}, formatNodes(_("%(name)s of your NHI household lends you their virtual card."), { name: name(item.holder) })),
    h(
      "p",
      { class: "hint" },
      format(_("From %(start)s to %(end)s (the last day). Agree by %(until)s."), {
        start: date(item.starts_at),
        end: lastDay(item.ends_at),
        until: dateTime(item.answer_by),
      })
    ),
    h("div", { class: "actions" }, agree, decline),
    result
  );
}

function cardSection(card) {
  const line = (label, value, lang) => h("div", {}, h("dt", {}, label), h("dd", lang ? { lang } : {}, value));
  return h(
    "section",
    { class: "vcard-card", "aria-labelledby": "vcard-card-title" },
    h("h2", { id: "vcard-card-title", class: "vcard-card-title" }, _("National Health Insurance"), " · ", _("Virtual NHI card")),
    h(
      "div",
      { class: "vcard-card-body" },
      photo(card.person_id, { alt: _("Photo on the card") }),
      h(
        "dl",
        { class: "vcard-fields" },
        line(pgettext("person", "Name"), card.name, ZH),
        line(_("National ID"), card.national_id),
        card.card_number ? line(_("NHI card number"), card.card_number) : null,
        card.since ? line(_("Approved on"), date(card.since)) : null
      )
    )
  );
}

function applicationSection(application) {
  const body = [
    h("p", {}, _("Status:"), " ", h("strong", {}, application.status_label)),
    h("p", {}, format(_("Submitted on %(when)s."), { when: dateTime(application.submitted_at) })),
  ];
  if (application.status === "submitted") {
    body.push(h("p", {}, _("The NHI checks your photos and your ID document. You will get an e-mail when it is reviewed.")));
  } else if (application.status === "rejected") {
    body.push(h("p", {}, _("Reason:"), " ", application.rejection_reason), link("/vcard/apply", _("Apply again")));
  } else {
    body.push(h("p", {}, _("Your virtual card was stopped. You can apply for a new one.")), link("/vcard/apply", _("Apply again")));
  }
  const section_ = section("vcard-status-title", _("Your application"), ...body);
  section_.classList.add("vcard-status");
  for (const a of section_.querySelectorAll("a")) a.className = "button primary";
  return section_;
}

async function home(view) {
  view.title(_("Virtual NHI card"));
  const [mine, household] = await Promise.all([api.get("vcard"), api.get("vcard/household")]);
  if (!view.alive()) return;
  const minutes = rules.qrMinutes;
  const parts = [flash.take()];
  if (mine.requests.length) {
    parts.push(section("requests-title", _("Institutions asking to use your card"), h("ul", { class: "vcard-list" }, mine.requests.map((r) => requestItem(view, r)))));
  }
  if (mine.household_asks.length) {
    parts.push(section("household-title", _("Household members lending you their card"), h("ul", { class: "vcard-list" }, mine.household_asks.map(householdAskItem))));
  }
  if (mine.card) {
    parts.push(
      cardSection(mine.card),
      h("a", { class: "button primary", href: "#/vcard/qr" }, _("Show QR code")),
      h("p", { class: "hint" }, format(_("Show the code to the staff at the clinic, hospital or pharmacy to scan. Each code is valid for %(minutes)s minutes and for one scan only."), { minutes }))
    );
  } else if (mine.application) {
    parts.push(applicationSection(mine.application));
  } else {
    parts.push(
      section(
        "vcard-intro-title",
        _("Your NHI card on your phone"),
        h("p", {}, format(_("With the virtual NHI card you see a doctor without the plastic card: the phone shows a one-time QR code, valid for %(minutes)s minutes, that the clinic scans. You can also lend your card to a family member or carer, and accept the requests of institutions for telemedicine or home care."), { minutes })),
        h("p", {}, _("To apply you need a photo of your ID document, a clear front half-body photo, your mobile number and your e-mail address. The NHI reviews the application and tells you by e-mail.")),
        h("a", { class: "button primary", href: "#/vcard/apply" }, _("Apply"))
      )
    );
  }
  if (mine.usable.length) parts.push(section("usable-title", _("Cards I can use"), usableList(mine.usable)));
  parts.push(
    h(
      "nav",
      { "aria-label": _("Virtual card") },
      h(
        "ul",
        { class: "menu" },
        h("li", {}, link("/vcard/manage", _("Authorisations"))),
        h("li", {}, link("/vcard/obtain", _("Obtain authorisation (enter a code)"))),
        h("li", {}, link("/vcard/history", _("Use history"))),
        mine.card && household.members.length ? h("li", {}, link("/vcard/apply", _("Apply for a member of my NHI household"))) : null
      )
    )
  );
  view.main.append(...parts.filter(Boolean));
}

/** A button that posts ``path`` (after ``ask`` is confirmed), says ``done`` on ``back`` or the refusal in ``result``. */
function actionButton({ text, hiddenName = "", path, ask, done, back, result }) {
  const button = h("button", { type: "button", class: "secondary" }, text, hiddenName ? h("span", { class: "visually-hidden", lang: ZH }, " " + hiddenName) : "");
  button.addEventListener("click", async () => {
    if (ask && !window.confirm(ask)) return;
    busy(button, true);
    try {
      await api.post(path);
      flash.set(done);
      go(back);
    } catch (error) {
      if (error instanceof api.ApiError && error.kind === "unauthorised") return;
      busy(button, false);
      clear(result).append(notice("error", h("p", {}, message(error))));
    }
  });
  return button;
}

function usableList(usable, back = "/vcard") {
  return h(
    "ul",
    { class: "vcard-list" },
    usable.map((g) => {
      const result = h("div", { class: "vcard-usable-result" });
      return h(
        "li",
        { class: "vcard-item vcard-usable" },
        photo(g.person_id, { small: true }),
        h("div", {},
          h("p", {}, h("strong", { lang: ZH }, g.name), " · ", g.why_label),
          h("p", { class: "hint" }, g.until ? format(_("Through %(day)s"), { day: lastDay(g.until) }) : _("No end date"))
        ),
        h(
          "a",
          { class: "button primary", href: `#/vcard/qr/${encodeURIComponent(g.person_id)}` },
          _("Show their QR code"),
          h("span", { class: "visually-hidden", lang: ZH }, " " + g.name)
        ),
        g.delegation_id
          ? actionButton({
              text: _("Give back"),
              hiddenName: g.name,
              path: `vcard/delegations/${encodeURIComponent(g.delegation_id)}/end`,
              ask: format(_("Give back the card of %(name)s? You can no longer show it."), { name: g.name }),
              done: format(_("You gave back the card of %(name)s."), { name: g.name }),
              back,
              result,
            })
          : "",
        result
      );
    })
  );
}

// ------------------------------------------------------------------------------------------- the one-time QR

async function keepScreenOn() {
  try {
    if (!("wakeLock" in navigator)) return;
    const lock = await navigator.wakeLock.request("screen");
    onLeave(() => lock.release().catch(() => {}));
  } catch {
    // not allowed (battery saver, no user gesture): the screen may dim, nothing else changes
  }
}

function qrScreen(view, params) {
  const personId = params.pid || "";
  view.title(personId ? _("Their QR code") : _("Show QR code"));
  view.back("/vcard");
  const panel = h("section", { class: "qr-panel", "aria-labelledby": "qr-title", tabindex: "-1" });
  view.main.append(panel);
  keepScreenOn();
  let stop = () => {};
  const draw = async (button) => {
    stop();
    if (button) busy(button, true);
    let issued;
    try {
      issued = await api.post("vcard/qr", personId ? { person_id: personId } : {});
    } catch (error) {
      if (!view.alive() || (error instanceof api.ApiError && error.kind === "unauthorised")) return;
      const final = error instanceof api.ApiError && (error.status === 404 || error.status === 409); // no card to show
      clear(panel).append(
        h("h2", { id: "qr-title" }, _("QR code")),
        notice("error", h("p", {}, error instanceof api.ApiError && error.status === 404 ? _("This card cannot be shown by you (any more).") : message(error))),
        final ? h("p", {}, link("/vcard", _("Back to the virtual card"))) : newButton(_("Try again"))
      );
      return;
    }
    if (!view.alive()) return;
    const image = h("img", {
      class: "qr-image",
      src: issued.qr_png,
      alt: format(_("One-time QR code of the virtual NHI card of %(name)s"), { name: issued.holder }),
    });
    const timer = h("p", { class: "qr-timer" });
    const live = h("p", { class: "visually-hidden", role: "status" });
    const expired = h("div", { class: "qr-expired-note" });
    clear(panel).append(
      h("h2", { id: "qr-title", class: "qr-title" }, formatNodes(_("Virtual NHI card of %(name)s"), { name: name(issued.holder) })),
      personId ? h("p", { class: "qr-lent" }, _("Shown by you for the card holder (your authorisation is recorded).")) : "",
      h("div", { class: "qr-code" }, image),
      timer,
      live,
      expired,
      newButton(_("New code")),
      h("p", { class: "hint" }, format(_("Valid for %(minutes)s minutes and for one scan only. A screenshot or photo of it cannot be used again, and a new code voids this one."), { minutes: Math.round(issued.valid_seconds / 60) })),
      h("p", { class: "hint" }, _("Turn the screen brightness up and hold the phone still in front of the scanner."))
    );
    live.textContent = format(_("QR code shown, valid for %(minutes)s minutes."), { minutes: Math.round(issued.valid_seconds / 60) });
    stop = countdown({
      seconds: issued.valid_seconds,
      timer,
      live,
      alive: view.alive,
      label: (left) => format(_("Valid for %(time)s more"), { time: left }),
      spoken: (left) => format(_("The QR code is valid for %(time)s more."), { time: left }),
      onEnd: () => {
        panel.classList.add("qr-expired");
        image.remove();
        clear(expired).append(notice("error", h("p", {}, _("This code has expired. Press “New code” for another."))));
        live.textContent = _("This code has expired. Press “New code” for another.");
      },
    });
  };
  const newButton = (text) => {
    const button = h("button", { type: "button", class: "primary qr-new" }, text);
    button.addEventListener("click", () => draw(button));
    return button;
  };
  return draw();
}

// ------------------------------------------------------------------------------------------- applying

const DOCUMENTS = () => [
  ["national_id_card", _("National ID card")],
  ["residence_permit", _("Residence permit")],
  ["passport", _("Passport")],
  ["nhi_card", _("NHI card (front)")],
];

function errorSlot(id) {
  return h("p", { class: "field-error", id: `f-${id}-error`, hidden: true });
}

/** A photo chosen from the camera or the gallery, with its preview (a blob: URL; nothing is sent yet). */
function photoField({ name: fieldName, label, hint, capture }) {
  const id = "f-" + fieldName;
  const preview = h("img", { class: "photo-preview", alt: format(_("Preview: %(what)s"), { what: label }), hidden: true });
  let shown = null;
  onLeave(() => shown && URL.revokeObjectURL(shown));
  const input = h("input", {
    id,
    name: fieldName,
    type: "file",
    accept: "image/*",
    capture,
    "aria-describedby": `${id}-hint ${id}-error`,
    onchange: () => {
      if (shown) URL.revokeObjectURL(shown);
      shown = null;
      const file = input.files && input.files[0];
      if (file) {
        shown = URL.createObjectURL(file);
        preview.src = shown;
        preview.hidden = false;
      } else {
        preview.removeAttribute("src");
        preview.hidden = true;
      }
    },
  });
  return h("div", { class: "field" }, h("label", { for: id }, label), h("p", { class: "hint", id: `${id}-hint` }, hint), input, errorSlot(fieldName), preview);
}

async function applyScreen(view) {
  view.title(_("Apply for the virtual NHI card"));
  view.back("/vcard");
  const [mine, household] = await Promise.all([api.get("vcard"), api.get("vcard/household")]);
  if (!view.alive()) return;
  const members = household.members;
  if (mine.card && !members.length) {
    view.main.append(notice("info", h("p", {}, _("You already have a virtual NHI card."))), h("p", {}, link("/vcard", _("Back to the virtual card"))));
    return;
  }
  const submit = h("button", { type: "submit", class: "primary" }, _("Send the application"));
  const choices = [["", _("Myself")], ...members.map((m) => [m.person_id, format(_("%(name)s (a member of my NHI household)"), { name: m.name })])];
  const chosenDefault = mine.card && members.length ? members[0].person_id : "";
  const form = h(
    "form",
    { novalidate: true, class: "vcard-apply" },
    h("div", { class: "form-errors", tabindex: "-1" }),
    h(
      "fieldset",
      { class: "step" },
      h("legend", {}, _("1. Privacy terms and service policy")),
      h(
        "ul",
        { class: "terms" },
        h("li", {}, _("Your ID document photo and half-body photo are used only to check who you are and to make the card; nobody else sees them, and a rejected application's photos are deleted.")),
        h("li", {}, _("The card is personal. Its QR code is for one visit: it is valid for five minutes and for one scan, so a photo or screenshot of it cannot be reused.")),
        h("li", {}, _("Lend the card only through “Add a delegate”: you choose who and for how long, you can end it at any time, and you get an e-mail each time a delegate uses it.")),
        h("li", {}, _("Every use of the card is recorded and you can see it under Authorisations. False data or lending the card otherwise stops the service."))
      ),
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "terms", id: "f-terms", "aria-describedby": "f-terms-error" }),
        h("span", {}, _("I agree to the privacy terms and the service policy"))
      ),
      errorSlot("terms")
    ),
    h(
      "fieldset",
      { class: "step" },
      h("legend", {}, _("2. For whom")),
      members.length ? h("p", { class: "hint" }, _("A member of your NHI household without a phone (a child, an elder) can have a card you apply for; you can then show it for them.")) : null,
      h(
        "div",
        { class: "field" },
        h("label", { for: "f-person" }, _("The card is for")),
        h("select", { id: "f-person", name: "person", "aria-describedby": "f-person-error" }, choices.map(([value, label]) => h("option", { value, selected: value === chosenDefault }, label))),
        errorSlot("person")
      )
    ),
    h(
      "fieldset",
      { class: "step" },
      h("legend", {}, _("3. ID document")),
      h(
        "div",
        { class: "field" },
        h("label", { for: "f-document" }, _("Which document the photo shows")),
        h("select", { id: "f-document", name: "document", "aria-describedby": "f-document-error" }, h("option", { value: "" }, _("Choose…")), DOCUMENTS().map(([value, label]) => h("option", { value }, label))),
        errorSlot("document")
      ),
      photoField({ name: "document_photo", label: _("Photo of the document (front)"), hint: format(_("JPEG or PNG, at most %(mb)s MB; all four corners visible and readable."), { mb: rules.photoMaxMb }) + " " + _("Take it with the camera or choose it from the gallery."), capture: "environment" })
    ),
    h(
      "fieldset",
      { class: "step" },
      h("legend", {}, _("4. Half-body photo")),
      photoField({ name: "portrait", label: _("A clear front half-body photo"), hint: format(_("Face the camera against a plain background, without a hat or sunglasses. Under %(age)s: the front of the ID or NHI card is enough, and this photo may be left out."), { age: rules.youngAge }), capture: "user" })
    ),
    h(
      "fieldset",
      { class: "step" },
      h("legend", {}, _("5. Contact details")),
      field({ name: "phone", label: _("Mobile number"), type: "tel", hint: _("09 and 8 more digits."), attrs: { inputmode: "numeric", autocomplete: "tel-national", maxlength: 12 } }),
      field({ name: "email", label: _("E-mail"), type: "email", hint: _("The result of the review is sent here."), attrs: { autocomplete: "email", maxlength: 254 } })
    ),
    submit
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData();
    data.append("terms_accepted", form.elements.terms.checked ? "true" : "false");
    data.append("person_id", form.elements.person.value);
    data.append("document", form.elements.document.value);
    for (const fieldName of ["document_photo", "portrait"]) {
      const file = form.elements[fieldName].files[0];
      if (file) data.append(fieldName, file, file.name || fieldName + ".jpg");
    }
    data.append("phone", String(form.elements.phone.value || "").normalize("NFKC").replace(/[\s-]/g, ""));
    data.append("email", String(form.elements.email.value || "").trim());
    busy(submit, true);
    try {
      await api.call("POST", "vcard/applications", { form: data });
      flash.set(_("Submitted; you will get an e-mail when it is reviewed."));
      go("/vcard");
    } catch (error) {
      if (error instanceof api.ApiError && error.kind === "unauthorised") return;
      showErrors(form, formErrors(error, { terms_accepted: "terms", person_id: "person", body: "" }));
    } finally {
      busy(submit, false);
    }
  });
  view.main.append(
    mine.card && members.length ? notice("info", h("p", {}, _("You already have a virtual NHI card. Here you can apply for a member of your NHI household."))) : "",
    form
  );
}

// ------------------------------------------------------------------------------------------- authorisations

function delegationItem(d) {
  const result = h("div", {});
  const who = d.delegate ? [name(d.delegate), d.label ? ` (${d.label})` : ""] : d.label || _("A specific person");
  const endable = ["waiting", "scheduled", "active"].includes(d.state);
  const button = endable
    ? actionButton({
        text: d.state === "waiting" ? _("Cancel") : _("End now"),
        path: `vcard/delegations/${encodeURIComponent(d.id)}/end`,
        ask: _("End this authorisation now? The delegate can no longer show your card."),
        done: _("The delegation has ended; the delegate can no longer show your card."),
        back: "/vcard/manage",
        result,
      })
    : "";
  let waiting = "";
  if (d.state === "waiting") {
    waiting = d.kind === "named"
      ? format(_("waiting for the code to be entered until %(until)s"), { until: dateTime(d.answer_by) })
      : format(_("waiting for them to agree until %(until)s"), { until: dateTime(d.answer_by) });
  }
  return h(
    "li",
    { class: `vcard-item vcard-state-${d.state}` },
    h("p", {}, h("strong", {}, who), " · ", kindLabel(d.kind)),
    h("p", {}, h("span", { class: "vcard-state" }, stateLabel(d.state)), waiting ? ` — ${waiting}` : ""),
    h("p", { class: "hint" }, format(_("From %(start)s to %(end)s (the last day)"), { start: date(d.starts_at), end: lastDay(d.ends_at) })),
    button,
    result
  );
}

/** "End now" for an institution's hour still running (or a request still waiting, which is then declined). */
function institutionEnd(r) {
  if (!["waiting", "accepted"].includes(r.status)) return ""; // accepted: its hour is running
  const result = h("div", {});
  return [
    actionButton({
      text: _("End now"),
      hiddenName: r.institution,
      path: `vcard/requests/${encodeURIComponent(r.id)}/end`,
      ask: format(_("End the authorisation of %(institution)s now?"), { institution: r.institution }),
      done: format(_("The authorisation of %(institution)s has ended."), { institution: r.institution }),
      back: "/vcard/manage",
      result,
    }),
    result,
  ];
}

async function manageScreen(view) {
  view.title(_("Authorisations"));
  view.back("/vcard");
  const [mine, given] = await Promise.all([api.get("vcard"), api.get("vcard/delegations")]);
  if (!view.alive()) return;
  view.main.append(
    flash.take() || "",
    h(
      "div",
      { class: "actions" },
      mine.card ? h("a", { class: "button primary", href: "#/vcard/delegate" }, _("Add a delegate")) : null,
      h("a", { class: "button", href: "#/vcard/obtain" }, _("Obtain authorisation"))
    ),
    section(
      "mine-title",
      _("I authorised"),
      given.delegations.length ? h("ul", { class: "vcard-list" }, given.delegations.map(delegationItem)) : h("p", {}, _("You have not lent your card to anyone."))
    ),
    section(
      "institutions-title",
      _("Institutions I authorised"),
      given.institutions.length
        ? h(
            "ul",
            { class: "vcard-list" },
            given.institutions.map((r) =>
              h(
                "li",
                { class: "vcard-item" },
                h("p", {}, h("strong", {}, r.institution)),
                h("p", {}, h("span", { class: "vcard-state" }, requestStateLabel(r.status)), r.usable_until && r.status === "accepted" ? " · " + format(_("usable until %(until)s"), { until: dateTime(r.usable_until) }) : ""),
                h("p", { class: "hint" }, format(_("Asked on %(when)s"), { when: dateTime(r.requested_at) })),
                institutionEnd(r)
              )
            )
          )
        : h("p", {}, _("No institution has asked to use your card."))
    ),
    section("usable-title", _("I can use"), mine.usable.length ? usableList(mine.usable, "/vcard/manage") : h("p", {}, _("Nobody has lent you their card."))),
    h("p", {}, link("/vcard/history", _("Use history")))
  );
}

async function delegateScreen(view) {
  view.title(_("Add a delegate"));
  view.back("/vcard/manage");
  const [mine, household] = await Promise.all([api.get("vcard"), api.get("vcard/household")]);
  if (!view.alive()) return;
  const members = household.members;
  if (!mine.card) {
    view.main.append(notice("info", h("p", {}, _("Apply for your virtual NHI card first; you can lend it once it is approved."))), link("/vcard", _("Back to the virtual card")));
    return;
  }
  const first = today();
  const kindRadio = (value, label, disabled) =>
    h("label", { class: "radio" }, h("input", { type: "radio", name: "kind", value, checked: value === "named", disabled }), h("span", {}, label));
  const named = h(
    "fieldset",
    { class: "step", dataset: { kind: "named" } },
    h("legend", {}, _("2. The specific person")),
    field({ name: "delegate_national_id", label: _("Their national ID"), hint: _("Only this person can take up the code."), attrs: { maxlength: 10, autocomplete: "off", autocapitalize: "characters", spellcheck: "false" } }),
    field({ name: "label", label: _("Who they are to you (optional)"), hint: _("e.g. mother"), attrs: { maxlength: 20 } })
  );
  const householdPart = h(
    "fieldset",
    { class: "step", dataset: { kind: "household" }, hidden: true },
    h("legend", {}, _("2. The member of my NHI household")),
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-member" }, _("Member")),
      h("select", { id: "f-member", name: "member", "aria-describedby": "f-member-error" }, h("option", { value: "" }, _("Choose…")), members.map((m) => h("option", { value: m.person_id }, m.name))),
      errorSlot("member")
    )
  );
  const submit = h("button", { type: "submit", class: "primary" }, _("Authorise"));
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "form-errors", tabindex: "-1" }),
    h(
      "fieldset",
      { class: "step choice-group" },
      h("legend", {}, _("1. Whom do you authorise?")),
      kindRadio("named", _("A specific person"), false),
      kindRadio("household", _("A member of my NHI household"), !members.length),
      members.length ? null : h("p", { class: "hint" }, _("(nobody else is in your NHI household)"))
    ),
    named,
    householdPart,
    h(
      "fieldset",
      { class: "step" },
      h("legend", {}, _("3. Period")),
      field({ name: "starts_on", label: _("First day"), type: "date", value: first, attrs: { min: first } }),
      field({ name: "ends_on", label: _("Last day"), type: "date", hint: format(_("Outside your NHI household: at most %(days)s days (one month)."), { days: rules.outsideDays }), attrs: { min: first } })
    ),
    h("p", { class: "field-error", id: "f-card-error", hidden: true }),
    submit
  );
  for (const radio of form.querySelectorAll("input[name=kind]")) {
    radio.addEventListener("change", () => {
      const kind = form.querySelector("input[name=kind]:checked").value;
      named.hidden = kind !== "named";
      householdPart.hidden = kind !== "household";
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = form.querySelector("input[name=kind]:checked").value;
    const body = { kind, starts_on: form.elements.starts_on.value, ends_on: form.elements.ends_on.value };
    if (kind === "named") {
      body.delegate_national_id = String(form.elements.delegate_national_id.value || "").normalize("NFKC").trim().toUpperCase();
      body.label = form.elements.label.value.trim();
    } else {
      body.member_id = form.elements.member.value;
      if (!body.member_id) {
        showErrors(form, { member: [_("Choose a member of your NHI household.")] });
        return;
      }
    }
    busy(submit, true);
    try {
      const made = await api.post("vcard/delegations", body);
      if (!view.alive()) return;
      clear(view.main).append(...madeDelegation(made));
      view.main.querySelector("h2")?.focus();
    } catch (error) {
      if (error instanceof api.ApiError && error.kind === "unauthorised") return;
      showErrors(form, formErrors(error, { member_id: "member", card: "" }));
    } finally {
      busy(submit, false);
    }
  });
  view.main.append(
    h(
      "ul",
      { class: "rules" },
      h("li", {}, format(_("Someone outside your NHI household can be authorised for at most %(days)s days (one month). You get a code and a QR code; they enter or scan it under “Obtain authorisation” within %(hours)s hours, logged in as themselves."), { days: rules.outsideDays, hours: rules.codeHours })),
      h("li", {}, format(_("A member of your NHI household must press “Agree” within %(minutes)s minutes (at most %(days)s days)."), { minutes: rules.agreeMinutes, days: rules.householdDays })),
      h("li", {}, _("You get an e-mail each time a delegate uses your card, and you can end an authorisation at any time."))
    ),
    form
  );
}

/** What a new delegation shows once: the code and its QR (named), or the wait for the member (household). */
function madeDelegation(made) {
  const back = h("p", {}, link("/vcard/manage", _("Back to Authorisations")));
  if (made.kind !== "named" || !made.code) {
    return [
      notice("ok", h("p", {}, formatNodes(_("Waiting for %(name)s to agree until %(until)s."), { name: name(made.delegate), until: clock(made.answer_by) }))),
      back,
    ];
  }
  return [
    notice("ok", h("p", {}, _("The authorisation is made. It starts when the delegate takes up the code."))),
    h(
      "section",
      { class: "delegation-code", "aria-labelledby": "code-title" },
      h("h2", { id: "code-title", tabindex: "-1" }, _("The delegation code")),
      h("p", {}, _("Let the delegate scan this QR code with their phone, or give them the code to enter under “Obtain authorisation”, logged in as themselves.")),
      h("div", { class: "qr-code" }, h("img", { class: "qr-image", src: made.qr_png, alt: _("QR code of the delegation code") })),
      h("p", { class: "code-text" }, h("code", { "aria-label": [...made.code].join(" ") }, grouped(made.code))),
      h("p", {}, format(_("Valid until %(until)s, for this person only."), { until: dateTime(made.answer_by) })),
      notice("info", h("p", {}, _("The code is shown only once. If it is lost, cancel this authorisation and add a new one.")))
    ),
    back,
  ];
}

// ------------------------------------------------------------------------------------------- obtaining

function obtainScreen(view, _params, query) {
  view.title(_("Obtain authorisation"));
  view.back("/vcard");
  const submit = h("button", { type: "submit", class: "primary" }, _("Obtain authorisation"));
  const prefill = readDelegationCode(query.get("code") || "");
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "form-errors", tabindex: "-1" }),
    field({
      name: "code",
      label: _("Delegation code"),
      hint: _("10 letters and digits, e.g. ABCDE-FGHJK (the dash and spaces may be left out)."),
      value: prefill.code ? grouped(prefill.code) : "",
      attrs: { maxlength: 40, autocomplete: "one-time-code", autocapitalize: "characters", autocorrect: "off", spellcheck: "false", class: "code-input" },
    }),
    submit
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const read = readDelegationCode(form.elements.code.value);
    if (read.error) {
      showErrors(form, { code: [read.error] });
      return;
    }
    busy(submit, true);
    try {
      await obtain(read.code);
    } catch (error) {
      if (error instanceof api.ApiError && error.kind === "unauthorised") return;
      showErrors(form, { code: [obtainRefusal(error)] });
    } finally {
      busy(submit, false);
    }
  });
  view.main.append(
    flash.take() || "",
    h("p", {}, _("Someone lent you their virtual NHI card: enter the code they gave you, or scan the QR code on their phone with your phone's camera. Afterwards their card is under “Cards I can use”.")),
    form,
    h("p", {}, link("/vcard/obtain/scan", _("Scan the QR code instead")))
  );
}

function obtainScanScreen(view) {
  view.title(_("Scan the delegation QR code"));
  view.back("/vcard/obtain");
  const video = h("video", { class: "camera", "aria-label": _("Camera view"), playsinline: true, muted: true });
  const status = h("p", { role: "status", class: "scan-status" }, _("Starting the camera…"));
  const errors = h("div", { class: "form-errors", tabindex: "-1" });
  view.main.append(
    h("p", {}, _("Point the camera at the QR code on the card holder's phone (under “Add a delegate”).")),
    h("div", { class: "camera-frame" }, video),
    status,
    errors,
    h("p", {}, link("/vcard/obtain", _("Type the delegation code instead")))
  );
  let lastRefused = "";
  const scanning = startScanning(video, (text) => {
    if (readDelegationQr(text)) return true;
    if (text !== lastRefused && view.alive()) {
      lastRefused = text;
      status.textContent = _("This QR code is not a HealthBank delegation code. Scan the one shown under “Add a delegate”.");
    }
    return false;
  });
  onLeave(() => scanning.stop());
  scanning.started.then(
    () => {
      if (view.alive() && !lastRefused) status.textContent = _("Looking for the code…");
    },
    (error) => {
      if (!view.alive()) return;
      const refused = error instanceof CameraError && error.kind === "refused";
      flash.set(
        refused
          ? _("The camera may not be used, so the QR code cannot be scanned. Type the delegation code instead (or allow the camera in the phone's settings).")
          : _("This phone's camera cannot be used. Type the delegation code instead."),
        "error"
      );
      go("/vcard/obtain");
    }
  );
  scanning.result.then(async (text) => {
    if (!text || !view.alive()) return;
    status.textContent = _("Code found. Checking…");
    try {
      await obtain(readDelegationQr(text));
    } catch (error) {
      if (!view.alive() || (error instanceof api.ApiError && error.kind === "unauthorised")) return;
      status.textContent = "";
      errors.append(notice("error", h("p", {}, obtainRefusal(error))));
      errors.focus();
    }
  });
}

// ------------------------------------------------------------------------------------------- history

async function historyScreen(view) {
  view.title(_("Use history"));
  view.back("/vcard");
  const history = await api.get("vcard/history");
  if (!view.alive()) return;
  view.main.append(
    section(
      "history-title",
      _("Use history of my card"),
      history.scans.length
        ? table(
            [
              { label: _("When"), cell: (s) => dateTime(s.scanned_at) },
              { label: _("Institution"), cell: (s) => s.institution },
              { label: _("Shown by"), cell: (s) => (s.shown_by ? name(s.shown_by) : pgettext("shown by", "You")) },
            ],
            history.scans
          )
        : h("p", {}, _("Your card has not been used yet."))
    ),
    section(
      "by-me-title",
      _("Cards I showed for others"),
      history.shown_by_me.length
        ? table(
            [
              { label: _("When"), cell: (s) => dateTime(s.scanned_at) },
              { label: _("Institution"), cell: (s) => s.institution },
              { label: _("Whose card"), cell: (s) => name(s.holder) },
            ],
            history.shown_by_me
          )
        : h("p", {}, _("You have not shown anyone else's card."))
    )
  );
}

register("/vcard", home);
register("/vcard/qr", qrScreen);
register("/vcard/qr/:pid", qrScreen);
register("/vcard/apply", applyScreen);
register("/vcard/manage", manageScreen);
register("/vcard/delegate", delegateScreen);
register("/vcard/obtain", obtainScreen);
register("/vcard/obtain/scan", obtainScanScreen);
register("/vcard/history", historyScreen);
