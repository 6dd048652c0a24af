// The explorer's drawing pad: the pad (pad.js) as a mode of the component. On every move the drawing,
// converted as an upload of the dataset is, goes to the explorer (bus.js), which encodes it with both
// encoders and redraws everything; when a stroke ends (or on Undo and Clear) the explorer tells the server the
// drawing: its commit reruns the explorer's fragment, as a slider's release does. The pad itself sends nothing;
// the link holds its drawing.

import { publish } from "./bus.js";
import { dock } from "./dock.js";
import { addToLink } from "./link.js";
import { Mode } from "./mode.js";
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

export class DrawPad extends Mode {
  constructor(root) {
    super(root);
    this.pad = null;
    this.seq = 0;  // settled drawings handed over
    this.last = null;  // the pad's drawing as it was last converted
    // the link's draw=: this drawing; none once the pad is emptied ("") before the server has heard it
    this.own(addToLink(() => {
      const text = this.pad?.text;
      return { draw: text === "" ? null : text ?? undefined };
    }));
  }

  /** @param {DrawData} data */
  show(data) {
    const layout = JSON.stringify([data.shape, data.conversion, data.pad, data.brush]);
    if (layout !== this.layout) this.build(data);  // another dataset's pad
    this.layout = layout;
    const { pad } = this, heard = data.seq >= this.seq;  // the server has heard the pad's last drawing
    this.seq = Math.max(this.seq, data.seq);  // a new mount in an old session counts on from the session's
    if (!pad.strokes.length && data.drawing && data.drawing !== pad.text) pad.show(data.drawing);  // from a link
    if (heard && !data.drawing && !pad.drawing && pad.text) pad.reset();  // the input is a test image or an upload now
  }

  build(data) {
    this.pad = new Pad({ ...data, short: true }, {
      entered: () => publish("drawing-soon", {}),  // the encoders: fetch them now
      changed: (drawing) => {  // for the explorer, as it is drawn
        this.last = drawing;
        if (drawing.moving) publish("drawing", { ...drawing, seq: this.seq + 1 });
      },
      settled: (text) => {  // a stroke ended, or Undo or Clear: the explorer encodes it and tells the server
        this.seq += 1;
        publish("drawing", { x: text ? this.last.x : null, text, seq: this.seq, moving: false });
      },
    });
    this.place(this.pad.element);
    this.own(dock(this.pad.element, this.root));  // on a phone, on the page under the pictures
  }
}
