// One lifecycle for every mode (main.js makes one per mount point): update(data) for each mount's data, the
// files it needs fetched first, an answer that a newer mount overtook dropped, and destroy() when its point
// leaves the page, which undoes everything the mode started (listeners, followers, timers) and takes its
// element off.
//
// A mode says what it needs and what it shows:
//   needs(data) -> [[url, kind, what], ...]   files to fetch (store.js) before show
//   receive(data)                             at once, before the files (e.g. build the layout); optional
//   show(data, problem)                       with the files here, or problem: an Error to say

import { follow } from "./bus.js";
import { element } from "./paint.js";
import { loadAll } from "./store.js";

export class Mode {
  constructor(root) {
    this.root = root;
    this.stops = [];  // what destroy() undoes
    this.pending = null;  // the newest data handed over
  }

  needs() {
    return [];
  }

  async update(data) {
    this.pending = data;
    this.receive?.(data);
    const problem = await loadAll(this.needs(data));
    if (this.pending !== data) return;  // a newer mount arrived while the files were on their way, or destroyed
    return this.show(data, problem);
  }

  destroy() {
    this.pending = null;
    for (const stop of this.stops.splice(0)) stop();
    this.root.querySelector(".live")?.remove();
  }

  // ---- what a mode starts, undone by destroy ----

  own(stop) {  // stop: a function destroy() calls
    this.stops.push(stop);
    return stop;
  }

  listen(target, event, listener, options) {
    target.addEventListener(event, listener, options);
    this.own(() => target.removeEventListener(event, listener, options));
  }

  follow(channel, listener) {  // a bus.js channel
    this.own(follow(channel, listener));
  }

  // ---- the mode's element ----

  place(root) {  // the mode's element, replacing the one before
    this.root.querySelector(".live")?.remove();
    this.root.append(root);
    return root;
  }

  problem(kind, message) {  // the mode's element is a message alone
    this.place(element("div", { class: `live ${kind}` }, element("div", { class: "message", role: "alert" }, message)));
  }
}
