// Inspector (admin): watch any channel's events live and send a test event, like Pusher's debug console.
import { api, connectPusher } from "../api.js";
import { el, clear, message } from "../dom.js";

export function renderInspector(main, { signInAgain }) {
  const channelName = el("input", { id: "watch-channel", name: "channel", required: true, autocomplete: "off",
    placeholder: "private-plugin-… or presence-game-…" });
  const watch = el("form", { class: "card" },
    el("h1", {}, "Inspector"),
    el("p", { class: "muted" }, "Admins only. Watch any channel (private and presence channels are authorized by this relay) and send test events."),
    el("div", { class: "row" },
      el("div", { class: "field" }, el("label", { for: "watch-channel" }, "Channel"), channelName),
      el("button", { type: "submit" }, "Watch")),
    el("p", { id: "watching", class: "muted" }, "Watching no channel."));

  const sendChannel = el("input", { id: "send-channel", name: "channel", required: true, autocomplete: "off" });
  const sendEvent = el("input", { id: "send-event", name: "event", required: true, autocomplete: "off", value: "test-event" });
  const sendData = el("textarea", { id: "send-data", name: "data" }, '{"hello":"world"}');
  const send = el("form", { class: "card" },
    el("h2", {}, "Send a test event"),
    el("div", { class: "field" }, el("label", { for: "send-channel" }, "Channel"), sendChannel),
    el("div", { class: "field" }, el("label", { for: "send-event" }, "Event"), sendEvent),
    el("div", { class: "field" }, el("label", { for: "send-data" }, "Data (sent as this text)"), sendData),
    el("button", { type: "submit" }, "Send"));

  const rows = el("tbody", { id: "event-log" });
  const log = el("section", { class: "card log" }, el("h2", {}, "Events"),
    el("table", {}, el("thead", {}, el("tr", {}, ["Time", "Channel", "Event", "Data"].map((h) => el("th", { scope: "col" }, h)))), rows));
  clear(main).append(watch, send, log);

  let pusher = null;
  const channels = new Set();

  function record(channel, event, data) {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    rows.prepend(el("tr", { "data-channel": channel, "data-event": event },
      el("td", {}, new Date().toLocaleTimeString()), el("td", { class: "mono" }, channel),
      el("td", { class: "mono" }, event), el("td", { class: "data" }, text)));
  }

  watch.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = channelName.value.trim();
    if (!name || channels.has(name)) return;
    try {
      pusher ??= await connectPusher();
    } catch (error) {
      if (error.status === 401) return signInAgain("Your sign-in has expired or is not valid: sign in again.");
      return message(watch, error.message, "bad");
    }
    const channel = pusher.subscribe(name);
    channels.add(name);
    // pusher:* are the protocol's own (subscription, members), not events anyone sent.
    channel.bind_global((eventName, data) => { if (!eventName.startsWith("pusher:")) record(name, eventName, data); });
    channel.bind("pusher:subscription_succeeded", () => {
      document.getElementById("watching").textContent = "Watching: " + [...channels].join(", ");
    });
    channel.bind("pusher:subscription_error", (status) => {
      channels.delete(name);
      pusher.unsubscribe(name);
      message(watch, `Refused ${name} (${status?.status ?? "error"}).`, "bad");
    });
    if (!sendChannel.value) sendChannel.value = name;
  });

  send.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/console/events", { channel: sendChannel.value.trim(), event: sendEvent.value.trim(), data: sendData.value });
      message(send, `Sent ${sendEvent.value.trim()} to ${sendChannel.value.trim()}.`, "good");
    } catch (error) {
      if (error.status === 401) return signInAgain("Your sign-in has expired or is not valid: sign in again.");
      message(send, error.message, "bad");
    }
  });
}
