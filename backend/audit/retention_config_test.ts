// AUDIT_RETENTION_DAYS (and its flag): whole days from 1 to 3650, 90 when unset, a clear error
// otherwise.
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config.ts";

Deno.test("AUDIT_RETENTION_DAYS: default, bounds, flag", () => {
  // [env value, flag value, days or null for an error]
  const cases: Array<[string | undefined, string | undefined, number | null]> = [
    [undefined, undefined, 90],
    ["", undefined, 90],
    ["1", undefined, 1],
    ["365", undefined, 365],
    ["3650", undefined, 3650],
    ["0", undefined, null],
    ["3651", undefined, null],
    ["-5", undefined, null],
    ["7.5", undefined, null],
    ["ninety", undefined, null],
    ["30", "7", 7],
    [undefined, "0", null],
  ];
  for (const [env, flag, want] of cases) {
    const label = `env ${env} flag ${flag}`;
    const load = () =>
      loadConfig(
        { AUDIT_RETENTION_DAYS: env },
        flag === undefined ? [] : [`--audit-retention-days=${flag}`],
      );
    if (want === null) {
      assert.throws(
        load,
        (err: unknown) =>
          err instanceof ConfigError &&
          /AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 3650/.test(err.message),
        label,
      );
    } else {
      assert.equal(load().auditRetentionDays, want, label);
    }
  }
});
