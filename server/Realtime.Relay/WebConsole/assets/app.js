// The console's shell: sign-in with the platform's JWT, the API helper, and the page router.
// Plain ES modules, no build step. Data is always put into the page as text (never as HTML).
import { session } from "./session.js";
import { el, clear, message } from "./dom.js";
import { renderPair } from "./pages/pair.js";
import { renderPlugins } from "./pages/plugins.js";
import { renderGames } from "./pages/games.js";
import { renderInspector } from "./pages/inspector.js";

const pages = {
  pair: { title: "Pair a Studio plugin", render: renderPair },
  plugins: { title: "Plugins", render: renderPlugins },
  games: { title: "Games", render: renderGames },
  inspector: { title: "Inspector", render: renderInspector },
};

function currentPage() {
  const name = location.pathname.replace(/^\/console\/?/, "").split("/")[0];
  return pages[name] ? name : "pair";
}

function markNavigation(name) {
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === "/console/" + name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showAccount() {
  const account = document.getElementById("account");
  const user = session.user();
  if (!user) { account.hidden = true; return; }
  document.getElementById("who").textContent = `${user.name} (${user.role})`;
  account.hidden = false;
}

function renderSignIn(main, reason) {
  const input = el("textarea", { id: "token", name: "token", required: true, autocomplete: "off", spellcheck: "false",
    "aria-describedby": "token-help" });
  const form = el("form", { class: "card" },
    el("h1", {}, "Sign in"),
    el("p", { id: "token-help", class: "muted" },
      "Paste the platform token (JWT) the dashboard gives you. It is kept in this browser tab only and sent only to this relay."),
    el("div", { class: "field" }, el("label", { for: "token" }, "Platform token"), input),
    el("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (session.signIn(input.value.trim())) start();
    else message(form, "That does not look like a JWT (three dot-separated parts).", "bad");
  });
  clear(main).append(form);
  if (reason) message(form, reason, "bad");
  input.focus();
}

function start() {
  const name = currentPage();
  const page = pages[name];
  document.title = `${page.title} · Realtime Bridge console`;
  markNavigation(name);
  showAccount();
  const main = document.getElementById("main");
  if (!session.token()) { renderSignIn(main); return; }
  clear(main);
  page.render(main, { signInAgain: (reason) => { session.signOut(); showAccount(); renderSignIn(main, reason); } });
}

// A dashboard links here with #token=<jwt>: take it, then drop it from the address bar and history.
session.takeFromFragment();
document.getElementById("sign-out").addEventListener("click", () => { session.signOut(); start(); });
start();
