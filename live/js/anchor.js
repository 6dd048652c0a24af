// A point the page scrolls to when it is drawn: a link that names a panel opens on that panel. For a
// few seconds the point is kept at the top while the page above it settles (the explorer's readouts fill
// in as its files arrive), unless the person scrolls first.

/**
 * What live/component.py's anchor_ui sends (AnchorData there).
 * @typedef {Object} AnchorData
 * @property {"anchor"} mode
 * @property {string} server
 * @property {boolean} scroll  scroll the page to here now (a link's first run)
 */

import { Mode } from "./mode.js";

const SETTLE_MS = 3000;
const HANDS = ["wheel", "touchmove", "keydown", "pointerdown"];  // a person scrolling or acting: leave the page be

export class Anchor extends Mode {
  show(data) {
    if (!data.scroll || this.stop) return;
    const point = this.root.host ?? this.root;  // a shadow root's host
    const observer = new ResizeObserver(() => point.scrollIntoView({ block: "start" }));
    observer.observe(document.querySelector('[data-testid="stMainBlockContainer"]') ?? document.body);
    this.stop = () => {  // settled, or a person took over: the page stays where it is
      observer.disconnect();
      clearTimeout(timer);
      for (const event of HANDS) window.removeEventListener(event, this.stop, true);
    };
    const timer = setTimeout(this.stop, SETTLE_MS);
    for (const event of HANDS) window.addEventListener(event, this.stop, true);
    this.own(this.stop);
  }
}
