// Plugins: an educator's paired Studio plugins (all of them for an admin), and revoking one.
import { api } from "../api.js";
import { el, clear, message, when, confirmButton } from "../dom.js";

export function renderPlugins(main, { signInAgain }) {
  const card = el("section", { class: "card" }, el("h1", {}, "Plugins"),
    el("p", { class: "muted" }, "Studio plugins paired with this relay. Online: it called within the last minute."));
  clear(main).append(card);

  async function load() {
    let list;
    try {
      list = (await api("GET", "/api/v1/plugins")).plugins;
    } catch (error) {
      if (error.status === 401) return signInAgain("Your sign-in has expired or is not valid: sign in again.");
      return message(card, error.message, "bad");
    }
    card.querySelector("table, .empty")?.remove();
    if (list.length === 0) { card.append(el("p", { class: "empty" }, "No paired plugins yet: pair one on the Pair page.")); return; }
    const rows = list.map((p) => el("tr", { "data-plugin": p.pluginId },
      el("td", { class: "mono" }, p.pluginId),
      el("td", {}, p.ownerId),
      el("td", {}, p.placeId ?? "—"),
      el("td", {}, p.gameId ?? "—"),
      el("td", {}, p.pluginVersion ?? "—"),
      el("td", {}, when(p.createdAt)),
      el("td", {}, when(p.lastSeenAt)),
      el("td", {}, el("span", { class: p.online ? "badge online" : "badge" }, p.online ? "online" : "offline")),
      el("td", {}, String(p.inboxDepth)),
      el("td", {}, confirmButton("Revoke", "Confirm revoke", () => revoke(p.pluginId)))));
    card.append(el("table", {},
      el("caption", { class: "muted" }, `${list.length} plugin(s)`),
      el("thead", {}, el("tr", {}, ["Plugin", "Owner", "Place", "Game", "Version", "Paired", "Last seen", "Status", "Waiting events", "Actions"]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)));
  }

  async function revoke(pluginId) {
    try {
      await api("DELETE", "/api/v1/plugins/" + encodeURIComponent(pluginId));
      message(card, `Plugin ${pluginId} revoked: its token no longer works.`, "good");
      await load();
    } catch (error) {
      message(card, error.message, "bad");
    }
  }

  load();
}
