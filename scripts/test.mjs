#!/usr/bin/env node
// `npm test`: make sure what the tests need from Debian is installed (installing it with apt
// when missing, as root), type-check, then run every test with vitest. Never a silent skip:
// a tool that cannot be installed stops the run with its name.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { SYSTEM_TOOLS } from "./system-tools.mjs";

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  return result.status ?? 1;
}

const missing = SYSTEM_TOOLS.filter((tool) => !has(tool.command));
if (missing.length > 0) {
  const packages = [...new Set(missing.map((tool) => tool.package))];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !has("apt-get")) {
    console.error(`npm test: missing ${missing.map((t) => t.command).join(", ")} (Debian packages: ${packages.join(" ")}); install them, or run as root with apt-get.`);
    process.exit(1);
  }
  console.log(`npm test: installing ${packages.join(" ")} (needed by the tests)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update", "-qq"], { env }) !== 0 || run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { env }) !== 0) {
    console.error(`npm test: apt-get could not install ${packages.join(" ")}`);
    process.exit(1);
  }
  const still = missing.filter((tool) => !has(tool.command));
  if (still.length > 0) {
    console.error(`npm test: still missing after install: ${still.map((t) => t.command).join(", ")}`);
    process.exit(1);
  }
}

console.log("npm test: type-checking (tsc --noEmit)");
if (run("npx", ["--no-install", "tsc", "--noEmit", "-p", "."]) !== 0) {
  console.error("npm test: the type check failed");
  process.exit(1);
}

mkdirSync("test-output", { recursive: true });
const status = run("npx", ["--no-install", "vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=test-output/vitest.json", ...process.argv.slice(2)]);
try {
  const report = JSON.parse(readFileSync("test-output/vitest.json", "utf8"));
  // The plain closing line CI reads.
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed`);
  if (report.numTotalTests === 0) {
    console.error("npm test: no test ran");
    process.exit(1);
  }
} catch {
  console.error("npm test: vitest wrote no report");
  process.exit(1);
}
process.exit(status);
