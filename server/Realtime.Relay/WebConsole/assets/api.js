// Calls the relay's API with the signed-in user's JWT; errors carry the problem+json detail.
import { session } from "./session.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

export async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + session.token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/** pusher-js for this relay's Pusher app, authorized by the relay with the user's JWT. */
export async function connectPusher() {
  const info = await api("GET", "/api/v1/info");
  if (!info.pusher.enabled) throw new Error("Pusher is disabled on this relay.");
  const auth = { headers: { Authorization: "Bearer " + session.token() } };
  const pusher = new window.Pusher(info.pusher.key, {
    cluster: info.pusher.cluster || "mt1",
    wsHost: info.pusher.host,
    wsPort: info.pusher.port,
    wssPort: info.pusher.port,
    forceTLS: info.pusher.forceTLS,
    enabledTransports: ["ws", "wss"],
    channelAuthorization: { endpoint: "/api/v1/pusher/auth", transport: "ajax", ...auth },
    userAuthentication: { endpoint: "/api/v1/pusher/user-auth", transport: "ajax", ...auth },
  });
  // Servers with user authentication on close sockets that never sign in.
  pusher.signin();
  return pusher;
}
