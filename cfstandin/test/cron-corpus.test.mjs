// The stand-in reads cron triggers as the operator does: both run testdata/cron/corpus.json (the operator in
// CronCorpusTest). Valid cases fire at the listed instants; invalid and unsupported ones are refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CronError, nextFiring, parseCron } from "../src/runtime/cron.mjs";

const corpus = JSON.parse(readFileSync(new URL("../../testdata/cron/corpus.json", import.meta.url), "utf8"));

describe("the shared cron corpus", () => {
  it("has cases of each kind", () => {
    assert.ok(corpus.valid.cases.length >= 20 && corpus.invalid.cases.length >= 20 && corpus.unsupported.cases.length > 0);
  });

  for (const c of corpus.valid.cases) {
    it(`fires ${JSON.stringify(c.cron)} at the listed instants (${c.why})`, () => {
      const cron = parseCron(c.cron);
      const fired = [];
      let at = Date.parse(c.from);
      for (let i = 0; i < c.next.length; i++) {
        at = nextFiring(cron, at);
        fired.push(at === null ? null : new Date(at).toISOString().replace(".000Z", "Z"));
      }
      assert.deepEqual(fired, c.next);
    });
  }

  for (const kind of ["invalid", "unsupported"]) {
    for (const c of corpus[kind].cases) {
      it(`refuses ${JSON.stringify(c.cron)} (${kind}: ${c.why})`, () => {
        assert.throws(() => parseCron(c.cron), (e) => e instanceof CronError && e.message.length > 0);
      });
    }
  }
});
