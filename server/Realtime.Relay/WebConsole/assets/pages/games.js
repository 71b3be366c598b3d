// Games: create one (its server key is shown once), rotate or delete it, and watch its live
// servers and players. Players come from pusher-js on presence-game-<id>, authorized by the
// relay: the same view a dashboard has.
import { api, connectPusher } from "../api.js";
import { el, clear, message, when, confirmButton } from "../dom.js";

const PLAYER_KIND = "roblox-player";

export function renderGames(main, { signInAgain }) {
  const gameId = el("input", { id: "game-id", name: "gameId", required: true, pattern: "[A-Za-z0-9_-]{1,64}", autocomplete: "off" });
  const name = el("input", { id: "game-name", name: "name", required: true, maxlength: 100, autocomplete: "off" });
  const create = el("form", { class: "card" },
    el("h1", {}, "Games"),
    el("h2", {}, "Create a game"),
    el("div", { class: "row" },
      el("div", { class: "field" }, el("label", { for: "game-id" }, "Game id (A-Z a-z 0-9 _ -)"), gameId),
      el("div", { class: "field" }, el("label", { for: "game-name" }, "Name"), name),
      el("button", { type: "submit" }, "Create")));
  const list = el("div", { class: "games", id: "games" });
  clear(main).append(create, list);

  let pusher = null;
  const watched = new Map(); // gameId -> presence channel

  function failed(error, where) {
    if (error.status === 401) return signInAgain("Your sign-in has expired or is not valid: sign in again.");
    message(where, error.message, "bad");
  }

  function showKey(where, key) {
    const code = el("code", { class: "server-key" }, key.serverKey);
    const copy = el("button", { type: "button", class: "quiet" }, "Copy");
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(key.serverKey); copy.textContent = "Copied"; }
      catch { getSelection().selectAllChildren(code); copy.textContent = "Press Ctrl+C"; }
    });
    where.querySelector(".key")?.remove();
    where.append(el("div", { class: "key message good", role: "status" },
      el("span", {}, `Server key for ${key.gameId} — shown only now; put it in the game's RealtimeBridge settings:`), code, copy));
  }

  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const key = await api("POST", "/api/v1/games", { gameId: gameId.value.trim(), name: name.value.trim() });
      create.querySelector(".message")?.remove();
      showKey(create, key);
      gameId.value = name.value = "";
      await load();
    } catch (error) { failed(error, create); }
  });

  function playersView(game) {
    const players = el("ul", { class: "players", "data-game": game.gameId, "aria-live": "polite" });
    const summary = el("p", { class: "muted", "data-summary": game.gameId }, "Connecting to live presence…");
    const box = el("div", {}, el("h3", {}, "Live players"), summary, players);
    if (!pusher) return box;
    watched.get(game.gameId)?.unbind_all();
    const channel = pusher.subscribe(game.presenceChannel);
    watched.set(game.gameId, channel);
    const render = () => {
      const rows = [];
      let people = 0;
      channel.members.each((member) => {
        if (member.info?.kind !== PLAYER_KIND) { people++; return; }
        rows.push(el("li", { "data-member": member.id },
          el("strong", {}, member.info.displayName), ` @${member.info.name} `,
          el("span", { class: "muted" }, `on ${member.info.jobId}`)));
      });
      players.replaceChildren(...rows);
      summary.textContent = `${rows.length} player(s) in game; ${people} platform user(s) watching.`;
    };
    channel.bind("pusher:subscription_succeeded", render);
    channel.bind("pusher:member_added", render);
    channel.bind("pusher:member_removed", render);
    channel.bind("pusher:subscription_error", (status) => {
      summary.textContent = `Live presence refused (${status?.status ?? "error"}).`;
    });
    // The list is redrawn after create/rotate/delete: a channel subscribed earlier will not fire subscription_succeeded again.
    if (channel.subscribed) render();
    return box;
  }

  function gameCard(game) {
    const card = el("section", { "data-game-card": game.gameId, "aria-labelledby": "game-" + game.gameId },
      el("h2", { id: "game-" + game.gameId }, game.name, " ", el("span", { class: "muted mono" }, game.gameId)));
    const servers = game.sessions.length === 0
      ? el("p", { class: "muted" }, "No live servers.")
      : el("table", {},
        el("thead", {}, el("tr", {}, ["Server (job id)", "Place", "Started", "Last seen", "Waiting events"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, game.sessions.map((s) => el("tr", {},
          el("td", { class: "mono" }, s.serverId), el("td", {}, s.placeId), el("td", {}, when(s.startedAt)),
          el("td", {}, when(s.lastSeenAt)), el("td", {}, String(s.inboxDepth))))));
    const rotate = el("button", { type: "button", class: "quiet" }, "Rotate key");
    rotate.addEventListener("click", async () => {
      try { showKey(card, await api("POST", `/api/v1/games/${encodeURIComponent(game.gameId)}/keys/rotate`)); }
      catch (error) { failed(error, card); }
    });
    const remove = confirmButton("Delete game", "Confirm delete", async () => {
      try {
        await api("DELETE", "/api/v1/games/" + encodeURIComponent(game.gameId));
        pusher?.unsubscribe(game.presenceChannel);
        watched.delete(game.gameId);
        await load();
      } catch (error) { failed(error, card); }
    });
    card.append(
      el("p", { class: "muted" }, `Created ${when(game.createdAt)} by ${game.ownerId}`,
        game.keyRotatedAt ? ` · key rotated ${when(game.keyRotatedAt)}` : ""),
      el("h3", {}, "Live servers"), servers, playersView(game),
      el("div", { class: "actions" }, rotate, remove));
    return card;
  }

  async function load() {
    try {
      const { games } = await api("GET", "/api/v1/games");
      if (!pusher && games.length > 0) {
        try { pusher = await connectPusher(); }
        catch (error) { message(list, "Live players are unavailable: " + error.message, "bad"); }
      }
      list.replaceChildren(...(games.length ? games.map(gameCard) : [el("p", { class: "card" }, "No games yet: create one above.")]));
    } catch (error) { failed(error, list); }
  }

  load();
}
