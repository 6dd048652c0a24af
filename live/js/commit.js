// The page's side of its conversation with the server.
// - Commits: a component sends settled state (setStateValue) numbered by seq; the rerun it causes echoes
//   the seq in the component's data. One the server has not answered within UNANSWERED_MS says so.
// - The server: each mount names the process that drew it, and the page asks /live-server which process
//   answers now. When that changes (a replica died and nginx sent the page to a survivor, or the server
//   restarted), the page reloads itself to its link: the same view, on a live server.

import { link } from "./link.js";

export const UNANSWERED_MS = 5000;
const WATCH_MS = 2000;

export class Commits {
  // one component's commits: send(name, value) numbers them; answered(seq) when a rerun echoes one
  constructor(component, onLate) {
    this.component = component;  // () -> the latest component API (setStateValue)
    this.onLate = onLate;  // (late: bool) -> shows or hides the notice
    this.seq = 0;  // commits sent
    this.timer = 0;
  }

  send(name, value) {
    this.seq += 1;
    this.component().setStateValue(name, { ...value, seq: this.seq });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onLate(true), UNANSWERED_MS);
    return this.seq;
  }

  answered(seq) {
    if (seq < this.seq) return false;  // an older rerun: the last commit is still on its way
    this.seq = seq;  // a new mount in an old session starts from the session's count
    clearTimeout(this.timer);
    this.timer = 0;
    this.onLate(false);
    return true;
  }

  stop() {
    clearTimeout(this.timer);
  }
}

// ---- the server ------------------------------------------------------------------------------------

const watch = { server: null, timer: 0, listeners: new Set(), reloading: false };

export function watchServer(server, onReach) {
  // server: the process that drew this mount; onReach(reachable: bool). Returns a function that stops listening.
  if (watch.server === null) watch.server = server;
  else if (server !== watch.server) reloadToLink();  // a mount drawn by another process: this page moved
  watch.listeners.add(onReach);
  if (!watch.timer) watch.timer = setTimeout(ask, WATCH_MS);
  return () => watch.listeners.delete(onReach);
}

async function ask() {
  watch.timer = 0;
  if (!watch.listeners.size || watch.reloading) return;
  let answer = null;
  if (document.visibilityState === "visible") {
    try {
      const response = await fetch(new URL("/live-server", location.href), { cache: "no-store" });
      answer = response.ok ? (await response.json()).server : null;
    } catch {
      answer = null;
    }
    if (answer && answer !== watch.server) return reloadToLink();
    for (const listener of watch.listeners) listener(answer !== null);
  }
  watch.timer = setTimeout(ask, WATCH_MS);
}

export function reloadToLink() {
  if (watch.reloading) return;
  watch.reloading = true;
  location.replace(link());
}
