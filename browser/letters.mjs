// Browser test of decision letters, in Debian's headless Chromium.
//
// Fills a fresh SQLite database with `redress demo` (final decisions, a
// claimant with a paid award, staff of every role), serves it with the
// real `redress` binary, and then:
//   - the claimant signs in, opens their claim, reads the letter's page and
//     downloads its PDF; `pdftotext` finds the decision's number, the
//     Ukrainian and English headings, the code and the hash in it, and
//     `pdftoppm` renders its first page to PNG;
//   - the public verification page (no sign-in) confirms the number and the
//     hash and names no one; a code never issued gets the 404 page;
//   - a Council member downloads the same letter from the console's case page.
// Screenshots go to SCREENSHOT_DIR, and to DOCS_SCREENSHOTS when set (the
// ones docs/commission.md shows).
//
// Environment: as browser/run.mjs (REDRESS_BIN, SCREENSHOT_DIR, CHROMIUM).

import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const root = resolve(import.meta.dirname, "..");
const target = process.env.CARGO_TARGET_DIR || join(root, "target");
const bin = process.env.REDRESS_BIN || join(target, "debug", "redress");
const shots = process.env.SCREENSHOT_DIR || join(target, "browser-screenshots");
const docsShots = process.env.DOCS_SCREENSHOTS || "";
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), "redress-letters-data-"));
const profileDir = mkdtempSync(join(tmpdir(), "redress-letters-profile-"));
const work = mkdtempSync(join(tmpdir(), "redress-letters-files-"));
mkdirSync(shots, { recursive: true });
const env = {
  ...process.env,
  REDRESS_DATA_DIR: dataDir,
  REDRESS_LOG: "warn",
  DATABASE_URL: `sqlite://${join(dataDir, "redress.db")}`,
};

let server;
let context;
let failed = false;

async function main() {
  const demo = execFileSync(bin, ["demo", "--claims", "100"], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const token = (role) => {
    const t = demo.match(new RegExp(`^${role}\\s+(rdt_\\S+)`, "m"))?.[1];
    assert.ok(t, `no ${role} token in the demo's output`);
    return t;
  };
  const claimant = token("claimant");
  const council = token("council");
  const claim = demo.match(/\/my\/claims\/([0-9a-f-]{36})/)?.[1];
  assert.ok(claim, "the demo names the claimant's claim");

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["serve"], {
    env: { ...env, REDRESS_LISTEN: `127.0.0.1:${port}` },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error("redress did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (path, bearer) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.ok(res.ok, `GET ${path}: ${res.status}`);
    return res.json();
  };
  const decisions = (await api(`/v1/claims/${claim}/decisions`, claimant)).items;
  const inForce = decisions.find((d) => !d.superseded);
  assert.ok(inForce, "the claim has a decision in force");
  const number = inForce.number;

  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    locale: "en-GB",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  let allowed = null;
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (allowed && allowed.test(msg.text())) return;
    errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  const shot = async (name, docsName) => {
    const { width, height } = page.viewportSize();
    const file = join(shots, `${name}-${width}x${height}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (docsShots && docsName) copyFileSync(file, join(docsShots, docsName));
  };
  const signIn = async (bearer) => {
    await page.goto(`${base}/sign-in`);
    await page.fill("#token", bearer);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/sign-in")), page.click("button[type=submit] >> text=Sign in")]);
  };
  const signOut = async () => {
    await Promise.all([page.waitForURL(/\/sign-in/), page.click("header form[action='/sign-out'] button")]);
  };
  const pdfText = (file) => execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
  const download = async (selector, name) => {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
    assert.equal(dl.suggestedFilename(), `${number}.pdf`);
    const file = join(work, name);
    await dl.saveAs(file);
    return file;
  };
  await page.setViewportSize({ width: 1280, height: 800 });

  // The claimant: their claim, the letter's page, its PDF.
  await signIn(claimant);
  await page.goto(`${base}/my/claims/${claim}`);
  assert.equal(await page.locator("a.letter-pdf").count(), 1, "one letter: the decision in force");
  await Promise.all([page.waitForURL(/\/letter$/), page.click("a.letter-page")]);
  const letterText = await page.textContent("#letter");
  assert.ok(letterText.includes(number), "the letter's number");
  assert.ok(letterText.includes("Лист про рішення / Decision letter"));
  assert.ok(letterText.includes("за / in favour"), "the panel's votes");
  assert.ok(/\d+\.\d{2} EUR/.test(letterText), "money at the minor unit");
  const code = (await page.textContent("#verification-code")).trim();
  const hash = (await page.textContent("#content-hash")).trim();
  assert.match(code, /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}-[0-9A-HJKMNP-TV-Z]{6}$/);
  assert.match(hash, /^[0-9a-f]{64}$/);
  await shot("letter", "decision-letter.png");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot("letter");
  await page.setViewportSize({ width: 1280, height: 800 });

  const mine = await download("a.button[download]", "claimant.pdf");
  const text = pdfText(mine);
  for (const expected of [number, "Лист про рішення / Decision letter", "Колегія уповноважених / Panel of Commissioners", code, hash]) {
    assert.ok(text.includes(expected), `${expected} is not in the PDF's text`);
  }
  execFileSync("pdftoppm", ["-png", "-r", "80", "-f", "1", "-l", "1", mine, join(work, "letter-pdf")]);
  const png = join(work, "letter-pdf-1.png");
  assert.ok(existsSync(png), "the PDF renders");
  copyFileSync(png, join(shots, "letter-pdf-page-1.png"));
  if (docsShots) copyFileSync(png, join(docsShots, "decision-letter-pdf.png"));
  await page.goto(`${base}/my`);
  await signOut();

  // Anyone: the verification page, by the letter's link, without signing in.
  await page.goto(`${base}/verify/${code}`);
  assert.equal((await page.textContent("#verified-number")).trim(), number);
  assert.equal((await page.textContent("#verified-hash")).trim(), hash);
  assert.equal(await page.locator("#hash-matches").count(), 1);
  const verifyText = await page.textContent("main");
  for (const name of ["Olena", "Kovalenko", "Коваленко", "demo commissioner", claim]) {
    assert.ok(!verifyText.includes(name), `${name} on the public page`);
  }
  await shot("verify", "decision-verify.png");
  allowed = /status of 404/;
  const unknown = await page.goto(`${base}/verify/${"0".repeat(26)}`);
  assert.equal(unknown.status(), 404);
  const malformed = await page.goto(`${base}/verify/nothing-like-a-code`);
  assert.equal(malformed.status(), 404);
  allowed = null;

  // The Council: the same letter from the console's case page.
  const finals = (await api("/v1/decisions?status=final&limit=500", council)).items;
  const decided = finals.find((d) => d.number === number);
  assert.ok(decided, `${number} is in the Council's list`);
  await signIn(council);
  await page.goto(`${base}/console/cases/${decided.case_id}`);
  const staff = await download("a.letter-pdf", "council.pdf");
  const staffText = pdfText(staff);
  assert.ok(staffText.includes(code) && staffText.includes(hash), "staff get the same letter");
  await signOut();

  assert.deepEqual(errors, [], "console errors");
  console.log(`browser: letters checked (${number}); screenshots in ${shots}`);
}

try {
  await main();
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await context?.close().catch(() => {});
  server?.kill("SIGTERM");
  rmSync(profileDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
