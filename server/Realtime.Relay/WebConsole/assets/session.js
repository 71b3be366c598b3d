// The platform JWT for this tab: from the URL fragment (#token=…, never sent to a server) or
// pasted, kept in sessionStorage (gone when the tab closes). The relay checks the token on each
// call; the claims read here only label the page.
const KEY = "realtime-bridge.console.token";

function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export const session = {
  token: () => sessionStorage.getItem(KEY),

  signIn(token) {
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) || !claimsOf(token)) return false;
    sessionStorage.setItem(KEY, token);
    return true;
  },

  signOut: () => sessionStorage.removeItem(KEY),

  user() {
    const token = session.token();
    const claims = token && claimsOf(token);
    return claims ? { id: claims.sub, name: claims.name || claims.sub, role: claims.role } : null;
  },

  takeFromFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get("token");
    if (token === null) return;
    session.signIn(token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  },
};
