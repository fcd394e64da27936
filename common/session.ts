// The name of the dashboard's session cookie: set by the login handler, read by the API's
// authentication and by the web pages.
export const SESSION_COOKIE = "kd_session";
