// make test-browser: the page (build/web) in a real headless Chromium against
// real servers (`vote server --http`, `auction server --http`) on loopback.
//
// Vote: `vote credentials` + `vote new` (approval, at most 2 of 4, tallies
// revealed), three servers; ten voters cast through the page, one of them
// re-votes (the later ballot counts), a wrong credential and a malformed one
// are refused with a message, one voter casts while server 3 is down (the
// page retries it; restarted, it receives the ballot, or the others hand it
// over at the close). After the close the page's verified outcome must equal
// the clear computation and `vote result` (the C client).
// Auction: five bidders, second price with a reserve: the page's winner and
// price must be the clear ones.
// Screenshots for the README: docs/screenshots/{ballot,receipt,result,bid,auction-result}.png.
//
// Environment: CHROMIUM (default /usr/bin/chromium), MPC_BUILD (default
// build), KEEP=1 keeps the work directory. Exit 0 only if every check passed.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD = process.env.MPC_BUILD || join(ROOT, "build");
const WEB = join(BUILD, "web");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = join(ROOT, "docs", "screenshots");
const work = mkdtempSync(join(tmpdir(), "mpc-browser-"));
const procs = new Set();
let failures = 0;

function log(...a) {
    console.log("[browser]", ...a);
}

function check(cond, what) {
    if (cond) log("ok  ", what);
    else {
        failures++;
        log("FAIL", what);
    }
}

function missing(what) {
    console.error(`[browser] NOT RUN: ${what}`);
    process.exit(2);
}

// ---- preflight: say exactly what is missing, never pretend ----

if (!existsSync(CHROMIUM)) missing(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)`);
if (!existsSync(join(WEB, "index.html")) || !existsSync(join(WEB, "libsodium-wrappers.js")))
    missing(`no page in ${WEB} (make web)`);
const bin = (app) => join(BUILD, app, app);
const serverHelp = (() => {
    try {
        return execFileSync(bin("vote"), ["server", "--help"], { encoding: "utf8" });
    } catch (e) {
        return String(e.stdout || "") + String(e.stderr || "");
    }
})();
if (!serverHelp.includes("--http"))
    missing("the servers have no --http option yet (the http15 branch, libmicrohttpd, is not merged): " +
            "the page cannot be tested against real servers");

function run(app, args) {
    return execFileSync(bin(app), args, { encoding: "utf8", cwd: work, stdio: ["ignore", "pipe", "pipe"] });
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const p = s.address().port;
            s.close(() => resolve(p));
        });
    });
}

function iso(sec) {
    return new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

/** An election: keys, credentials, servers file, definition; servers not started. */
async function election(app, name, count, ruleFlags, seconds) {
    const dir = join(work, name);
    mkdirSync(dir);
    const n = 3, sv = [];
    for (let i = 1; i <= n; i++) {
        run(app, ["keygen", "--out", join(dir, `server${i}`)]);
        sv.push({ i, mesh: await freePort(), client: await freePort(), http: await freePort() });
    }
    writeFileSync(join(dir, "servers.txt"), sv.map((s) =>
        `${s.i} tcp://127.0.0.1:${s.mesh} tcp://127.0.0.1:${s.client} server${s.i}.pub http://127.0.0.1:${s.http}\n`).join(""));
    run(app, ["credentials", "--count", String(count), "--out", join(dir, "creds")]);
    const deadline = Math.floor(Date.now() / 1000) + seconds;
    const out = run(app, ["new", "--servers", join(dir, "servers.txt"), "--roll", join(dir, "creds", "roll.txt"),
                          "--deadline", iso(deadline), "--id", `web-${name}`, "--out", join(dir, "defn.json"),
                          "--timeout-ms", "20000", "--title", `Staff council ${name} 2026`,
                          "--question", `Which options for the ${name}?`, ...ruleFlags, "--json"]);
    const names = readFileSync(join(dir, "creds", "roll.txt"), "utf8").split("\n")
        .filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/)[0]);
    const codes = names.map((nm) => /credential\s+([A-Z2-7-]+)/.exec(readFileSync(join(dir, "creds", `${nm}.cred`), "utf8"))[1]);
    return { app, dir, sv, deadline, names, codes, sid: JSON.parse(out).session_id, defn: join(dir, "defn.json"),
             url: `http://127.0.0.1:${sv[0].http}/` };
}

function startServer(E, i) {
    const s = E.sv[i - 1];
    const p = spawn(bin(E.app), ["server", "--defn", E.defn, "--keys", join(E.dir, `server${i}.key`),
                                 "--data", join(E.dir, `data${i}`), "--serve", "300",
                                 "--http", `127.0.0.1:${s.http}`, "--web", WEB],
                    { cwd: E.dir, stdio: ["ignore", "ignore", "pipe"] });
    let errText = "";
    p.stderr.on("data", (b) => { errText += b; });
    p.on("exit", (code) => {
        procs.delete(p);
        if (code && !p.stopping) log(`server ${i} of ${E.app} exited ${code}: ${errText.slice(-400)}`);
    });
    procs.add(p);
    s.proc = p;
    return p;
}

function stopServer(E, i) {
    const p = E.sv[i - 1].proc;
    return new Promise((resolve) => {
        if (!p || p.exitCode !== null) return resolve();
        p.once("exit", () => resolve());
        p.stopping = true;
        p.kill("SIGTERM");
    });
}

async function waitHttp(url, ms = 20000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        try {
            const r = await fetch(url);
            if (r.ok) return true;
        } catch { /* not up yet */ }
        await new Promise((r) => setTimeout(r, 200));
    }
    return false;
}

// ---- the page, driven as a person would ----

async function openPage(browser, url, ctx) {
    const context = ctx || await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 820, height: 1000 });
    page.on("pageerror", (e) => log("page error:", e.message));
    await page.goto(url, { waitUntil: "load" });
    await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
    return { context, page };
}

async function textOf(page, sel) {
    return page.$eval(sel, (e) => e.textContent.trim());
}

/** Type the code, choose, send; wait for the outcome of the cast. */
async function castOnPage(page, code, choose, { expectSafe = true, waitAll = true, timeout = 60000 } = {}) {
    await page.$eval("#credential", (e) => { e.value = ""; });
    await page.type("#credential", code);
    await choose(page);
    await page.click("#submit");
    if (!expectSafe) return null;
    // "safely cast" shows at t+1 receipts; with every server up, wait for the last one too
    await page.waitForSelector("#cast-status[data-safe]", { timeout });
    if (waitAll)
        await page.waitForFunction(() => !document.querySelector(
            "#server-states li[data-state=sending], #server-states li[data-state=retrying]"), { timeout });
    return { safe: await page.$eval("#cast-status", (e) => e.dataset.safe), status: await textOf(page, "#cast-status"),
             tracker: await textOf(page, "#tracker") };
}

const approve = (idx) => async (page) => {
    const boxes = await page.$$("#choice-list input[type=checkbox]");
    for (const b of boxes) if (await b.evaluate((e) => e.checked)) await b.click();
    for (const j of idx) await page.click(`#c-choice-${j}`);
};

async function waitResult(page, deadline) {
    const wait = deadline * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await page.waitForSelector("#result[data-state=final]", { timeout: 180000 });
    return JSON.parse(await page.$eval("#result", (e) => e.dataset.outcome));
}

// ---- the vote ----

async function testVote(browser) {
    const options = ["ada", "brian", "chen", "dora"];
    const E = await election("vote", "vote", 10, ["--rule", "approval", "--options", options.join(","),
                                                 "--max-approvals", "2", "--reveal", "tallies"], 75);
    for (let i = 1; i <= 3; i++) startServer(E, i);
    for (const s of E.sv) check(await waitHttp(`http://127.0.0.1:${s.http}/api/defn`), `vote server ${s.i} serves /api/defn`);
    const ballots = [[0], [1], [0, 1], [2], [0, 3], [1, 2], [0], [3], [0, 2], []];
    const final = ballots.slice();

    // the page shows the election as the definition says
    const first = await openPage(browser, E.url);
    const sidShown = (await textOf(first.page, "#e-sid")).replace(/\s/g, "");
    check(sidShown === E.sid, "the page shows the session id `vote new` printed");
    check((await textOf(first.page, "#e-rules")).includes("up to 2"), "the rules say: approve up to 2");
    check((await textOf(first.page, "#title")).includes("Staff council vote 2026"),
          "the page shows the organizer's title");
    check((await textOf(first.page, "#e-question")) === "Which options for the vote?",
          "the page shows the question");

    // the max bound is enforced: a third box cannot be ticked
    await first.page.click("#c-choice-0");
    await first.page.click("#c-choice-1");
    check(await first.page.$eval("#c-choice-2", (e) => e.disabled), "a third approval is disabled once 2 are ticked");
    await first.page.type("#credential", E.codes[0]);
    await first.page.screenshot({ path: join(SHOTS, "ballot.png"), fullPage: true });
    // readable on a phone: nothing wider than the screen
    await first.page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    const wide = await first.page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `no horizontal scrolling at 390 px (${wide})`);
    await first.page.screenshot({ path: join(SHOTS, "ballot-phone.png") });
    await first.page.setViewport({ width: 820, height: 1000 });
    // every control has a label
    const unlabelled = await first.page.evaluate(() => [...document.querySelectorAll("input, button")]
        .filter((e) => !(e.labels && e.labels.length) && !e.textContent.trim() && !e.getAttribute("aria-label"))
        .map((e) => e.id || e.outerHTML));
    check(unlabelled.length === 0, `every control has a label (${unlabelled.join(", ") || "all"})`);
    // keyboard: Tab reaches the credential field and Space ticks a box
    await first.page.focus("#credential");
    await first.page.keyboard.press("Tab");
    const focused = await first.page.evaluate(() => document.activeElement.id);
    check(focused === "c-choice-0", `Tab moves from the credential to the first choice (${focused})`);
    await first.page.click("#c-choice-1");   // back to [0]

    // a wrong credential (not on the roll) and a malformed one are refused
    const wrong = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX";
    await castOnPage(first.page, wrong, approve([0]), { expectSafe: false });
    await first.page.waitForSelector("#error:not([hidden])", { timeout: 5000 });
    check((await textOf(first.page, "#error")).includes("not on the roll"), "a credential not on the roll is refused with a message");
    await castOnPage(first.page, "ABCD-EFGH-1JKL-MNOP-QRST-UVWX", approve([0]), { expectSafe: false });
    check((await textOf(first.page, "#error")).includes("credential"), "a malformed credential is refused with a message");

    const ctxs = [];
    // voters 1..8 with every server up
    for (let v = 0; v < 8; v++) {
        const { context, page } = v === 0 ? first : await openPage(browser, E.url);
        ctxs[v] = context;
        const r = await castOnPage(page, E.codes[v], approve(ballots[v]));
        check(r.safe === "true" && r.status.includes("3 of 3"), `voter ${v + 1} safely cast with 3 of 3 receipts (${r.status})`);
        if (v === 0) await page.screenshot({ path: join(SHOTS, "receipt.png"), fullPage: true });
        if (v !== 0) await page.close();
    }
    // voter 2 re-votes in the same browser: the later ballot counts
    {
        const { page } = await openPage(browser, E.url, ctxs[1]);
        const r = await castOnPage(page, E.codes[1], approve([3]));
        const note = await textOf(page, "#replaces");
        check(r.safe === "true" && note.includes("replaces"), `voter 2 re-votes; the page says it replaces the first (${note})`);
        final[1] = [3];
        await page.close();
    }
    // voter 9 casts while server 3 is down; it comes back while the page retries
    await stopServer(E, 3);
    {
        const { context, page } = await openPage(browser, E.url);
        ctxs[8] = context;
        const r = await castOnPage(page, E.codes[8], approve(ballots[8]), { waitAll: false });
        check(r.safe === "true" && r.status.includes("2 of 3"), `voter 9 safely cast with server 3 down (${r.status})`);
        const st3 = await page.$eval("#srv-3", (e) => e.dataset.state);
        check(st3 === "retrying" || st3 === "sending", `the page keeps retrying server 3 (${st3})`);
        startServer(E, 3);
        check(await waitHttp(`http://127.0.0.1:${E.sv[2].http}/api/defn`), "server 3 is back");
        try {
            await page.waitForSelector("#srv-3[data-state=verified]", { timeout: 40000 });
            log("     server 3 receipted voter 9's ballot after its restart");
        } catch {
            log("     server 3 did not receipt in time; the others hand the ballot over at the close");
        }
        await page.close();
    }
    // voter 10 casts a blank ballot (no option ticked) while server 2 is down, on a
    // page that gives up on it after 2 s: server 2 gets it from the others at the close
    await stopServer(E, 2);
    {
        const { context, page } = await openPage(browser, `${E.url}?retry=2`);
        ctxs[9] = context;
        const r = await castOnPage(page, E.codes[9], approve([]), { waitAll: false });
        check(r.safe === "true" && r.status.includes("2 of 3"), `voter 10 casts a blank ballot, server 2 down (${r.status})`);
        await page.waitForSelector("#srv-2[data-state=unreachable]", { timeout: 20000 });
        check((await textOf(page, "#cast-status")).includes("at the close"),
              "the page says server 2 receives it from the others at the close");
        await page.close();
    }
    startServer(E, 2);
    check(await waitHttp(`http://127.0.0.1:${E.sv[1].http}/api/defn`), "server 2 is back before the close");

    // the result, verified by the page, equals the clear computation
    const { page } = await openPage(browser, E.url, ctxs[1]);
    const res = await waitResult(page, E.deadline);
    const tallies = Object.fromEntries(options.map((o) => [o, 0]));
    for (const b of final) for (const j of b) tallies[options[j]]++;
    const top = Math.max(...Object.values(tallies));
    const winners = options.filter((o) => tallies[o] === top);
    log("     clear tallies", JSON.stringify(tallies), "page:", JSON.stringify(res));
    check(JSON.stringify(res.tallies) === JSON.stringify(tallies), "the page's tallies equal the clear computation");
    check(res.outcome === (winners.length > 1 ? "tie" : winners[0]), `the page's outcome is ${res.outcome}`);
    check(res.cast === 10 && res.accepted === 10 && res.excluded === 0, "10 ballots counted, none excluded");
    check((await textOf(page, "#counted")).includes("is counted"), "voter 2's latest ballot is shown as counted");
    await page.screenshot({ path: join(SHOTS, "result.png"), fullPage: true });
    const c = JSON.parse(run("vote", ["result", "--defn", E.defn, "--json"]));
    check(JSON.stringify(c.tallies) === JSON.stringify(tallies) && c.outcome === res.outcome, "`vote result` agrees with the page");
    for (let i = 1; i <= 3; i++) await stopServer(E, i);
    for (const x of ctxs) if (x) await x.close().catch(() => {});
}

// ---- a threshold referendum: radio buttons, and only YES/NO after the close ----

async function testThreshold(browser) {
    const E = await election("vote", "motion", 5, ["--rule", "threshold", "--threshold", "1/2"], 40);
    for (let i = 1; i <= 3; i++) startServer(E, i);
    for (const s of E.sv) check(await waitHttp(`http://127.0.0.1:${s.http}/api/defn`), `motion server ${s.i} serves /api/defn`);
    const votes = ["yes", "no", "yes", "blank", "no"];   /* 2 yes, 2 no: YES iff yes >= 1/2 */
    let last;
    for (let v = 0; v < votes.length; v++) {
        const { context, page } = await openPage(browser, E.url);
        if (v === 0)
            check((await page.$$("#choice-list input[type=radio]")).length === 3,
                  "a threshold vote offers yes, no and blank as radio buttons");
        const r = await castOnPage(page, E.codes[v], async (p) => { await p.click(`#c-choice-${votes[v]}`); });
        check(r.safe === "true", `voter ${v + 1} votes ${votes[v]}: ${r.status}`);
        if (last) await last.close();
        last = context;
    }
    const { page } = await openPage(browser, E.url, last);
    const res = await waitResult(page, E.deadline);
    log("     page:", JSON.stringify(res), "clear: YES (2 of 4 yes or no)");
    check(res.outcome === "YES" && res.cast === 5, "the motion passes: YES, 5 cast");
    const shown = await textOf(page, "#result");
    check(res.tallies === undefined && res.yes === undefined && !/\b2 yes|yes: 2/i.test(shown),
          "no tally is shown or received for a threshold vote");
    for (let i = 1; i <= 3; i++) await stopServer(E, i);
    await last.close().catch(() => {});
}

// ---- the auction ----

// name "auction": the field domain, with the README's screenshots; extra flags
// ["--domain", "binary"]: the same auction with the bids' bits shared over GF(2^4)
async function testAuction(browser, name = "auction", extra = []) {
    const shots = extra.length === 0;
    const E = await election("auction", name, 5, ["--rule", "second", "--reserve", "100", "--bits", "16", ...extra], 40);
    for (let i = 1; i <= 3; i++) startServer(E, i);
    for (const s of E.sv) check(await waitHttp(`http://127.0.0.1:${s.http}/api/defn`), `auction server ${s.i} serves /api/defn`);
    const bids = [1200, 1750, 990, 1750 - 1, 400];
    let last;
    for (let b = 0; b < bids.length; b++) {
        const { context, page } = await openPage(browser, E.url);
        const r = await castOnPage(page, E.codes[b], async (p) => { await p.type("#bid", String(bids[b])); });
        check(r.safe === "true", `bidder ${b + 1} bid ${bids[b]}: ${r.status}`);
        if (b === 1 && shots) await page.screenshot({ path: join(SHOTS, "bid.png"), fullPage: true });
        if (last) await last.close();
        last = context;
    }
    // out of range is refused by the page before anything is sent
    {
        const { context, page } = await openPage(browser, E.url);
        await castOnPage(page, E.codes[4], async (p) => { await p.type("#bid", "65536"); }, { expectSafe: false });
        await page.waitForSelector("#error:not([hidden])", { timeout: 5000 });
        check((await textOf(page, "#error")).includes("out of range"), "a bid above 2^16 - 1 is refused with a message");
        await context.close();
    }
    const { page } = await openPage(browser, E.url, last);
    const res = await waitResult(page, E.deadline);
    const order = bids.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const winner = E.names[order[0][1]], price = Math.max(order[1][0], 100);
    log("     page:", JSON.stringify(res), "clear: winner", winner, "price", price);
    check(res.sold === true && res.winner === winner && res.price === price, `${name}: winner ${winner} pays ${price}`);
    if (shots) await page.screenshot({ path: join(SHOTS, "auction-result.png"), fullPage: true });
    for (let i = 1; i <= 3; i++) await stopServer(E, i);
    await last.close().catch(() => {});
}

let browser;
try {
    mkdirSync(SHOTS, { recursive: true });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
                                       args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"] });
    log("Chromium", await browser.version());
    await testVote(browser);
    await testThreshold(browser);
    await testAuction(browser);
    await testAuction(browser, "auction-binary", ["--domain", "binary"]);
} catch (e) {
    failures++;
    log("FAIL", e.stack || e.message);
} finally {
    if (browser) await browser.close().catch(() => {});
    for (const p of procs) p.kill("SIGKILL");
    if (process.env.KEEP) log("work directory kept:", work);
    else rmSync(work, { recursive: true, force: true });
}
log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
