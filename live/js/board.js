// The class board, the teacher's side (panels/board.py): the room's code, join address and QR code, and the
// AE's and the VAE's maps with every drawing the class sends, as the room's event stream brings them (no
// rerun of the page). It speaks the board's HTTP contract (shared/DESIGN.md, "Class board"):
// - the room: the one in the link, else the one this browser made for the pair, else a new one (POST
//   /board/rooms); its key stays in this browser's localStorage, so a reload keeps the teacher's powers, and
//   anyone else opening the link (which names the room) watches it read-only;
// - GET /board/<CODE>/events: snapshot, drawing, removed, cleared, locked; EventSource reconnects by itself
//   with Last-Event-ID, so a dropped stream resumes where it stopped;
// - with the key: DELETE /board/<CODE>/drawings/<id>, POST /board/<CODE>/clear, POST /board/<CODE>/lock.
// A drawing's point is its AE code (ae_z) on the AE's map and its mu on the VAE's; the server encoded both.

import { fromPixelsText } from "./convert.js";
import { decodeAt, LABEL_COLOURS } from "./map.js";
import { Mode } from "./mode.js";
import { element, figure, paint, signed } from "./paint.js";
import { loaded } from "./store.js";

/**
 * What live/component.py's board_ui sends (BoardData there, field by field).
 * @typedef {Object} BoardData
 * @property {"board"} mode
 * @property {string} server
 * @property {string} pair  the pair's slug: the room is made for it
 * @property {ModelRef} ae
 * @property {ModelRef} vae
 * @property {number[]} dims  the maps' two dimensions
 * @property {string[]} label_names  what the judge's digits are called, by index
 * @property {number[]} shape  [C, H, W]
 * @property {string} room  the room's code; "" until this browser has made or found one
 * @property {string} join  the room's absolute join address; "" without a room
 * @property {string} join_note  why students cannot reach join as it is, and what to do; or ""
 * @property {string} qr  the QR code of join, <svg> markup made on the server
 */

const MAP_PX = 440;  // each map's canvas, in its own pixels
const THUMB_PX = 30;
const NEAR_PX = 12;  // a click this close to a point picks it
const KEY = (code) => `board-key:${code}`, MADE = (pair) => `board-room:${pair}`;  // localStorage

export class Board extends Mode {
  constructor(root) {
    super(root);
    this.own(() => this.stream?.close());
    this.drawings = new Map();  // id -> { id, ae_z, mu, sigma, shape, input, digit, participant, ... }
    this.thumbs = new Map();  // id -> a canvas of its drawing
    this.locked = false;
    this.picked = null;  // { id } or { point }: what the detail shows
  }

  /** @param {BoardData} data */
  needs(data) {
    return ["ae", "vae"].map((which) => [data[which].decoder, "decoder", `the decoder of ${data[which].name}`]);
  }

  async show(data, problem) {
    if (problem) return this.message(problem.message);
    this.data = data;
    if (!data.room) {
      if (!this.finding) this.message("Making a room for this pair…");
      return this.findRoom(data);
    }
    if (this.opened !== `${data.room} ${data.pair}` && !(await this.open(data))) return;
    this.header(data);
  }

  message(text) {
    this.problem("board", text);
    this.opened = null;
  }

  async findRoom(data) {
    // the room this browser made for the pair, if the server still has it; else a new one
    if (this.finding) return;
    this.finding = true;
    let code = localStorage.getItem(MADE(data.pair));
    if (!code || !localStorage.getItem(KEY(code)) || !(await fetch(`/board/${code}/room`).then((r) => r.ok, () => false))) {
      code = await this.makeRoom(data.pair);
    }
    this.finding = false;
    if (code) this.api.setStateValue("room", { code });  // the page's link names it from now on
  }

  async makeRoom(pair) {
    let response;
    try {
      response = await fetch("/board/rooms", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ pair }) });
    } catch (error) {
      this.message(`A room could not be made: the server could not be reached (${error.message}). Reload the page.`);
      return null;
    }
    if (response.status !== 201) {
      this.message(`A room could not be made: ${await sentence(response)}`);
      return null;
    }
    const { code, key } = await response.json();
    localStorage.setItem(KEY(code), key);
    localStorage.setItem(MADE(pair), code);
    return code;
  }

  async open(data) {
    // the room named by the page: its state, its stream, and the page's elements for it; false if there are none
    this.stream?.close();
    [this.room, this.opened] = [data.room, null];
    this.key = localStorage.getItem(KEY(data.room));
    const response = await fetch(`/board/${data.room}/room`).catch(() => null);
    const room = response?.ok ? await response.json() : {};
    if ((response?.status === 404 && this.key) || (room.pair && room.pair !== data.pair)) {
      // ours, closed after 2 h idle, or a room for another pair (the sidebar's changed): this pair's own room
      this.findRoom({ ...data, room: "" });
      return false;
    }
    if (response?.status === 404) {
      this.message(`Room ${data.room} is gone: a board closes 2 hours after its last activity. Remove board= ` +
        "from the address to make a room of your own.");
      return false;
    }
    this.locked = Boolean(room.locked);
    this.drawings.clear();
    this.thumbs.clear();
    this.picked = null;
    this.build(data);
    this.opened = `${data.room} ${data.pair}`;  // and its maps are this pair's
    this.stream = new EventSource(`/board/${data.room}/events`);
    this.stream.addEventListener("open", () => this.live(true));
    this.stream.addEventListener("error", () => this.live(false));
    for (const type of ["snapshot", "drawing", "removed", "cleared", "locked", "store"]) {
      this.stream.addEventListener(type, (event) => this.heard(type, JSON.parse(event.data || "null")));
    }
    return true;
  }

  heard(type, message) {
    if (type === "snapshot") {
      this.drawings.clear();
      for (const d of Array.isArray(message) ? message : message.drawings) this.drawings.set(d.id, d);
      if (typeof message?.locked === "boolean") this.locked = message.locked;
    } else if (type === "drawing") this.drawings.set(message.id, message);
    else if (type === "removed") this.drawings.delete(message.id);
    else if (type === "cleared") this.drawings.clear();
    else if (type === "locked") this.locked = message.locked;
    else if (type === "store") {  // the server lost its store: the board is as it was, until it is back
      this.el.live.textContent = message.reachable ? "Live: drawings appear as they are sent."
        : `The board's store cannot be reached (${message.error}); drawings cannot be sent until it is back.`;
    }
    if (this.picked?.id !== undefined && !this.drawings.has(this.picked.id)) this.picked = null;
    this.redraw();
  }

  live(connected) {
    this.el.live.textContent = connected ? "Live: drawings appear as they are sent."
      : "Reconnecting to the room… (drawings sent meanwhile arrive when it is back)";
  }

  build(data) {
    const [a, b] = data.dims;
    const root = element("div", { class: "live board" });
    const el = this.el = {
      code: element("div", { class: "code", "data-testid": "board-code" }),
      join: element("a", { class: "join", "data-testid": "board-join-url", target: "_blank", rel: "noopener" }),
      note: element("p", { class: "message", hidden: "" }),
      qr: element("div", { class: "qr", "data-testid": "board-qr", role: "img" }),
      count: element("div", { class: "count", "data-testid": "board-count", "aria-live": "polite" }),
      live: element("div", { class: "caption" }),
      detail: element("div", { class: "detail" }),
      buttons: element("div", { class: "buttons" }),
    };
    const legend = element("div", { class: "legend" }, "Colour: the digit the project's judge (vae.judge) reads in each drawing:",
      ...data.label_names.map((name, i) => element("span", {}, element("i", { style: `background:${LABEL_COLOURS[i % 10]}` }), name)),
      element("span", {}, element("i", { style: "background:#999" }), "not read"),
      element("span", {}, "Dashed, on the VAE's map: the prior N(0, I) at 1 and 2 sigma."));
    this.show = element("button", { type: "button", "aria-pressed": "false" }, "Show drawings");
    this.show.addEventListener("click", () => {
      this.show.setAttribute("aria-pressed", String(this.show.getAttribute("aria-pressed") !== "true"));
      this.redraw();
    });
    el.buttons.append(this.show);
    if (this.key) {
      this.lock = element("button", { type: "button" }, "Lock board");
      this.lock.addEventListener("click", () => this.act("lock", { locked: !this.locked }));
      const clear = element("button", { type: "button" }, "Clear board");
      clear.addEventListener("click", () => confirm("Remove every drawing from the board?") && this.act("clear"));
      el.buttons.append(this.lock, clear);
    } else {
      el.buttons.append(element("span", { class: "caption" }, "Read-only: only the browser that made this room can lock, " +
        "clear it or remove a drawing."));
    }
    const maps = element("div", { class: "maps" });
    this.maps = ["ae", "vae"].map((which) => {
      const dim = loaded(data[which].decoder).card.latent_dim;
      const title = which === "ae" ? `AE: z = f(y) (${data.ae.name})` : `VAE: mu (${data.vae.name})`;
      const canvas = element("canvas", { width: MAP_PX, height: MAP_PX, "data-testid": `board-${which}`, class: "plane",
        role: "img", "aria-label": `${title}, axes z${a} and z${b}: click a point, or between points` });
      canvas.addEventListener("click", (event) => this.click(m, event));
      const m = { which, canvas, extent: [-2.5, 2.5, -2.5, 2.5] };
      const axes = dim > 2 ? `across z${a}, up z${b} (of D=${dim})` : `across z${a}, up z${b}`;
      maps.append(element("div", {}, element("div", { class: "title" }, title, " ", element("span", { class: "caption" }, axes)),
        canvas));
      return m;
    });
    root.append(
      element("div", { class: "top" },
        element("div", { class: "join-box" }, element("div", { class: "caption" }, "Join at"), el.join,
          element("div", { class: "caption" }, "with the code"), el.code, el.note),
        el.qr,
        element("div", { class: "side" }, el.count, el.live, el.buttons)),
      legend, maps, el.detail);
    this.place(root);
  }

  header(data) {
    const { el } = this;
    el.code.textContent = data.room;
    const shown = data.join.replace(/^https?:\/\//, "");  // typed by hand: a line breaks only after a "/"
    el.join.replaceChildren(...shown.split(/(?<=\/)/).flatMap((part, i) => (i ? [element("wbr"), part] : [part])));
    el.join.href = data.join;
    el.note.textContent = data.join_note;
    el.note.hidden = !data.join_note;
    if (el.qr.dataset.for !== data.join) {
      el.qr.innerHTML = data.qr;  // the server's own markup (segno), scaled by its viewBox
      el.qr.dataset.for = data.join;
      el.qr.setAttribute("aria-label", `QR code of ${data.join}`);
    }
    this.redraw();
  }

  async act(what, body) {
    // a teacher's action, with the room's key; the stream brings its effect
    const response = await fetch(`/board/${this.room}/${what}`, { method: "POST", headers: { "content-type": "application/json",
      "x-board-key": this.key }, body: JSON.stringify(body ?? {}) }).catch(() => null);
    if (!response?.ok) this.say(`Not done: ${response ? await sentence(response) : "the server could not be reached."}`);
    else if (what === "lock") {
      this.locked = body.locked;  // at once, as the stream's event will say too
      this.redraw();
    }
  }

  async remove(id) {
    const response = await fetch(`/board/${this.room}/drawings/${encodeURIComponent(id)}`, { method: "DELETE",
      headers: { "x-board-key": this.key } }).catch(() => null);
    if (!response?.ok) this.say(`Not removed: ${response ? await sentence(response) : "the server could not be reached."}`);
  }

  say(text) {
    this.el.detail.replaceChildren(element("p", { class: "message", role: "alert" }, text));
  }

  redraw() {
    if (!this.maps || !this.data) return;
    const drawings = [...this.drawings.values()];
    const people = new Set(drawings.map((d) => d.participant)).size;
    this.el.count.textContent = `${drawings.length} drawing${drawings.length === 1 ? "" : "s"} from ${people} ` +
      `participant${people === 1 ? "" : "s"}${this.locked ? ". Locked: no new drawings." : ""}`;
    if (this.lock) this.lock.textContent = this.locked ? "Unlock board" : "Lock board";
    const thumbs = this.show.getAttribute("aria-pressed") === "true";
    const [a, b] = this.data.dims;
    for (const m of this.maps) {
      const points = drawings.flatMap((d) => [this.code(m, d)[a], this.code(m, d)[b]]);
      const half = Math.max(2.5, ...points.map(Math.abs)) * 1.12;  // the prior's 2.5 sigma, and every point
      m.extent = [-half, half, -half, half];
      const g = m.canvas.getContext("2d");
      g.fillStyle = "#fff";
      g.fillRect(0, 0, MAP_PX, MAP_PX);
      axes(g, m.extent);
      if (m.which === "vae") circles(g, m.extent);
      for (const d of drawings) {
        const [x, y] = toPixel(m.extent, this.code(m, d)[a], this.code(m, d)[b]);
        const colour = Number.isInteger(d.digit) ? LABEL_COLOURS[d.digit % 10] : "#999";
        if (thumbs) {
          g.drawImage(this.thumb(d), x - THUMB_PX / 2, y - THUMB_PX / 2, THUMB_PX, THUMB_PX);
          g.strokeStyle = colour;
          g.lineWidth = 3;
          g.strokeRect(x - THUMB_PX / 2, y - THUMB_PX / 2, THUMB_PX, THUMB_PX);
        } else {
          g.fillStyle = colour;
          g.strokeStyle = "#fff";
          g.lineWidth = 1.5;
          g.beginPath();
          g.arc(x, y, 9, 0, 2 * Math.PI);
          g.fill();
          g.stroke();
        }
        if (this.picked?.id === d.id) ring(g, x, y);
      }
      if (this.picked?.point) ring(g, ...toPixel(m.extent, ...this.picked.point));  // the same place on both maps
    }
    this.detail();
  }

  code(m, d) {  // a drawing's code on map m: the AE's z, or the VAE's mu
    return m.which === "ae" ? d.ae_z : d.mu;
  }

  thumb(d) {
    if (!this.thumbs.has(d.id)) {
      const canvas = element("canvas");
      paint(canvas, fromPixelsText(d.input), d.shape);
      this.thumbs.set(d.id, canvas);
    }
    return this.thumbs.get(d.id);
  }

  click(m, event) {
    const box = m.canvas.getBoundingClientRect(), scale = MAP_PX / box.width;
    const [px, py] = [(event.clientX - box.left) * scale, (event.clientY - box.top) * scale];
    const [a, b] = this.data.dims;
    let best = null, bestDistance = NEAR_PX * scale;
    for (const d of this.drawings.values()) {
      const [x, y] = toPixel(m.extent, this.code(m, d)[a], this.code(m, d)[b]);
      const distance = Math.hypot(x - px, y - py);
      if (distance < bestDistance) [best, bestDistance] = [d, distance];
    }
    const [x0, x1, y0, y1] = m.extent;
    this.picked = best ? { id: best.id } : { point: [x0 + (px / MAP_PX) * (x1 - x0), y1 - (py / MAP_PX) * (y1 - y0)] };
    this.redraw();
  }

  detail() {
    // what the teacher picked: a drawing (its input and both reconstructions), or a place on a map decoded there
    const { data, picked } = this, [a, b] = data.dims;
    const ae = loaded(data.ae.decoder), vae = loaded(data.vae.decoder);
    if (!picked) {
      this.el.detail.replaceChildren(element("p", { class: "caption" }, "Click a point to see its drawing and both " +
        "reconstructions; click between points to decode there with both models."));
      return;
    }
    const pictures = [];
    let text;
    if (picked.id !== undefined) {
      const d = this.drawings.get(picked.id);
      pictures.push(["board-pick-input", "The drawing, as the models read it", fromPixelsText(d.input), d.shape],
        ["board-pick-ae", "The AE's reconstruction", fromPixelsText(d.ae), d.shape],
        ["board-pick-vae", "The VAE's decoding of mu", fromPixelsText(d.vae_mu), d.shape]);
      text = `AE z${a} = ${signed(d.ae_z[a])}, z${b} = ${signed(d.ae_z[b])}; VAE mu${a} = ${signed(d.mu[a])}, ` +
        `mu${b} = ${signed(d.mu[b])}.` + (Number.isInteger(d.digit) ? ` The judge reads a ${data.label_names[d.digit]}.` : "");
    } else {
      // a place between points: both decoders there; the other dimensions at the board's mean code
      const point = picked.point;
      for (const which of ["ae", "vae"]) {
        const codes = [...this.drawings.values()].map((d) => (which === "ae" ? d.ae_z : d.mu));
        const z = meanCode(codes, ae.card.latent_dim);
        [z[a], z[b]] = point;
        pictures.push([`board-pick-${which}`, `The ${which.toUpperCase()} decodes z${a} = ${signed(point[0])}, ` +
          `z${b} = ${signed(point[1])}`, decodeAt(which === "ae" ? ae : vae, z), data.shape]);
      }
      text = "The same place on both maps, decoded by each model" + (ae.card.latent_dim > 2
        ? "; the other dimensions at the mean of the board's codes on that model's map (0 on an empty board)." : ".");
    }
    const row = element("div", { class: "pictures" });
    for (const [testId, caption, values, shape] of pictures) {
      const { box, canvas } = figure(testId, caption);
      paint(canvas, values, shape);
      row.append(box);
    }
    const children = [row, element("p", { class: "caption" }, text)];
    if (picked.id !== undefined && this.key) {
      const remove = element("button", { type: "button" }, "Remove");
      remove.addEventListener("click", () => this.remove(picked.id));
      children.push(remove);
    }
    this.el.detail.replaceChildren(...children);
  }
}

function meanCode(codes, dim) {  // (dim,): the mean of the codes, or the prior's mean without any
  const z = new Array(dim).fill(0);
  for (const code of codes) code.forEach((v, d) => { z[d] += v / codes.length; });
  return z;
}

async function sentence(response) {  // the server's sentence for a refusal
  try {
    return (await response.json()).error ?? `the server answered ${response.status}.`;
  } catch {
    return `the server answered ${response.status}.`;
  }
}

function axes(g, extent) {
  const [cx, cy] = toPixel(extent, 0, 0);
  g.strokeStyle = "#ddd";
  g.lineWidth = 1;
  g.setLineDash([]);
  g.beginPath();
  g.moveTo(0, cy);
  g.lineTo(MAP_PX, cy);
  g.moveTo(cx, 0);
  g.lineTo(cx, MAP_PX);
  g.stroke();
}

function circles(g, extent) {  // the prior N(0, I) at 1 and 2 sigma
  const [cx, cy] = toPixel(extent, 0, 0);
  g.strokeStyle = "#222";
  g.lineWidth = 1.5;
  g.setLineDash([6, 5]);
  for (const r of [1, 2]) {
    const [ex] = toPixel(extent, r, 0);
    g.beginPath();
    g.arc(cx, cy, ex - cx, 0, 2 * Math.PI);
    g.stroke();
  }
  g.setLineDash([]);
}

function ring(g, x, y) {
  g.strokeStyle = "#000";
  g.lineWidth = 3;
  g.beginPath();
  g.arc(x, y, 13, 0, 2 * Math.PI);
  g.stroke();
}

function toPixel([x0, x1, y0, y1], x, y) {
  return [((x - x0) / (x1 - x0)) * MAP_PX, ((y1 - y) / (y1 - y0)) * MAP_PX];
}
