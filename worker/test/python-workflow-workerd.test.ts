// pymode.parallel / pymode.workflows on real python.wasm in workerd: PythonDO's ctx.storage,
// Durable Object alarms, and tasks fanned out to ThreadDO instances.
import { afterAll, beforeAll, describe } from "vitest";
import { startBundle, WorkerdHandle } from "./helpers/workerd";
import { bundleWorkflowApp, defineWorkflowScenarios, WfHost } from "./helpers/workflow-scenarios";

let h: WorkerdHandle | undefined;
let host: WfHost | undefined;
let setupError: unknown;

beforeAll(async () => {
  try {
    h = await startBundle(await bundleWorkflowApp());
    const w = h;
    host = { fetch: (path, init) => fetch(new URL(path, w.url), init), logs: () => w.logs };
  } catch (e) {
    setupError = e; // every test then fails with this message (a missing runtime is not a skip)
  }
}, 120_000);
afterAll(async () => {
  await h?.dispose();
});

describe("pymode.parallel and pymode.workflows on python.wasm (workerd: PythonDO, ThreadDO, alarms)", () => {
  defineWorkflowScenarios(() => {
    if (!host) throw setupError;
    return host;
  });
});
