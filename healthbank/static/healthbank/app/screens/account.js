/*
 * Login on a verified phone (SPEC §4), the settings: language, this person's devices (enable / disable, one
 * enabled at a time), who looked at my data, and the two ways out (log out; log out and remove this phone's
 * verification).
 */
import * as api from "../api.js";
import { _, chooseLanguage, dateTime, format, go, keep, language, phoneLanguage, register } from "../core.js";
import { after, lock, logOut } from "../main.js";
import { busy, clear, field, flash, h, link, notice, showErrors, table } from "../ui.js";

function loginScreen(view) {
  if (!keep.device()) {
    go("/welcome");
    return;
  }
  view.title(_("Log in"));
  const submit = h("button", { type: "submit", class: "primary" }, _("Log in"));
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "form-errors", tabindex: "-1" }),
    field({ name: "national_id", label: _("National ID number"), attrs: { autocomplete: "username", autocapitalize: "characters", maxlength: 10, required: true } }),
    field({ name: "password", label: _("Registration password"), type: "password", attrs: { autocomplete: "current-password", required: true } }),
    submit
  );
  const disabled = h("div", { class: "after-errors" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(disabled);
    busy(submit, true);
    try {
      const answer = await api.call("POST", "login", {
        auth: false,
        json: {
          national_id: String(form.elements.national_id.value || "").trim().toUpperCase(),
          password: form.elements.password.value,
          device_credential: keep.device().credential,
        },
      });
      keep.setToken(answer);
      lock.locked = false;
      const next = after.path && after.path !== "/login" ? after.path : "/passbook";
      after.path = "";
      go(next);
    } catch (error) {
      form.elements.password.value = "";
      showErrors(form, error.errors && Object.keys(error.errors).length ? error.errors : { "": [error.text] });
      if (error.errors && error.errors.device_credential) {
        disabled.append(h("p", {}, link("/welcome", _("Verify this phone again"))));
      }
    } finally {
      busy(submit, false);
    }
  });
  const notes = [];
  if (lock.locked) notes.push(notice("info", h("p", {}, _("The app locked itself after a while without use. Log in again to go on where you were."))));
  else if (after.path) notes.push(notice("info", h("p", {}, _("Your login has ended. Log in again to go on; what you typed is kept."))));
  view.main.append(
    flash.take() || "",
    ...notes,
    form,
    disabled,
    h(
      "p",
      { class: "secondary-actions" },
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          onclick: () => {
            if (window.confirm(_("Remove this phone's verification from the app? You will need a new device code or your phone number to log in here again."))) {
              logOut({ device: true });
            }
          },
        },
        _("Remove this phone's verification")
      )
    )
  );
}

function settingsScreen(view) {
  view.title(_("Settings"));
  const choice = language();
  const languages = h(
    "fieldset",
    { class: "choice-group" },
    h("legend", {}, _("Language")),
    [
      ["zh-hant", "繁體中文", "zh-Hant-TW"],
      ["en", "English", "en"],
    ].map(([code, label, lang]) =>
      h(
        "label",
        { class: "radio" },
        h("input", {
          type: "radio",
          name: "app-language",
          value: code,
          checked: code === choice,
          onchange: () => {
            chooseLanguage(code);
            location.reload();
          },
        }),
        h("span", { lang }, label)
      )
    ),
    h("p", { class: "hint" }, _("Without a choice the app follows the phone's language."), " ", phoneLanguage() === "en" ? "(English)" : "（繁體中文）")
  );
  view.main.append(
    languages,
    h(
      "ul",
      { class: "menu" },
      h("li", {}, link("/settings/devices", _("My verified devices"))),
      h("li", {}, link("/settings/access-log", _("Who looked at my data")))
    ),
    h(
      "div",
      { class: "logout-actions" },
      h("button", { type: "button", class: "primary", onclick: () => logOut() }, _("Log out")),
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: () => {
            if (window.confirm(_("Log out and remove this phone's verification? You will need a new device code or your phone number to log in here again."))) {
              logOut({ device: true });
            }
          },
        },
        _("Log out and remove this phone's verification")
      )
    )
  );
}

async function devicesScreen(view) {
  view.title(_("My verified devices"));
  view.back("/settings");
  const devices = await api.get("devices");
  if (!view.alive()) return;
  const status = h("div", { role: "status", class: "status-line" });
  const rows = devices.map((d) => ({ ...d }));
  const act = async (device, action, button) => {
    busy(button, true);
    try {
      await api.post(`devices/${encodeURIComponent(device.device_id)}/${action}`);
      status.textContent = action === "enable" ? _("Enabled: every other device is now disabled.") : _("Disabled: this device can no longer log in.");
      if (device.this_device && action === "disable") {
        logOut();
        return;
      }
      const again = await api.get("devices");
      if (!view.alive()) return;
      redraw(again);
    } catch (error) {
      status.textContent = error.text;
    } finally {
      busy(button, false);
    }
  };
  const list = h("div", {});
  const redraw = (items) => {
    clear(list).append(
      table(
        [
          { label: _("Device"), cell: (d) => [`${d.platform} ${d.model}`, d.this_device ? h("strong", { class: "tag" }, _("this phone")) : ""] },
          { label: _("Verified"), cell: (d) => dateTime(d.verified_at) },
          { label: _("Status"), cell: (d) => (d.status === "enabled" ? _("Enabled") : _("Disabled")) },
          {
            label: _("Change"),
            cell: (d) => {
              const action = d.status === "enabled" ? "disable" : "enable";
              const button = h(
                "button",
                { type: "button", class: "secondary", "aria-label": format(action === "enable" ? _("Enable %(device)s") : _("Disable %(device)s"), { device: `${d.platform} ${d.model}` }) },
                action === "enable" ? _("Enable") : _("Disable")
              );
              button.addEventListener("click", () => act(d, action, button));
              return button;
            },
          },
        ],
        items
      )
    );
  };
  redraw(rows);
  view.main.append(h("p", {}, _("Only one device can be enabled at a time: enabling one disables the others, and a disabled device cannot log in.")), status, list);
}

async function accessLogScreen(view) {
  view.title(_("Who looked at my data"));
  view.back("/settings");
  const entries = await api.get("access-log");
  if (!view.alive()) return;
  view.main.append(
    h("p", {}, _("Every time someone other than you (an NHI operator, an institution, a delegate or a parent) reads your data or acts on your registration, it is written here.")),
    entries.length
      ? table(
          [
            { label: _("When"), cell: (e) => dateTime(e.at) },
            { label: _("Who"), cell: (e) => e.reader },
            { label: _("What"), cell: (e) => e.what },
          ],
          entries
        )
      : h("p", {}, _("Nobody else has looked at your data."))
  );
}

register("/login", loginScreen, { auth: false });
register("/settings", settingsScreen);
register("/settings/devices", devicesScreen);
register("/settings/access-log", accessLogScreen);
