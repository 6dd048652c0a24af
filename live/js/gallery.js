// The gallery: the first test images as thumbnails, a click on one makes it the input (trigger "pick").

import { element, paint } from "./paint.js";
import { Mode } from "./mode.js";
import { loaded } from "./store.js";

/**
 * What live/component.py's gallery_ui sends (GalleryData there, field by field).
 * @typedef {Object} GalleryData
 * @property {"gallery"} mode
 * @property {string} server
 * @property {string} images  URL of (N, C, H, W) uint8: the first N test images
 * @property {string[]} captions  (N,) "test #i (label)"
 * @property {number[]} shape  [C, H, W]
 * @property {number} chosen  the test image that is the input now, if among them
 */

export class Gallery extends Mode {
  /** @param {GalleryData} data */
  needs(data) {
    return [[data.images, "u8", "the gallery's images"]];
  }

  show(data, problem) {
    if (problem) return this.problem("gallery", problem.message);
    const pixels = loaded(data.images), size = data.shape.reduce((a, b) => a * b, 1);
    const grid = element("div", { class: "live gallery", "data-testid": "gallery" });
    data.captions.forEach((caption, i) => {
      const button = element("button", { type: "button", title: caption, "aria-label": caption,
        "aria-pressed": String(i === data.chosen), "data-testid": `gallery-${i}` });
      const canvas = element("canvas");
      paint(canvas, Float32Array.from(pixels.subarray(i * size, (i + 1) * size), (v) => v / 255), data.shape);
      button.append(canvas);
      button.addEventListener("click", () => this.api.setTriggerValue("pick", i));
      grid.append(button);
    });
    this.place(grid);
  }
}
