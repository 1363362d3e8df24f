import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts", "plugins/**/*.test.ts"],
    testTimeout: 20000,
    hookTimeout: 20000,
    // Real servers on real ports: files run in parallel processes, tests inside a file in order.
    pool: "forks",
    reporters: ["default"],
  },
});
