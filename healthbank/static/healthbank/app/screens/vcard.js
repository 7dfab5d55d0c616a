/*
 * The virtual NHI card in the app (SPEC §9): my card and its one-time QR code, institutions' requests,
 * delegations, and the cards I may use.
 */
import * as api from "../api.js";
import { _, register } from "../core.js";
import { h } from "../ui.js";

async function card(view) {
  view.title(_("Virtual NHI card"));
  const mine = await api.get("vcard");
  if (!view.alive()) return;
  view.main.append(h("p", {}, mine.card ? _("You have a virtual NHI card.") : _("You have no virtual NHI card yet.")));
}

register("/vcard", card);
