// `paths` scopes put and delete to part of the site (the default bundle: "/uploads/**").
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import del from "../../../plugins/delete/index.ts";
import get from "../../../plugins/get/index.ts";
import options from "../../../plugins/options/index.ts";
import put from "../../../plugins/put/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";
import { curl, removeRoot, tempRoot } from "./http.ts";

let root: string;
let current: TestServer | undefined;
beforeEach(async () => {
  root = await tempRoot("put-scope");
  await mkdir(path.join(root, "uploads"));
  await writeFile(path.join(root, "index.html"), "home\n");
  current = await startServer({
    root,
    plugins: [get, [put, { paths: ["/uploads/**"] }], [del, { paths: ["/uploads/**"] }], options],
  });
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
});

it("PUT and DELETE act inside their paths", async () => {
  const url = `${(current as TestServer).url}/uploads/note.txt`;
  expect((await curl("-X", "PUT", "--data-binary", "hi", url)).status).toBe(201);
  expect(await readFile(path.join(root, "uploads", "note.txt"), "utf8")).toBe("hi");
  expect((await curl("-X", "DELETE", url)).status).toBe(204);
});

it("outside their paths they are 405 with an Allow that leaves them out, and nothing changes", async () => {
  const base = (current as TestServer).url;
  const put405 = await curl("-X", "PUT", "--data-binary", "defaced", `${base}/index.html`);
  expect(put405.status).toBe(405);
  expect(put405.headers["allow"]).toContain("GET");
  expect(put405.headers["allow"]).not.toContain("PUT");
  expect(put405.headers["allow"]).not.toContain("DELETE");
  const del405 = await curl("-X", "DELETE", `${base}/index.html`);
  expect(del405.status).toBe(405);
  expect(await readFile(path.join(root, "index.html"), "utf8")).toBe("home\n");
  // "/uploadsX" is outside; "/UPLOADS/x.txt" is inside the scope (matched case-insensitively),
  // and then the file system decides: no folder of that name here, so 409, not 405.
  expect((await curl("-X", "PUT", "--data-binary", "x", `${base}/uploadsX`)).status).toBe(405);
  expect((await curl("-X", "PUT", "--data-binary", "x", `${base}/UPLOADS/x.txt`)).status).toBe(409);
});

it("OPTIONS lists PUT only where it applies", async () => {
  const base = (current as TestServer).url;
  expect((await curl("-X", "OPTIONS", `${base}/index.html`)).headers["allow"]).not.toContain("PUT");
  expect((await curl("-X", "OPTIONS", `${base}/uploads/new.txt`)).headers["allow"]).toContain("PUT");
});
