// Loads the vendored ALTCHA widget (the strict-CSP build has no workers of its own) and gives
// it the one worker our challenges need. Without script none of this runs, and the form still
// works: see the note on the page.
import "./vendor/altcha/altcha.min.js";

globalThis.$altcha.algorithms.set(
  "PBKDF2/SHA-256",
  () => new Worker(new URL("./vendor/altcha/pbkdf2.js", import.meta.url)),
);
