// Applies binaryen's import/export renaming to the wasm-bindgen glue.
//
// `wasm-opt --minify-imports-and-exports-and-modules` renames the wasm's
// imports (wasm-bindgen's `__wbg_<name>_<hash>` shims), their module and its
// exports to one- or two-letter names (about 4 KB gzip over the wasm and the
// glue) and prints the old → new map as JSON. This script rewrites the
// (unminified) glue to match, and fails loudly when the glue does not have
// the shape it expects, rather than writing a module that cannot load:
//   - every import is a key `old:` of the glue's import object, exactly once;
//   - the import object is registered once as `"<module>": import0`;
//   - exports are read as `wasm.<old>` only (never by a quoted name).
// It also reads the renamed wasm's import section to check that its imports
// are exactly the renamed ones, from one module, and registers that module.
// Usage: node widget/minify-names.mjs <map.json> <glue.js> <module name> <renamed.wasm>
// (rewrites glue.js in place). Used by widget/build.sh; not shipped.
import { readFileSync, writeFileSync } from "node:fs";

const [mapPath, gluePath, moduleName, wasmPath] = process.argv.slice(2);
if (!mapPath || !gluePath || !moduleName || !wasmPath) {
  console.error("usage: node minify-names.mjs <map.json> <glue.js> <module name> <renamed.wasm>");
  process.exit(2);
}
const fail = (message) => {
  console.error(`[minify-names] error: ${message}`);
  process.exit(1);
};

let map;
try {
  map = JSON.parse(readFileSync(mapPath, "utf8"));
} catch (error) {
  fail(`${mapPath} is not wasm-opt's JSON name map: ${error.message}`);
}
if (!Array.isArray(map.imports) || !Array.isArray(map.exports)) {
  fail(`${mapPath} has no "imports"/"exports" lists`);
}
let glue = readFileSync(gluePath, "utf8");
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The (module, name) pairs of a wasm binary's import section. */
function wasmImports(bytes) {
  let at = 8; // magic + version
  const leb = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return value;
    }
  };
  const name = () => {
    const length = leb();
    const text = new TextDecoder().decode(bytes.subarray(at, at + length));
    at += length;
    return text;
  };
  while (at < bytes.length) {
    const section = bytes[at++];
    const size = leb();
    if (section !== 2) {
      at += size;
      continue;
    }
    const imports = [];
    for (let count = leb(); count > 0; count--) {
      const module = name();
      const field = name();
      const kind = bytes[at++];
      if (kind === 0) leb(); // function: type index
      else if (kind === 1) { at++; const flags = leb(); leb(); if (flags & 1) leb(); } // table
      else if (kind === 2) { const flags = leb(); leb(); if (flags & 1) leb(); } // memory
      else if (kind === 3) at += 2; // global: value type, mutability
      else fail(`unknown import kind ${kind} in ${wasmPath}`);
      imports.push([module, field]);
    }
    return imports;
  }
  return [];
}

const imported = wasmImports(readFileSync(wasmPath));
const modules = new Set(imported.map(([module]) => module));
if (modules.size > 1) fail(`${wasmPath} imports from several modules: ${[...modules]}`);
const renamedModule = [...modules][0] ?? "a";
const expected = new Set(map.imports.map(([, , newName]) => newName));
const actual = new Set(imported.map(([, field]) => field));
if (expected.size !== actual.size || [...actual].some((field) => !expected.has(field))) {
  fail(`${wasmPath}'s imports are not the ones in ${mapPath}`);
}

for (const [module, oldName, newName] of map.imports) {
  if (module !== moduleName) {
    fail(`import ${module}.${oldName} is not from ${moduleName}`);
  }
  const key = new RegExp(`(?<![\\w$])${escape(oldName)}(?=\\s*:)`, "g");
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) {
    fail(`import ${oldName} is a key of the glue's import object ${found} times, not once`);
  }
  glue = glue.replace(key, newName);
}
// The module is renamed too (read back from the wasm above).
const registration = new RegExp(`"${escape(moduleName)}"\\s*:\\s*import0`, "g");
if ((glue.match(registration)?.length ?? 0) !== 1) {
  fail(`the glue does not register its imports once as "${moduleName}": import0`);
}
glue = glue.replace(registration, `"${renamedModule}": import0`);

for (const [oldName, newName] of map.exports) {
  const access = new RegExp(`\\bwasm\\.${escape(oldName)}(?![\\w$])`, "g");
  glue = glue.replace(access, `wasm.${newName}`);
  // Same-named local JS functions are fine; a quoted name would be a read
  // of the export this script cannot see.
  if (new RegExp(`["'\`]${escape(oldName)}["'\`]`).test(glue)) {
    fail(`export ${oldName} is named in a string in the glue`);
  }
}
writeFileSync(gluePath, glue);
console.error(
  `[minify-names] renamed ${map.imports.length} imports, ${map.exports.length} exports, module -> ${renamedModule}`,
);
