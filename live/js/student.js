// The class board's student page (routes/board/student.html, at /board/<CODE>): the pad (pad.js, the
// explorer's own conversion), "Send to the board", and what the server made of the drawing. It speaks the
// board's HTTP contract (shared/DESIGN.md, "Class board") and nothing else: no Streamlit, no websocket.
// - GET /board/<CODE>/room -> { pair, shape, conversion, pad, brush, locked }: the room's pair and its pad, and
//   every 5 s while the page is seen, whether the teacher has locked the board (Send waits while it is);
// - POST /board/<CODE>/drawings { participant, seq, draw } -> 201 { id, ae_z, mu, sigma, shape, input, ae,
//   vae_mu, ... }: the input the server encoded, the AE's reconstruction and the VAE's decoding of mu, each a
//   picture of shape [C, H, W] as the server sends it (convert.js fromPixelsText), so the page needs no model
//   (a decoder's weights are 1.5 MB for MNIST; a first visit here is a few tens of KB).
// The participant is a random id this browser keeps; seq counts its sends, and a send that failed on the
// way is sent again with the same seq, so the server adds it once. A drawing the board took is cleared from the
// pad; the pictures under it stay those of the last drawing the board took.

import { fromPixelsText } from "./convert.js";
import { Pad } from "./pad.js";
import { paint } from "./paint.js";

const PARTICIPANT = "board-participant", SEQ = "board-seq";  // localStorage keys
const RETRIES = [1, 2, 4, 8];  // s: waits before sending a send that failed on the way again
const POLL_S = 5;  // s: how often a page in view asks whether the board is locked
const LOCKED = "The teacher has locked the board.";
const GONE = "This room is gone (a board closes 2 hours after its last activity). Ask your teacher for the new code.";
const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).at(-1) ?? "").toUpperCase();
const base = `/board/${encodeURIComponent(code)}`;
const page = {
  room: document.querySelector("[data-testid=board-room]"),
  pad: document.querySelector(".pad"),
  send: document.querySelector(".send"),
  status: document.querySelector("[data-testid=board-status]"),
  answer: document.querySelector(".answer"),
};

function participant() {
  // 22 characters of A-Z a-z 0-9 _ - (132 random bits), kept: a reload or a phone waking is the same person
  let id = localStorage.getItem(PARTICIPANT);
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    id = Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => alphabet[b & 63]).join("");
    localStorage.setItem(PARTICIPANT, id);
  }
  return id;
}

function nextSeq() {  // this browser's sends, counted across reloads
  const seq = Number(localStorage.getItem(SEQ) ?? -1) + 1;
  localStorage.setItem(SEQ, String(seq));
  return seq;
}

const say = (sentence) => { page.status.textContent = sentence; };

async function errorOf(response) {  // the server's sentence, if it sent one
  try {
    return (await response.json()).error ?? "";
  } catch {
    return "";
  }
}

class Student {
  constructor(room) {
    this.room = room;
    this.pending = null;  // { seq, draw }: the send under way, or the last one that failed on the way
    this.pad = new Pad(room, { settled: () => this.drawn() });
    page.pad.append(this.pad.element);
    page.send.addEventListener("click", () => this.send());
    [this.locked, this.gone] = [false, false];  // gone: the room is no more (a look found it deleted)
    page.send.disabled = false;
    say("Draw a digit (with a finger, a pen or the mouse), then press Send to the board.");
    this.lockedNow(Boolean(room.locked));
    setInterval(() => document.visibilityState === "visible" && this.poll(), POLL_S * 1000);
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && this.poll());
  }

  async poll() {
    // whether the teacher has locked the board since; a failed look changes nothing (a send says why)
    if (this.gone) return;
    const response = await fetch(`${base}/room`).catch(() => null);
    if (response?.status === 404) {
      this.gone = true;
      page.send.disabled = true;
      return say(GONE);
    }
    if (response?.ok) this.lockedNow(Boolean((await response.json()).locked));
  }

  lockedNow(locked) {  // Send waits while the board is locked, and the page says why
    if (locked === this.locked) return;
    this.locked = locked;
    page.send.disabled = this.busy || locked;
    if (locked) say(LOCKED);
    else if (page.status.textContent === LOCKED) this.drawn();
  }

  drawn() {
    if (!this.busy && !this.locked) say(this.pad.text ? "Press Send to the board when your digit is ready." : "The pad is empty.");
  }

  async send(attempt = 0) {
    const draw = this.pad.text;
    if (!draw) return say("Draw a digit first: the pad is empty.");
    if (this.pending?.draw !== draw) this.pending = { seq: nextSeq(), draw };  // a new drawing: a new seq
    const { seq } = this.pending;
    this.busy = true;
    page.send.disabled = true;
    say("Sending…");
    let response;
    try {
      response = await fetch(`${base}/drawings`, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ participant: participant(), seq, draw }) });
    } catch {
      response = null;  // the network: the server may or may not have it, and the same seq makes that safe
    }
    if (response?.status === 201) {
      this.pending = null;
      this.show(await response.json());
      this.pad.clear();  // while busy: the pad's news does not overwrite the sentence below
      this.busy = false;
      page.send.disabled = this.locked || this.gone;
      return say("Your drawing is on the board. Draw another and send it: the board keeps your newest 5.");
    }
    this.busy = false;
    page.send.disabled = this.locked || this.gone;
    if (!response || response.status === 503 || response.status >= 500) {
      if (attempt < RETRIES.length && this.pending?.seq === seq) {
        say(`The board could not be reached; trying again in ${RETRIES[attempt]} s.`);
        return setTimeout(() => this.pending?.seq === seq && this.send(attempt + 1), RETRIES[attempt] * 1000);
      }
      return say("The board could not be reached. Check the Wi-Fi, then press Send to the board again.");
    }
    say(await this.refused(response));
  }

  async refused(response) {
    // a sentence for the send the server refused: why, and what to do
    const sentence = await errorOf(response);
    if (response.status === 423) {
      this.lockedNow(true);
      return LOCKED;  // cleared, and Send pressable again, when the board is unlocked
    }
    if (response.status === 429) {  // too fast, or the board is full: the server says which, and for how long
      const wait = Math.max(1, Math.ceil(Number(response.headers.get("retry-after")) || 2));
      const at = new Date(Date.now() + wait * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
      return `Not sent. ${sentence || "Too many drawings at once."} Send again after ${at}.`;
    }
    this.pending = null;  // refused for good: the next send is a new one
    if (response.status === 404) return `Not sent. ${GONE}`;
    return `Not sent. ${sentence || `The server answered ${response.status}.`}`;
  }

  show(answer) {
    for (const [testId, text] of [["input-image", answer.input], ["decode-ae", answer.ae], ["decode-vae-mu", answer.vae_mu]]) {
      paint(page.answer.querySelector(`[data-testid=${testId}]`), fromPixelsText(text), answer.shape);
    }
    page.answer.hidden = false;
  }
}

async function start() {
  page.room.textContent = code;
  document.title = `Class board ${code}: draw a digit`;
  let response;
  try {
    response = await fetch(`${base}/room`);
  } catch {
    return say("The board could not be reached. Check the Wi-Fi, then reload this page.");
  }
  if (response.status === 404) return say(await errorOf(response));  // the server says why: no such room, or gone
  if (!response.ok) return say(`The room could not be opened: ${(await errorOf(response)) || `the server answered ${response.status}.`}`);
  new Student(await response.json());
}

start();
