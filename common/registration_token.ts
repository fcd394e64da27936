// How a registration token is shown beside the agent install commands, in the same words in the
// web UI's dialogs and `deno task token create` (no dependencies: the browser bundle imports it).

/** How the registration token is shown next to the commands (the dialogs and `deno task token`). */
export const TOKEN_TITLE = "Registration token";

/** How to pass the token to the commands, in the same words everywhere it is shown. */
export const TOKEN_HINT =
  "It is not in the commands, so it stays out of shell history and ps. Paste it when the install " +
  "script asks for it, or save it to a file and set DASHBOARD_TOKEN_FILE=/path/to/file (the Helm " +
  "command reads it from there).";
