// Browser tests of the redress pages, in Debian's headless Chromium.
//
// Starts the real `redress` binary on 127.0.0.1 with a fresh SQLite data
// directory, makes accounts with `redress accounts create`, files a claim
// through the JSON API, and then, at a desktop and a phone viewport:
//   - the tracker shows the count the API gives;
//   - a registrar signs in, opens the claim from the queue and asks the
//     claimant for information;
//   - the claimant signs in, sees the request and answers it with a file;
//   - a form posted without its CSRF token is refused;
// then, on a second instance over `redress demo`'s database: the Council
// approves from its queue, a case page names people, the Register takes
// claims up in bulk, and the claimant sees a paid award.
// Every page is screenshotted; any console error fails the run.
//
// Environment: REDRESS_BIN (the binary; default target/debug/redress under
// CARGO_TARGET_DIR), SCREENSHOT_DIR (default
// $CARGO_TARGET_DIR/browser-screenshots), CHROMIUM (default /usr/bin/chromium).

import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const root = resolve(import.meta.dirname, "..");
const target = process.env.CARGO_TARGET_DIR || join(root, "target");
const bin = process.env.REDRESS_BIN || join(target, "debug", "redress");
const shots = process.env.SCREENSHOT_DIR || join(target, "browser-screenshots");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];

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

const dataDir = mkdtempSync(join(tmpdir(), "redress-browser-data-"));
const demoDir = mkdtempSync(join(tmpdir(), "redress-browser-demo-"));
const profileDir = mkdtempSync(join(tmpdir(), "redress-browser-profile-"));
mkdirSync(shots, { recursive: true });
const env = {
  ...process.env,
  REDRESS_DATA_DIR: dataDir,
  REDRESS_LOG: "warn",
  DATABASE_URL: `sqlite://${join(dataDir, "redress.db")}`,
};

function account(name, role) {
  const out = execFileSync(bin, ["accounts", "create", "--name", name, "--role", role], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const token = out.match(/^token\s+(\S+)/m)?.[1];
  assert.ok(token, `no token in: ${out}`);
  return token;
}

let server;
let context;
let failed = false;

async function main() {
  const registrar = account("Register secretariat", "registrar");
  const claimant = account("Olena Kovalenko", "claimant");

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

  const api = async (method, path, token, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  // One claim per viewport, each waiting for the secretariat.
  const claims = [];
  for (const [i, tax] of ["3184710691", "2245134075"].entries()) {
    const draft = await api("POST", "/v1/claims", claimant, {
      claimant: {
        claimant_type: "natural_person",
        given_name: "Олена",
        family_name: "Коваленко",
        date_of_birth: "1980-05-17",
        tax_number: tax,
        nationalities: ["UA"],
        contact: { email: "olena@example.ua" },
      },
      category: "A3.1",
      incident: { kind: "on", date: "2022-03-14" },
      location: {
        region: "UA-32",
        settlement: "Ірпінь",
        address: `вул. Університетська ${i + 1}`,
        cadastral_number: `3210900000:01:001:000${i + 1}`,
        occupied_territory: false,
      },
      narrative: "The house was hit by artillery and burned down.",
      losses: [{ description: "House", amount: { amount: "85000.00", currency: "EUR" }, valuation_basis: "valuation report" }],
      category_fields: {
        property_type: "house",
        floor_area_m2: "112.5",
        ownership_document: "Certificate of ownership 45/2010",
        damage_extent: "destroyed",
      },
    });
    const submitted = await api("POST", `/v1/claims/${draft.id}/submit`, claimant);
    claims.push({ id: draft.id, reference: submitted.reference });
  }
  // A few consents deposited, so the tracker has something to count.
  const depositary = account("Depositary", "depositary");
  const day = (daysAgo) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  for (const [i, [participant, kind]] of [
    ["UA", "ratification"],
    ["NL", "ratification"],
    ["FR", "approval"],
    ["DE", "ratification"],
    ["LT", "acceptance"],
  ].entries()) {
    await api("POST", "/v1/convention/actions", depositary, { participant, kind, date: day(150 - i * 25) });
  }
  await api("POST", "/v1/convention/actions", depositary, {
    participant: "NL",
    kind: "declaration",
    date: day(125),
    text: "Territorial declaration on the Caribbean part of the Netherlands.",
  });
  // A state that signs later joins with its signature; contributions to the
  // Register's 2025 budget weigh toward the second condition.
  await api("POST", "/v1/convention/actions", depositary, {
    participant: "JP",
    kind: "signature",
    date: day(60),
    new_participant: { name: "Japan", name_uk: "Японія", kind: "state" },
  });
  for (const participant of ["UA", "NL", "FR"]) {
    await api("POST", "/v1/convention/weights", depositary, {
      participant,
      basis: "rd4u-2025-budget",
      value: "400000.00",
      unit: "EUR",
      source: "Register of Damage: contributions to the 2025 budget",
      date: day(20),
    });
  }
  const convention = await api("GET", "/v1/convention", registrar);
  assert.ok(convention.counted_consents > 0, "the deposits count");
  assert.equal(convention.weighted[0].counted, "1200000.00");

  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    // Playwright passes --headless and --user-data-dir (the fresh profile
    // above) itself.
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
  let allowed = null;
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (allowed && allowed.test(msg.text())) return;
    errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  const shot = async (name, vp) => {
    await page.screenshot({ path: join(shots, `${name}-${vp.width}x${vp.height}.png`), fullPage: true });
  };
  const signIn = async (token) => {
    await page.goto(`${base}/sign-in`);
    await page.fill("#token", token);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/sign-in")), page.click("button[type=submit] >> text=Sign in")]);
  };
  const signOut = async () => {
    await Promise.all([page.waitForURL(/\/sign-in/), page.click("header form[action='/sign-out'] button")]);
  };

  for (const [i, vp] of VIEWPORTS.entries()) {
    const claim = claims[i];
    await page.setViewportSize({ width: vp.width, height: vp.height });
    console.log(`browser: ${vp.name} ${vp.width}x${vp.height}`);

    // The public tracker, no sign-in: the count the API gives.
    await page.goto(`${base}/`);
    const count = page.locator("#consent-count");
    assert.equal(await count.getAttribute("data-count"), String(convention.counted_consents));
    assert.equal((await count.textContent()).trim(), `${convention.counted_consents} of ${convention.threshold}`);
    assert.equal(await page.locator("svg.chart").count(), 1);
    // The weighted condition as a second bar, at the share the API gives.
    const bar = page.locator("progress[aria-labelledby='weighted-1-h']");
    assert.equal(await bar.count(), 1);
    const share = Number(await bar.getAttribute("value"));
    // 1,200,000 of the 3,692,150.00 EUR needed (half the assumed budget).
    assert.ok(Math.abs(share - 1_200_000 / 3_692_150) < 0.001, `bar at ${share}`);
    assert.ok((await page.content()).includes("Japan"), "the new signatory is on the tracker");
    assert.ok((await page.content()).includes("Коваленко") === false, "no personal data on the tracker");
    await shot("tracker", vp);
    await page.goto(`${base}/decisions`);
    await shot("decisions", vp);
    await page.goto(`${base}/?lang=uk`);
    assert.equal(await page.getAttribute("html", "lang"), "uk");
    assert.ok((await page.content()).includes("Японія"), "named in Ukrainian");
    await shot("tracker-uk", vp);
    await page.goto(`${base}/?lang=en`);

    // The registrar: sign in, take the claim up from the queue, ask for information.
    await signIn(registrar);
    await page.goto(`${base}/console/claims?status=submitted`);
    await shot("queue", vp);
    await Promise.all([page.waitForURL(/\/console\/claims\/[0-9a-f-]{36}$/), page.click(`#queue a:text("${claim.reference}")`)]);
    await page.click("button:text('Take up for review')");
    await page.waitForURL(/done=review_started/);
    assert.equal(await page.getAttribute("#claim-status", "data-status"), "under_review");
    await shot("claim", vp);

    // A form whose token was taken out is refused, and nothing changes.
    allowed = /status of 403/;
    await page.evaluate(() => document.querySelector("form[action$='/information-requests'] input[name=csrf]").remove());
    await page.fill("#ri-message", "This one has no token.");
    await Promise.all([page.waitForLoadState("load"), page.click("button:text('Send the request')")]);
    assert.ok((await page.textContent("main")).includes("This form has expired or did not come from this site."));
    await shot("csrf-refused", vp);
    allowed = null;
    await page.goto(`${base}/console/claims/${claim.id}`);
    assert.equal(await page.getAttribute("#claim-status", "data-status"), "under_review");

    await page.fill("#ri-message", "Please send the certificate of ownership of the house.");
    await page.click("button:text('Send the request')");
    await page.waitForURL(/done=information_requested/);
    assert.equal(await page.getAttribute("#claim-status", "data-status"), "information_requested");
    assert.ok((await page.textContent(".notice")).includes("The request for information was sent"));
    await shot("claim-requested", vp);
    await page.goto(`${base}/console/dashboard`);
    await shot("dashboard", vp);
    await signOut();

    // The claimant: sees the request, adds a document, answers.
    await signIn(claimant);
    assert.match(page.url(), /\/my$/);
    await shot("my-claims", vp);
    await page.click(`#my-claims a:text("${claim.reference}")`);
    await page.waitForURL(/\/my\/claims\//);
    assert.ok((await page.textContent("main")).includes("Please send the certificate of ownership of the house."));
    await page.setInputFiles("#up-file", {
      name: "certificate.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
    });
    await page.click("button:text('Upload')");
    await page.waitForURL(/done=uploaded/);
    assert.equal(await page.locator("#evidence a:text('certificate.pdf')").count(), 1);
    assert.match(await page.textContent("#evidence .hash"), /^[0-9a-f]{64}$/);
    await page.fill("#answer", "The certificate is attached.");
    await page.click("button:text('Send the answer')");
    await page.waitForURL(/done=responded/);
    assert.equal(await page.getAttribute("#claim-status", "data-status"), "under_review");
    await shot("my-claim", vp);
    await signOut();
  }

  // The Commission's day, on a second instance over a demonstration
  // database (`redress demo`): the convention in force, decisions before
  // the Council, claims to take up, a batch and a paid award.
  server.kill("SIGTERM");
  const demoEnv = {
    ...env,
    REDRESS_DATA_DIR: demoDir,
    DATABASE_URL: `sqlite://${join(demoDir, "redress.db")}`,
    REDRESS_DEBTOR_NAME: "International Claims Commission for Ukraine",
    REDRESS_DEBTOR_IBAN: "NL91 ABNA 0417 1643 00",
    REDRESS_DEBTOR_BIC: "ABNANL2A",
  };
  const printed = execFileSync(bin, ["demo", "--claims", "100"], { env: demoEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const tokenOf = (role) => {
    const token = printed.match(new RegExp(`^${role}\\s+(rdt_\\S+)`, "m"))?.[1];
    assert.ok(token, `a ${role} token in: ${printed}`);
    return token;
  };
  const paidAward = printed.match(/(\/my\/claims\/[0-9a-f-]{36})/)?.[1];
  assert.ok(paidAward, "the demo names the claimant's paid award");
  const demoPort = await freePort();
  const demoBase = `http://127.0.0.1:${demoPort}`;
  server = spawn(bin, ["serve"], {
    env: { ...demoEnv, REDRESS_LISTEN: `127.0.0.1:${demoPort}` },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${demoBase}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error("redress (demo) did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const signInAt = async (token) => {
    await page.goto(`${demoBase}/sign-in`);
    await page.fill("#token", token);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/sign-in")), page.click("button[type=submit] >> text=Sign in")]);
  };
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    console.log(`browser: the Commission's day, ${vp.name}`);

    // The Council: its queue, one recommendation approved at a meeting.
    await signInAt(tokenOf("council"));
    await page.goto(`${demoBase}/console/council`);
    const nav = page.locator("header nav ul");
    const navBox = await nav.boundingBox();
    const link = await page.locator("header nav li").first().boundingBox();
    assert.ok(navBox.height < link.height * 1.8, `the navigation is one line (${navBox.height}px)`);
    const boxes = page.locator("#council input[name=item]");
    const before = await boxes.count();
    assert.ok(before >= 2, `decisions before the Council: ${before}`);
    await shot("council", vp);
    for (let i = 1; i < before; i++) await boxes.nth(i).uncheck();
    await page.fill("#c-meeting", "C/2026/30");
    await Promise.all([page.waitForURL(/decided=1&refused=0/), page.click("button:text('Record the decisions')")]);
    assert.equal(await page.locator("#council input[name=item]").count(), before - 1);
    await shot("council-decided", vp);
    // A case with its people by name and a correction marked.
    await page.goto(`${demoBase}/console/cases?status=decided`);
    await page.locator("#cases tbody a").first().click();
    await page.waitForURL(/\/console\/cases\/[0-9a-f-]{36}$/);
    const casePage = await page.textContent("main");
    assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*:\s*in_favour/.test(casePage), "voters by name");
    assert.ok(!casePage.includes("on this claim"));
    await shot("case", vp);
    await page.goto(`${demoBase}/console/dashboard`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the dashboard fits the ${vp.name} viewport (${overflow}px too wide)`);
    const labels = await page.evaluate(() => [...document.querySelectorAll("svg.chart text.axis")].map((t) => t.getBoundingClientRect().height));
    assert.ok(labels.length > 0 && Math.min(...labels) >= 10, `chart labels at least 10px tall: ${Math.min(...labels)}`);
    await shot("dashboard-demo", vp);
    // Payments: the confirmed round, its held-back payee, its bank file.
    await page.goto(`${demoBase}/console/payment-rounds`);
    await shot("payment-rounds", vp);
    await page.locator("#rounds tbody tr:has(td[data-status=confirmed]) a").first().click();
    await page.waitForURL(/\/console\/payment-rounds\/[0-9a-f-]{36}$/);
    assert.equal(await page.getAttribute("#round-status", "data-status"), "confirmed");
    assert.ok((await page.locator("#blocked li").count()) >= 1, "the payee without bank details is listed");
    await shot("payment-round", vp);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#bank-file")]);
    const xml = readFileSync(await download.path(), "utf8");
    assert.match(xml, /urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.09/);
    assert.match(xml, /<CtrlSum>\d+\.\d{2}<\/CtrlSum>/);
    await signOut();

    // The Register: two submitted claims taken up from the queue at once.
    await signInAt(tokenOf("registrar"));
    await page.goto(`${demoBase}/console/claims?status=submitted`);
    const ticks = page.locator("#queue input[name=claim]");
    assert.ok((await ticks.count()) >= 1, "submitted claims to take up");
    await ticks.first().check();
    await shot("queue-take-up", vp);
    await Promise.all([page.waitForURL(/taken_up=1&refused=0/), page.click("button:text('Take the ticked claims up for review')")]);
    assert.ok((await page.textContent("#taken-up")).includes("Taken up for review"));
    await signOut();

    // An assessor selects cases awaiting assessment into a batch, starts
    // its assessment and watches the page follow the job to its end.
    const assessorToken = tokenOf("assessor");
    const waiting = await (await fetch(`${demoBase}/v1/cases?status=awaiting_assessment&limit=1`, {
      headers: { authorization: `Bearer ${assessorToken}` },
    })).json();
    if (waiting.items.length > 0) {
      await signInAt(assessorToken);
      await page.goto(`${demoBase}/console/cases`);
      await page.click("#new-batch summary");
      await page.fill("#nb-category", waiting.items[0].category);
      await Promise.all([page.waitForURL(/done=batch_created/), page.click("button:text('Create the batch')")]);
      assert.equal(await page.getAttribute("#batch-status", "data-status"), "selected");
      await Promise.all([page.waitForURL(/done=assessment_started/), page.click("button:text('Start the assessment')")]);
      await page.waitForSelector("#batch-status:not([data-status=selected]):not([data-status=assessing])", { timeout: 60_000 });
      await shot("batch", vp);
      await signOut();
    } else {
      assert.equal(vp.name, "phone", "the demo leaves cases awaiting assessment for the first viewport");
    }

    // The claimant: the paid award, each payment, the balance, the stage.
    await signInAt(tokenOf("claimant"));
    await page.goto(`${demoBase}${paidAward}`);
    assert.equal(await page.getAttribute("#next", "data-stage"), "paid");
    assert.equal(await page.getAttribute("#award", "data-status"), "paid");
    assert.ok((await page.locator("#award tr.payment").count()) >= 1, "each payment is listed");
    assert.match(await page.textContent("#award"), /EUR/);
    await shot("my-award", vp);
    await signOut();
  }

  assert.deepEqual(errors, [], "console errors");
  console.log(`browser: all checks passed; screenshots in ${shots}`);
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
  rmSync(demoDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
