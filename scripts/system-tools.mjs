// What the tests need from Debian: the command they run and the package that brings it.
// scripts/test.mjs installs what is missing. Add a line when a test starts using a tool.
export const SYSTEM_TOOLS = [
  { command: "curl", package: "curl" },
];
