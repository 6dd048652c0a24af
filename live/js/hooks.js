// What tests and benchmarks read of a page, in one place: globalThis.__live, lists that keep their last 1,000+.
// - timings: per input event on a slider or the map, ms {wait, work, total};
// - settled: per commit the server has answered, {seq, at} (performance.now());
// - drawTimings: per move on the pad, ms {total, encodeDecode};
// - samplesTimings: per redraw of the K decodings (Deterministic vs stochastic), ms;
// - heard: each drawing the server has answered, the pad's seq;
// - code: the explorer's code as it is now, {mu, sigma, encoding} (a drawing's is this page's own encoding).

export const hooks = (globalThis.__live ??= {
  timings: [], settled: [], drawTimings: [], samplesTimings: [], heard: [], code: null,
});

export function record(list, value) {
  list.push(value);
  if (list.length > 2000) list.splice(0, 1000);
}
