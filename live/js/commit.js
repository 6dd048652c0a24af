// The page's side of its conversation with the server.
// - Commits: a component sends settled state (setStateValue) numbered by seq; the rerun it causes echoes
//   the seq in the component's data. One the server has not answered within UNANSWERED_MS says so.
// - The link: the URL holds the whole view, and Streamlit writes it after each rerun. A copied link, and the
//   URL a page reloads to, add each component's part as it is now (the explorer's code and eps seed), so
//   that neither lags a move the server has not answered yet. (The page never writes the URL itself while
//   Streamlit runs it: Streamlit's own URL updates then take the focus from a slider.)
// - The server: each mount names the process that drew it, and the page asks /live-server which process
//   answers now. When that changes (a replica died and nginx sent the page to a survivor, or the server
//   restarted), the page reloads itself to its link: the same view, on a live server.

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

// ---- the link ---------------------------------------------------------------------------------------

const linkParts = new Set();  // () -> {param: value or null (remove)}: each component's part of the link

export function addToLink(part) {
  linkParts.add(part);
  return () => linkParts.delete(part);
}

export function link() {
  // the page's URL with every component's part as it is now
  const url = new URL(location.href);
  for (const part of linkParts) {
    for (const [name, value] of Object.entries(part())) {
      if (value === null) url.searchParams.delete(name);
      else url.searchParams.set(name, value);
    }
  }
  return url.href;
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
