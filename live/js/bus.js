// What one mount tells the others on the page, by channel:
// - "code": the explorer's code as it moves, { mu, sigma, aeZ, encoding, moving, drawn }, for the panels that
//   follow it (the K decodings of Samples, the latent map's points);
// - "drawing": the drawing pad's drawing as it is drawn, { x, text, seq, moving, eventTime }, for the explorer;
// - "drawing-soon": a pointer came over the pad, {}: the explorer fetches its encoders now.

const channels = new Map();  // name -> Set of listeners

export function follow(channel, listener) {  // -> a function that stops following
  if (!channels.has(channel)) channels.set(channel, new Set());
  channels.get(channel).add(listener);
  return () => channels.get(channel).delete(listener);
}

export function publish(channel, message) {
  for (const listener of channels.get(channel) ?? []) listener(message);
}
