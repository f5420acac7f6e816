import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The workerd suites start workerd processes; the machine has 2 cores.
    fileParallelism: false,
    reporters: ["default"],
  },
});
