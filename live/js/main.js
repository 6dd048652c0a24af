// The component's entry: live/component.py's loader imports this file and hands it each mount. One
// instance per mount point, of the mode its data names; a later mount of the same point updates it.
// Returns the cleanup Streamlit calls when the component leaves the page: listeners removed, followers
// unsubscribed, timers stopped. Streamlit 1.67 also calls a mount's cleanup when newer data superseded
// that mount before it had started (its BidiComponent); the point is still on the page then, and its
// instance carries on with the newer data. So the cleanup acts only once the point has left the page.

import { Anchor } from "./anchor.js";
import { Board } from "./board.js";
import { DrawPad } from "./draw.js";
import { Explorer } from "./explorer.js";
import { Gallery } from "./gallery.js";
import { LatentMap } from "./map.js";
import { element } from "./paint.js";
import { Samples } from "./samples.js";

const MODES = { explorer: Explorer, samples: Samples, map: LatentMap, gallery: Gallery, anchor: Anchor, draw: DrawPad,
  board: Board };
const STYLE = await fetch(new URL("./live.css", import.meta.url)).then((r) => (r.ok ? r.text() : ""));
const mounted = new Map();  // parentElement -> { mode, instance, cleanup }

export default function mount(component) {
  const { parentElement } = component, data = component.data.live;
  let entry = mounted.get(parentElement);
  if (entry?.mode !== data.mode) {
    entry?.cleanup();
    const instance = new MODES[data.mode](parentElement);
    parentElement.append(element("style", {}, STYLE));
    const cleanup = () => setTimeout(() => {  // after the unmount has taken the point off the page
      if (parentElement.isConnected || mounted.get(parentElement)?.instance !== instance) return;
      instance.destroy();
      mounted.delete(parentElement);
    });
    entry = { mode: data.mode, instance, cleanup };
    mounted.set(parentElement, entry);
  }
  entry.instance.api = component;
  entry.updating = entry.instance.update(data);
  return entry.cleanup;
}

// for tests: how many mounts are live, and a promise that every one has drawn its latest data
export const mountedCount = () => mounted.size;
export const updated = () => Promise.all([...mounted.values()].map((entry) => entry.updating));
