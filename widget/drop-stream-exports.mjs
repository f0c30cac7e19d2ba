// Drops the `IntoUnderlying*` stream classes from the wasm-bindgen glue.
//
// wasm-streams (in Leptos's graph through server_fn, which this CSR widget
// never calls) exports three classes to JavaScript; nothing on a page uses
// them. build.sh removes their wasm exports (`wasm-opt --remove-exports`),
// so wasm-opt can drop the code behind them, and this script removes their
// JavaScript: each `export class IntoUnderlying… { … }` with its
// `Symbol.dispose` line and its `…Finalization` registry. It fails loudly
// when the glue has another shape, or when anything else still names them.
// Usage: node widget/drop-stream-exports.mjs <glue.js> (rewrites it in place).
// Used by widget/build.sh; not shipped.
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath] = process.argv.slice(2);
if (!gluePath) {
  console.error("usage: node drop-stream-exports.mjs <glue.js>");
  process.exit(2);
}
const fail = (message) => {
  console.error(`[drop-stream-exports] error: ${message}`);
  process.exit(1);
};

let glue = readFileSync(gluePath, "utf8");
const classes = [...glue.matchAll(/^export class (IntoUnderlying\w+) \{$/gm)].map((m) => m[1]);
for (const name of classes) {
  const body = new RegExp(
    `^export class ${name} \\{\\n[\\s\\S]*?^\\}\\n(?:if \\(Symbol\\.dispose\\) ${name}\\.prototype\\[Symbol\\.dispose\\] = ${name}\\.prototype\\.free;\\n)?`,
    "m",
  );
  const registry = new RegExp(
    `^const ${name}Finalization = \\(typeof FinalizationRegistry === 'undefined'\\)\\n[^\\n]*\\n[^\\n]*;\\n`,
    "m",
  );
  if (!body.test(glue)) fail(`class ${name} is not in the expected shape`);
  if (!registry.test(glue)) fail(`${name}Finalization is not in the expected shape`);
  glue = glue.replace(body, "").replace(registry, "");
}
if (/IntoUnderlying|intounderlying/.test(glue)) {
  fail("the glue still names an IntoUnderlying export after dropping its classes");
}
writeFileSync(gluePath, glue);
console.error(`[drop-stream-exports] dropped ${classes.length} classes: ${classes.join(", ") || "none"}`);
