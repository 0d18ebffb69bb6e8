// pi2de serve in a real browser: headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM)
// driven by playwright-core. Each test starts the server from the binary given (default
// target/debug/pi2de), with its temporary files in a folder of its own.
//
//   npm ci --prefix tests/e2e && node tests/e2e/serve.mjs [PI2DE] [--screenshot FILE.png]
//
// Prints `ok - NAME` or `not ok - NAME: why` per test; exits 1 when one failed.

import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const shotAt = args.indexOf("--screenshot");
const screenshot = shotAt >= 0 ? resolve(args.splice(shotAt, 2)[1]) : null;
const bin = resolve(args[0] ?? join(repo, "target/debug/pi2de"));
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const work = mkdtempSync(join(tmpdir(), "pi2de-e2e-"));
const sample = join(repo, "samples/immunisation.json");
const mapping = join(repo, "mappings/immunisation.xlsx");

/** Starts `pi2de serve --port 0 --no-open`; resolves to {url, port, token, child, folder}. */
function startServer() {
  const folder = mkdtempSync(join(work, "server-"));
  const child = spawn(bin, ["serve", "--port", "0", "--no-open"], {
    env: { ...process.env, TMPDIR: folder },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderrText = "";
  child.stderr.on("data", (d) => (child.stderrText += d));
  return new Promise((resolveStart, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("pi2de serve printed no address")), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{32})$/.exec(line.trim());
        if (!m) return reject(new Error(`unexpected address line: ${line}`));
        resolveStart({ url: line.trim(), port: Number(m[1]), token: m[2], child, folder });
      }
    });
    child.on("exit", (code) => reject(new Error(`pi2de serve ended with ${code}: ${child.stderrText}`)));
  });
}

function stop(server) {
  return new Promise((done) => {
    if (server.child.exitCode !== null) return done(server.child.exitCode);
    server.child.once("exit", (code) => done(code));
    server.child.kill("SIGTERM");
  });
}

/** A browser context whose every request to a host other than 127.0.0.1 is recorded and
 * aborted: `foreign` lists them. */
async function browse(browser) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const foreign = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== "127.0.0.1") {
      foreign.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  return { context, foreign };
}

/** The CLI's own output for the sample, for comparison. */
function cliOutput(format) {
  const out = join(mkdtempSync(join(work, "cli-")), `hmis.${format}`);
  const run = spawnSync(bin, ["convert", sample, "-m", mapping, "-o", out, "-q"], { encoding: "utf8" });
  assert.equal(run.status, 1, `the CLI run: ${run.stderr}`);
  return readFileSync(out);
}

async function download(page, file) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(`a[data-file="${file}"]`)]);
  assert.equal(dl.suggestedFilename(), file);
  return readFileSync(await dl.path());
}

const count = (page, name) => page.textContent(`[data-count="${name}"]`);

const tests = {
  async "a run from the page shows the counts and downloads what the command line writes"(browser) {
    const server = await startServer();
    const { context, foreign } = await browse(browser);
    try {
      const page = await context.newPage();
      const problems = [];
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      await page.goto(server.url);
      await page.setInputFiles("#export", sample);
      await page.setInputFiles("#mapping", mapping);
      await page.click("#run");
      await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
      assert.equal(await count(page, "read"), "109");
      assert.equal(await count(page, "written"), "99");
      assert.equal(await count(page, "unmapped"), "9");
      assert.equal(await count(page, "duplicateMerged"), "1");
      const reasons = await page.$$eval("#reasons th", (cells) => cells.map((c) => c.textContent));
      assert.deepEqual(reasons, ["unmapped", "duplicateMerged"], "the reasons in the console's order");
      assert.match(await page.textContent("#verdict"), /values left out/);
      assert.match(await page.textContent("#console"), /read 109 values from 1 input/);
      assert.equal(await page.locator("#chart svg rect").count(), 3, "a bar for written and each reason");
      assert.deepEqual(await download(page, "hmis.json"), cliOutput("json"), "the output, byte for byte");
      const workbook = await download(page, "audit.xlsx");
      assert.equal(workbook.subarray(0, 2).toString(), "PK", "the audit workbook is an xlsx (zip)");
      const summary = JSON.parse(await download(page, "run.json"));
      assert.equal(summary.counts.written, 99);
      assert.match((await download(page, "trace.csv")).toString(), /^\uFEFF?file,index,dataElement,/);
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
      assert.deepEqual(problems, [], "no script errors");
      assert.deepEqual(foreign, [], "no request left 127.0.0.1");
      // The interception does see other hosts: a page that asks one is caught.
      const probe = await context.newPage();
      await probe.goto("http://example.org/").catch(() => {});
      assert.deepEqual(foreign, ["http://example.org/"], "the probe is caught");
    } finally {
      await context.close();
      await stop(server);
    }
  },

  async "files dropped on the page convert like files chosen, in CSV out"(browser) {
    const server = await startServer();
    const { context, foreign } = await browse(browser);
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      for (const [role, path, name] of [
        ["export", sample, "immunisation.json"],
        ["mapping", mapping, "immunisation.xlsx"],
      ]) {
        const bytes = [...readFileSync(path)];
        const data = await page.evaluateHandle(
          ([bytes, name]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], name));
            return dt;
          },
          [bytes, name],
        );
        await page.dispatchEvent(`.drop[data-role="${role}"]`, "drop", { dataTransfer: data });
        assert.match(await page.textContent(`.chosen[data-for="${role}"]`), new RegExp(name.replace(".", "\\.")));
      }
      const uploads = [];
      page.on("request", (r) => r.url().includes("/api/upload") && uploads.push(r.url()));
      await page.selectOption("#format", "csv");
      await page.click("#run");
      await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
      assert.equal(await count(page, "written"), "99");
      assert.deepEqual(await download(page, "hmis.csv"), cliOutput("csv"), "the CSV output, byte for byte");
      // A second run of the same files in another format: they are not sent again.
      await page.selectOption("#format", "xml");
      await page.click("#run");
      await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
      assert.deepEqual(await download(page, "hmis.xml"), cliOutput("xml"), "the XML output, byte for byte");
      assert.equal(uploads.length, 2, `each file sent once: ${uploads}`);
      assert.deepEqual(foreign, []);
    } finally {
      await context.close();
      await stop(server);
    }
  },

  async "a run against the target metadata shows the pre-flight and the validation rules"(browser) {
    // The target of tests/metadata/rules.json: one row onto a data element it lacks, one value
    // of a period type its data set does not take, values its validation rules compare.
    const dir = mkdtempSync(join(work, "target-"));
    writeFileSync(
      join(dir, "m.csv"),
      "programIndicator,dataElement,categoryOptionCombo,dataSet\nPiA1xxxxxxx,DE_A,COC_M,DS_M\n" +
        "PiA2xxxxxxx,DE_A,COC_F,DS_M\nPiBxxxxxxxx,DE_B,,DS_M\nPiCxxxxxxxx,DE_C,,DS_M\n" +
        "PiDxxxxxxxx,DE_D,,DS_M\nPiXxxxxxxxx,DE_X,,DS_M\n",
    );
    writeFileSync(
      join(dir, "in.csv"),
      "dataelement,period,orgunit,value\nPiA1xxxxxxx,202401,OuFacility1,3\nPiA2xxxxxxx,202401,OuFacility1,2\n" +
        "PiBxxxxxxxx,202401,OuFacility1,5\nPiCxxxxxxxx,202401,OuFacility1,1\nPiBxxxxxxxx,202401,OuFacility2,4\n" +
        "PiXxxxxxxxx,202401,OuFacility2,4\nPiCxxxxxxxx,2024W3,OuFacility1,1\n",
    );
    const metadata = join(repo, "tests/metadata/rules.json");
    const cli = spawnSync(
      bin,
      ["convert", "in.csv", "-m", "m.csv", "-o", "out.json", "--target-metadata", metadata, "--as-of", "2024-03-01", "--summary", "run.json", "-q"],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(cli.status, 1, cli.stderr);
    const expected = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    const server = await startServer();
    const { context, foreign } = await browse(browser);
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.setInputFiles("#export", join(dir, "in.csv"));
      await page.setInputFiles("#mapping", join(dir, "m.csv"));
      await page.setInputFiles("#metadata", metadata);
      await page.fill("#asOf", "2024-03-01");
      await page.click("#run");
      await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
      assert.equal(await count(page, "written"), String(expected.counts.written));
      assert.equal(await count(page, "unknownTarget"), String(expected.counts.leftOut.unknownTarget));
      assert.equal(await count(page, "wrongPeriodType"), "1");
      assert.equal(await count(page, "findings"), "1", "the row onto DE_X");
      assert.ok(await page.isVisible("#violationRow"));
      assert.equal(await count(page, "violations"), String(expected.validation.violationCount));
      assert.equal(await count(page, "evaluated"), String(expected.validation.evaluated));
      assert.equal(await count(page, "target"), `DHIS2 ${expected.target.version}`);
      assert.deepEqual(await download(page, "hmis.json"), readFileSync(join(dir, "out.json")));
      assert.deepEqual(foreign, []);
    } finally {
      await context.close();
      await stop(server);
    }
  },

  async "progress is shown while a large export converts"(browser) {
    // 400,000 values, ids passed through (no mapping): a few seconds in a debug build.
    const big = join(work, "big.json");
    const rows = [];
    for (let i = 0; i < 400000; i++) {
      rows.push(`{"dataElement":"DE${i % 300}","period":"2024${String(1 + (i % 12)).padStart(2, "0")}","orgUnit":"OU${Math.floor(i / 3600)}","value":"${i % 97}"}`);
    }
    writeFileSync(big, `{"dataValues":[\n${rows.join(",\n")}\n]}\n`);
    const server = await startServer();
    const { context } = await browse(browser);
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.setInputFiles("#export", big);
      await page.click("#run");
      const seen = new Set();
      const states = new Set();
      while (await page.isHidden("#result")) {
        const [shown, value, text] = await page.evaluate(() => [
          !document.getElementById("progress").hidden,
          document.getElementById("progress").value,
          document.getElementById("state").textContent,
        ]);
        if (shown && value > 0 && value < 1) seen.add(text.startsWith("Converting") ? "converting" : "uploading");
        states.add(text);
        await page.waitForTimeout(40);
      }
      assert.ok(seen.has("converting"), `the bar moved while converting: ${[...states]}`);
      assert.equal(await count(page, "read"), "400000");
    } finally {
      await context.close();
      await stop(server);
    }
  },

  async "without the token the page is refused, and so is another host name"(browser) {
    const server = await startServer();
    const { context } = await browse(browser);
    try {
      const page = await context.newPage();
      const bare = await page.goto(`http://127.0.0.1:${server.port}/`);
      assert.equal(bare.status(), 403);
      assert.match(await page.textContent("body"), /token/);
      const wrong = await page.goto(`http://127.0.0.1:${server.port}/?token=${"0".repeat(32)}`);
      assert.equal(wrong.status(), 403);
      const upload = await fetch(`http://127.0.0.1:${server.port}/api/upload?role=export&name=a.json`, { method: "POST", body: "{}" });
      assert.equal(upload.status, 403);
      for (const host of ["evil.example", `evil.example:${server.port}`, `127.0.0.1.nip.io:${server.port}`]) {
        const status = await new Promise((done, fail) => {
          const req = httpRequest(
            { host: "127.0.0.1", port: server.port, path: `/?token=${server.token}`, headers: { Host: host } },
            (res) => done(res.statusCode),
          );
          req.on("error", fail);
          req.end();
        });
        assert.equal(status, 403, `Host: ${host}`);
      }
      const good = await page.goto(server.url);
      assert.equal(good.status(), 200);
      assert.equal(good.headers()["access-control-allow-origin"], undefined, "no CORS");
    } finally {
      await context.close();
      await stop(server);
    }
  },

  async "the socket listens on 127.0.0.1 only, and a stop removes the session"() {
    const server = await startServer();
    if (process.platform === "linux") {
      const port = `:${server.port.toString(16).toUpperCase().padStart(4, "0")}`;
      const listening = readFileSync("/proc/net/tcp", "utf8")
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length > 3 && f[1].endsWith(port) && f[3] === "0A")
        .map((f) => f[1]);
      assert.deepEqual(listening, [`0100007F${port}`]);
      const other = await new Promise((done) => {
        const s = connect(server.port, "127.0.0.2", () => done("connected"));
        s.on("error", () => done("refused"));
      });
      assert.equal(other, "refused", "127.0.0.2 is not listened on");
    }
    assert.equal(readdirSync(server.folder).filter((n) => n.startsWith("pi2de-serve-")).length, 1);
    assert.equal(await stop(server), 0, "a stop ends with 0");
    assert.deepEqual(readdirSync(server.folder), [], "the session's folder is removed");
    assert.match(server.child.stderrText, /stopped/);
  },
};

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
let failed = 0;
for (const [name, test] of Object.entries(tests)) {
  try {
    await test(browser);
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}: ${e.stack ?? e}`);
  }
}
await browser.close();
rmSync(work, { recursive: true, force: true });
console.log(failed ? `${failed} of ${Object.keys(tests).length} failed` : `all ${Object.keys(tests).length} passed`);
process.exit(failed ? 1 : 0);
