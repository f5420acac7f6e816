// A test file's one set-up (a bundle, a host), made once before its tests.
import { afterAll, beforeAll } from "vitest";

/**
 * Runs `setup` once before the file's tests and returns a getter for its result. When the set-up fails, the getter
 * throws its error, so every test fails with that message (a missing runtime must not look like a skip).
 * `tearDown` runs after the tests on a result that was made.
 */
export function setUpOnce<T>(setup: () => Promise<T>, opts: { timeoutMs?: number; tearDown?: (made: T) => unknown } = {}): () => T {
  let outcome: { made: T } | { error: unknown } | undefined;
  beforeAll(async () => {
    try {
      outcome = { made: await setup() };
    } catch (error) {
      outcome = { error };
    }
  }, opts.timeoutMs);
  const { tearDown } = opts;
  if (tearDown) {
    afterAll(async () => {
      if (outcome && "made" in outcome) await tearDown(outcome.made);
    });
  }
  return () => {
    if (!outcome) throw new Error("setUpOnce: the set-up has not run (call the getter inside a test)");
    if ("error" in outcome) throw outcome.error;
    return outcome.made;
  };
}
