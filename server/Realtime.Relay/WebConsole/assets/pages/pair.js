// Pair: the educator checks what asks (place, game, Studio user, plugin version) and approves
// or denies it. The plugin's verificationUri opens this page with ?code=ABCD-EFGH.
import { api } from "../api.js";
import { el, clear, message, when } from "../dom.js";

const statusText = {
  pending: "Waiting for your decision",
  approved: "Approved — Studio is connecting",
  paired: "Approved and paired",
  denied: "Denied",
};

export function renderPair(main, { signInAgain }) {
  const code = el("input", { id: "pair-code", name: "code", autocomplete: "off", autocapitalize: "characters",
    spellcheck: "false", placeholder: "ABCD-EFGH", "aria-describedby": "pair-code-help",
    value: new URLSearchParams(location.search).get("code") || "" });
  const form = el("form", { class: "card" },
    el("h1", {}, "Pair a Roblox Studio plugin"),
    el("p", { id: "pair-code-help", class: "muted" }, "Enter the code the Realtime Bridge plugin shows in Studio."),
    el("div", { class: "row" },
      el("div", { class: "field" }, el("label", { for: "pair-code" }, "Code"), code),
      el("button", { type: "submit", id: "pair-lookup" }, "Look up")));
  const details = el("section", { id: "pair-details", "aria-live": "polite", hidden: true });
  clear(main).append(form, details);

  async function lookUp() {
    details.hidden = true;
    try {
      show(await api("GET", "/api/v1/pairings/" + encodeURIComponent(code.value.trim())));
    } catch (error) {
      if (error.status === 401) return signInAgain("Your sign-in has expired or is not valid: sign in again.");
      message(form, error.message, "bad");
    }
  }

  function show(pairing) {
    form.querySelector(".message")?.remove();
    const approve = el("button", { type: "button", id: "pair-approve" }, "Approve");
    const deny = el("button", { type: "button", id: "pair-deny", class: "danger" }, "Deny");
    const pending = pairing.status === "pending";
    approve.disabled = deny.disabled = !pending;
    clear(details).append(
      el("h2", {}, "Code ", el("span", { class: "mono" }, pairing.userCode)),
      el("dl", { class: "details" },
        el("dt", {}, "Status"), el("dd", { id: "pair-status" }, statusText[pairing.status] || pairing.status),
        el("dt", {}, "Place id"), el("dd", {}, pairing.placeId ?? "not given"),
        el("dt", {}, "Game id"), el("dd", {}, pairing.gameId ?? "not given"),
        el("dt", {}, "Studio user id"), el("dd", {}, pairing.studioUserId ?? "not given"),
        el("dt", {}, "Plugin version"), el("dd", {}, pairing.pluginVersion ?? "not given"),
        el("dt", {}, "Requested"), el("dd", {}, when(pairing.createdAt)),
        el("dt", {}, "Expires in"), el("dd", {}, `${Math.ceil(pairing.expiresIn / 60)} min`)),
      el("p", { class: "muted" }, "Approve only a request you started yourself in Studio: the plugin will act for you."),
      el("div", { class: "actions" }, approve, deny));
    details.hidden = false;
    approve.addEventListener("click", () => decide("approve", pairing));
    deny.addEventListener("click", () => decide("deny", pairing));
  }

  async function decide(action, pairing) {
    for (const button of details.querySelectorAll("button")) button.disabled = true;
    try {
      const answer = await api("POST", "/api/v1/pairings/" + action, { userCode: pairing.userCode });
      document.getElementById("pair-status").textContent = statusText[action === "approve" ? "approved" : "denied"];
      const text = action === "approve"
        ? `Approved. Plugin ${answer.pluginId} is yours; Studio connects within a few seconds.`
        : "Denied. The plugin will stop asking with this code.";
      message(details, text, action === "approve" ? "good" : "info").id = "pair-result";
    } catch (error) {
      if (error.status === 401) return signInAgain("Your sign-in has expired or is not valid: sign in again.");
      message(details, error.message, "bad").id = "pair-result";
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); lookUp(); });
  if (code.value) lookUp();
  else code.focus();
}
