// The explorer's code as it moves, for the panels that follow it (the K decodings of Samples): the
// explorer publishes { mu, sigma, encoding, moving } on every input event; a follower subscribes.

const followers = new Set();

export function follow(listener) {  // -> a function that stops following
  followers.add(listener);
  return () => followers.delete(listener);
}

export function publish(code) {
  for (const listener of followers) listener(code);
}
