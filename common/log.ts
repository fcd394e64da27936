// Structured JSON logging shared by the dashboard and the agent: one JSON object per line on
// stderr. Secrets never go through here: callers log identifiers, never tokens or kubeconfigs.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: LogLevel = "info";

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const encoder = new TextEncoder();

function errorFields(value: unknown): unknown {
  return value instanceof Error ? { message: value.message, name: value.name } : value;
}

export function logger(base: LogFields = {}): Logger {
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (order[level] < order[threshold]) return;
    const entry: LogFields = { time: new Date().toISOString(), level, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) entry[k] = errorFields(v);
    Deno.stderr.writeSync(encoder.encode(JSON.stringify(entry) + "\n"));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => logger({ ...base, ...fields }),
  };
}

export const log: Logger = logger();
