// node tests/js/run.mjs < request.json: runs one of the browser's DOM-free modules on the request's
// inputs and prints the answer as JSON, for the Python tests to compare with torch.
//   {"module": "model.js", "call": "forward", "file": "path.safetensors", "x": [[...]], "z": [[...]]}
//   {"module": "model.js", "call": "klPerDim" | "reconstructionNats" | "lossVaeLine" | "readError", "args": [...]}
import { readFileSync } from "node:fs";

const request = JSON.parse(readFileSync(0, "utf8"));
const code = await import(new URL(`../../live/js/${request.module}`, import.meta.url));

const CALLS = {
  forward: ({ file, x, z }) => {
    const read = code.readSafetensors(new Uint8Array(readFileSync(file)));
    const model = code.makeDecoder(read), encode = code.makeEncoder(read);
    const pixels = (logits) => Array.from(logits, code.sigmoid);
    const encoded = x.map((image) => encode(image));
    return {
      mu: encoded.map((e) => e.mu),
      logSigma: encoded.map((e) => e.logSigma),
      decoded: z.map((one) => pixels(model.decodeLogits(one))),
      // each z with the next as a pair: a mu move decodes z and mu in one pass
      pairs: z.map((one, i) => model.decodePair(one, z[(i + 1) % z.length]).map(pixels)),
    };
  },
  klPerDim: ({ args }) => code.klPerDim(...args),
  reconstructionNats: ({ args }) => code.reconstructionNats(...args),
  lossVaeLine: ({ args }) => code.lossVaeLine(...args),
  readError: ({ args: [hex] }) => {
    try {
      code.makeDecoder(code.readSafetensors(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16))));
      return "read";
    } catch (error) {
      return error.message;
    }
  },
};

process.stdout.write(JSON.stringify(CALLS[request.call](request)));
