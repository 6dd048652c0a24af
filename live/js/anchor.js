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

const SETTLE_MS = 3000;
const HANDS = ["wheel", "touchmove", "keydown", "pointerdown"];  // a person scrolling or acting: leave the page be

export class Anchor {
  constructor(root) {
    this.root = root;
    this.stop = () => {
      this.observer?.disconnect();
      clearTimeout(this.timer);
      for (const event of HANDS) window.removeEventListener(event, this.stop, true);
    };
  }

  destroy() {
    this.stop();
  }

  /** @param {AnchorData} data */
  update(data) {
    if (!data.scroll || this.observer) return;
    const point = this.root.host ?? this.root;  // a shadow root's host
    const scroll = () => point.scrollIntoView({ block: "start" });
    this.observer = new ResizeObserver(scroll);
    this.observer.observe(document.querySelector('[data-testid="stMainBlockContainer"]') ?? document.body);
    for (const event of HANDS) window.addEventListener(event, this.stop, true);
    this.timer = setTimeout(this.stop, SETTLE_MS);
  }
}
