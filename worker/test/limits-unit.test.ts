// The pieces behind worker/README.md "Limits" that need no python.wasm: the memory cap written
// into the module, the per-request time budget, and the limits read from worker vars.
import { describe, expect, it } from "vitest";
import { capWasmMemory } from "../scripts/bundle.mjs";
import { Budget, BudgetExceeded } from "../src/runtime/budget";
import { DEFAULT_LIMITS, limitsFromEnv } from "../src/runtime/service";

/** A module with one memory of `minPages` (no maximum), exported as "memory". */
function moduleWithMemory(minPages: number): Buffer {
  return Buffer.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x05, 0x03, 0x01, 0x00, minPages, // memory section: 1 memory, flags 0 (no max), min
    0x07, 0x0a, 0x01, 0x06, ...Buffer.from("memory"), 0x02, 0x00, // export "memory" = memory 0
  ]);
}

describe("capWasmMemory", () => {
  it("sets the memory maximum, so memory.grow past it fails", async () => {
    const capped = capWasmMemory(moduleWithMemory(1), 3 * 65536);
    const { instance } = await WebAssembly.instantiate(capped);
    const memory = instance.exports.memory as WebAssembly.Memory;
    expect(memory.grow(2)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    // Uncapped, the same growth succeeds.
    const free = (await WebAssembly.instantiate(moduleWithMemory(1))).instance.exports.memory as WebAssembly.Memory;
    expect(free.grow(3)).toBe(1);
  });

  it("refuses a cap below the initial memory", () => {
    expect(() => capWasmMemory(moduleWithMemory(4), 2 * 65536)).toThrow(/starts with 262144 bytes of memory, more than the cap/);
  });
});

describe("Budget", () => {
  it("counts sleeps that do not block, and refuses one that would end past the budget", () => {
    const b = new Budget(1000);
    b.sleep(600, false);
    expect(b.spent()).toBeGreaterThanOrEqual(600);
    expect(() => b.sleep(600, false)).toThrow(BudgetExceeded);
  });

  it("gives up on a host call that outlives the budget", async () => {
    const b = new Budget(50);
    await expect(b.race(new Promise(() => undefined))).rejects.toThrow(/time budget of 50 ms/);
    await expect(new Budget(1000).race(Promise.resolve(7))).resolves.toBe(7);
  });
});

describe("limitsFromEnv", () => {
  it("reads the step budget (0 turns it off) and refuses a negative or fractional one, naming the var", () => {
    expect(limitsFromEnv({}).maxPythonSteps).toBe(DEFAULT_LIMITS.maxPythonSteps);
    expect(limitsFromEnv({ PYMODE_MAX_PYTHON_STEPS: "2500" }).maxPythonSteps).toBe(2500);
    expect(limitsFromEnv({ PYMODE_MAX_PYTHON_STEPS: "0" }).maxPythonSteps).toBe(0);
    expect(() => limitsFromEnv({ PYMODE_MAX_PYTHON_STEPS: "-1" })).toThrow(/PYMODE_MAX_PYTHON_STEPS must be an integer number of steps >= 0, got "-1"/);
    expect(() => limitsFromEnv({ PYMODE_MAX_PYTHON_STEPS: "1.5" })).toThrow(/PYMODE_MAX_PYTHON_STEPS/);
  });
});
