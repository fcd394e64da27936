// The checkout's (or image's) root directory, for the files the programs read beside their code
// (migrations, the agent's install script and charts, web assets, the PGlite template). Every such
// path is built from PROJECT_ROOT, never from a module's own import.meta.url: the dashboard also
// runs as one bundled file, build/dashboard.js (`deno task bundle`), where every module's
// import.meta.url is the bundle's. This module and the bundle are both one directory below the
// root, so "../" names the root in either form.
export const PROJECT_ROOT: URL = new URL("../", import.meta.url);
