// Loads the console's wasm; its start function mounts the app into <body>.
import init from "./leadform_console.js";
init({ module_or_path: new URL("leadform_console_bg.wasm", import.meta.url) });
