// The default bundle as a person meets it: `server.config.json` run by the real CLI, driven by
// Debian's Chromium through playwright-core. Only what a test must change is changed: a free
// port, a users file with one user (made with `plugd passwd`), logs in a temp folder.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUTPUT = path.join(ROOT, "test-output", "e2e");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

let dir: string;
let server: ChildProcess;
let base: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "plugd-e2e-"));
  const users = path.join(dir, "users.htpasswd");
  const passwd = spawnSync(process.execPath, ["bin/plugd.js", "passwd", users, "ada"], { cwd: ROOT, input: "lovelace\n", encoding: "utf8" });
  expect(passwd.status, passwd.stderr).toBe(0);

  const config = JSON.parse(await readFile(path.join(ROOT, "server.config.json"), "utf8"));
  delete config.$schema;
  const site = config.servers[0];
  site.listen = ["127.0.0.1:0"];
  site.root = path.join(ROOT, "public");
  site.plugins.auth.users = users;
  site.plugins.log.dir = path.join(dir, "logs");
  const file = path.join(dir, "server.config.json");
  await writeFile(file, JSON.stringify(config, null, 2));

  server = spawn(process.execPath, ["bin/plugd.js", "--config", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  base = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    server.stdout?.on("data", (chunk) => {
      out += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) resolve(url);
    });
    server.stderr?.on("data", (chunk) => (err += chunk));
    server.on("exit", (code) => reject(new Error(`plugd exited (${code}): ${err}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});

afterAll(async () => {
  await browser?.close();
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe("the default bundle in Chromium", () => {
  it("loads the index page with its CSS, and saves a screenshot", async () => {
    const page = await browser.newPage();
    const css = page.waitForResponse((r) => r.url().endsWith("/style.css"));
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect((await css).status()).toBe(200);
    expect(await page.textContent("#title")).toBe("plugd is serving");
    // The stylesheet applied: the header takes its dark background from style.css.
    const background = await page.$eval("header", (el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe("rgb(29, 36, 51)");
    await mkdir(OUTPUT, { recursive: true });
    const shot = path.join(OUTPUT, "index.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe("PNG");
    await page.close();
  });

  it("submits the PHP form and shows the value, escaped", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/form.php`);
    await page.fill("#name", "<b>Ada</b>");
    await Promise.all([page.waitForNavigation(), page.click("#send")]);
    expect(await page.textContent("#result")).toBe("Hello, <b>Ada</b>!");
    // Shown as text, never as markup.
    expect(await page.$$eval("#result b", (nodes) => nodes.length)).toBe(0);
    await page.close();
  });

  it("keeps /private/ behind Basic authentication: 401 without credentials, 200 with them", async () => {
    const anonymous = await browser.newContext();
    const page0 = await anonymous.newPage();
    // Headless Chromium cannot prompt for a password: the navigation fails after the 401
    // arrives, so the 401 is read from the response event.
    const challenge = page0.waitForResponse((r) => r.url() === `${base}/private/`);
    await page0.goto(`${base}/private/`).catch(() => undefined);
    const denied = await challenge;
    expect(denied.status()).toBe(401);
    expect(denied.headers()["www-authenticate"]).toMatch(/^Basic realm="plugd demo"/);
    await anonymous.close();

    const signedIn = await browser.newContext({ httpCredentials: { username: "ada", password: "lovelace" } });
    const page = await signedIn.newPage();
    const allowed = await page.goto(`${base}/private/`);
    expect(allowed?.status()).toBe(200);
    expect(await page.textContent("#title")).toBe("The private area");
    await signedIn.close();
  });

  it("shows the custom 404 page for a missing path", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${base}/no-such-page`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent("#title")).toBe("Nothing here");
    await page.close();
  });
});
