// put, get and delete together: the ETag PUT answers is the one GET sends, and either works
// as If-Match for the next PUT or DELETE; GET never shows an upload in progress.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import del from "../../../plugins/delete/index.ts";
import get from "../../../plugins/get/index.ts";
import put from "../../../plugins/put/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";
import { curl, removeRoot, tempRoot } from "./http.ts";

let root: string;
let current: TestServer | undefined;
beforeEach(async () => {
  root = await tempRoot("put-get");
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
});

it("PUT, GET, conditional PUT and DELETE agree on one ETag", async () => {
  // get's small-file cache is on, with a revalidation bound far longer than the test: each GET
  // sees what PUT and DELETE just did because they report the change (plugins/shared/changes.ts).
  current = await startServer({ root, plugins: [[get, { cache: { revalidateMs: 600000 } }], put, del] });
  const url = `${current.url}/doc.txt`;
  const v1 = path.join(root, "..", `${path.basename(root)}-v1`);
  const v2 = path.join(root, "..", `${path.basename(root)}-v2`);
  try {
    await writeFile(v1, "version one\n");
    await writeFile(v2, "version two, longer\n");
    const created = await curl("-T", v1, url);
    expect(created.status).toBe(201);
    const read1 = await curl(url);
    expect(read1.status).toBe(200);
    expect(read1.body).toBe("version one\n");
    expect(read1.headers["etag"]).toBe(created.headers["etag"]);
    expect((await curl("-H", `If-None-Match: ${created.headers["etag"]}`, url)).status).toBe(304);

    const replaced = await curl("-T", v2, "-H", `If-Match: ${read1.headers["etag"]}`, url);
    expect(replaced.status).toBe(204);
    const read2 = await curl(url);
    expect(read2.body).toBe("version two, longer\n");
    expect(read2.headers["etag"]).toBe(replaced.headers["etag"]);
    // The first version's tag is stale for both PUT and DELETE.
    expect((await curl("-T", v1, "-H", `If-Match: ${read1.headers["etag"]}`, url)).status).toBe(412);
    expect((await curl("-X", "DELETE", "-H", `If-Match: ${read1.headers["etag"]}`, url)).status).toBe(412);
    expect((await curl("-X", "DELETE", "-H", `If-Match: ${read2.headers["etag"]}`, url)).status).toBe(204);
    expect((await curl(url)).status).toBe(404);
  } finally {
    await removeRoot(v1);
    await removeRoot(v2);
  }
});

it("GET hides put's temp files (dotfiles)", async () => {
  await writeFile(path.join(root, ".plugd-put-abc.tmp"), "half an upload");
  current = await startServer({ root, plugins: [get, put] });
  expect((await curl(`${current.url}/.plugd-put-abc.tmp`)).status).toBe(404);
});
