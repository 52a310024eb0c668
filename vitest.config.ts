import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/summary-reporter.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default", new SummaryReporter()],
  },
});
