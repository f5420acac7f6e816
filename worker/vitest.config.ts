import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The workerd suites start workerd processes; the machine has 2 cores.
    fileParallelism: false,
    // Node 20 runs python.wasm through Asyncify, whose frames are large; while V8 still runs them in its
    // baseline tier (a loaded machine tiers up late), importing asyncio as an entry loads can pass V8's
    // default ~1 MB stack limit. A forked worker's main thread has the OS's 8 MB stack: allow 4 MB.
    pool: "forks",
    execArgv: ["--stack-size=4000"],
    reporters: ["default"],
  },
});
