// The explorer's drawing pad: the pad (pad.js) as a mode of the component. On every move the drawing,
// converted as an upload of the dataset is, goes to the explorer (bus.js), which encodes it with both
// encoders and redraws everything; the server hears the drawing once, when the stroke ends (or on Undo
// and Clear), as a commit; the link holds it.

import { publish } from "./bus.js";
import { addToLink, Commits } from "./commit.js";
import { Pad } from "./pad.js";

/**
 * What live/component.py's draw_ui sends (DrawData there, field by field).
 * @typedef {Object} DrawData
 * @property {"draw"} mode
 * @property {string} server
 * @property {number[]} shape  [C, H, W] of the dataset's images
 * @property {Object} conversion  vae.data.conversion(dataset, (H, W)): how a drawing becomes an input
 * @property {number} pad  the pad's side in its own pixels (it is drawn larger)
 * @property {number} brush  the pen's width in the pad's pixels: a converted stroke as thick as the dataset's
 * @property {string|null} drawing  the drawn input the page shows, as a link holds it, if the input is a drawing
 * @property {number} seq  the last drawing the server has heard
 */

const heard = (globalThis.__drawingsHeard ??= []);  // each drawing the server has answered: its seq, for tests

export class DrawPad {
  constructor(root) {
    this.root = root;
    this.pad = null;
    this.commits = new Commits(() => this.api, () => {});
    // the link's draw=: this drawing; none once the pad is emptied ("") before the server has heard it
    this.unlink = addToLink(() => {
      const text = this.pad?.text;
      return text ? { draw: text } : text === "" ? { draw: null } : {};
    });
  }

  destroy() {
    this.commits.stop();
    this.unlink();
  }

  /** @param {DrawData} data */
  update(data) {
    const layout = JSON.stringify([data.shape, data.conversion, data.pad, data.brush]);
    if (layout !== this.layout) this.build(data);  // another dataset's pad
    this.layout = layout;
    const { pad } = this, answered = this.commits.answered(data.seq);
    if (answered && data.seq > 0 && heard.at(-1) !== data.seq) heard.push(data.seq);
    if (!pad.strokes.length && data.drawing && data.drawing !== pad.text) pad.show(data.drawing);  // from a link
    if (answered && !data.drawing && !pad.drawing && pad.text) pad.reset();  // the input is a test image or an upload now
  }

  build(data) {
    this.pad = new Pad({ ...data, short: true }, {
      entered: () => publish("drawing-soon", {}),  // the encoders: fetch them now
      changed: (drawing) => publish("drawing", { ...drawing, seq: this.commits.seq + 1 }),  // for the explorer
      settled: (text) => this.commits.send("drawing", { text }),  // the server hears it once per stroke
    });
    this.root.querySelector(".live")?.remove();
    this.root.append(this.pad.element);
  }
}
