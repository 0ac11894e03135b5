// app.js: the ballot and bid page (issue 15). The DOM side only: every byte
// of cryptography is in mpc.js, which the node tests check against the C code.
// Flow: GET /api/defn (the definition's exact bytes) -> show the election ->
// credential + choice -> seal (Shamir shares, one box per server, signed) ->
// POST /api/envelope to every server, retrying the silent ones with backoff ->
// verify each receipt -> "safely cast" at n-t -> after the close, GET
// /api/result from every server and accept the outcome on t+1 matching
// signatures.
import sodium from "./libsodium-wrappers.js";
import * as mpc from "./mpc.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// How long to keep retrying a silent server (the C client's --retry, default 60 s).
const RETRY_S = Number(params.get("retry") || 120);
const FETCH_TIMEOUT_MS = 15000;

let D = null;            // the parsed definition
let sending = false;

function showError(msg) {
    const e = $("error");
    e.textContent = msg;
    e.hidden = !msg;
    if (msg) e.focus?.();
}

function el(tag, attrs = {}, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
}

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

async function fetchTimeout(url, opts = {}) {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), FETCH_TIMEOUT_MS);
    try {
        return await fetch(url, { ...opts, signal: ac.signal, cache: "no-store" });
    } finally {
        clearTimeout(timer);
    }
}

// Server i's web origin: its "http" entry, else (a one-server trial) this page's.
function origin(i) {
    const sv = D.servers[i - 1];
    if (sv.http) return sv.http.replace(/\/+$/, "");
    return D.n === 1 ? location.origin : null;
}

const sidHex = () => mpc.toHex(D.sid);
const store = {
    get(k) { try { return JSON.parse(localStorage.getItem(k)); } catch { return null; } },
    set(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* private mode */ } },
};

// ---- the election ----

function nouns() {
    return D.kind === "auction" ? { input: "bid", who: "bidder", verb: "Bid", title: "Sealed-bid auction" }
                                : { input: "ballot", who: "voter", verb: "Vote", title: "Secret ballot" };
}

function showElection() {
    const N = nouns();
    const name = D.title || D.id;   /* the organizer's title, else the definition id */
    document.title = `${N.title}: ${name}`;
    $("title").textContent = `${N.title}: ${name}`;
    if (D.question) {   /* textContent: the definition's text is never markup */
        $("e-question").textContent = D.question;
        $("e-question").hidden = false;
    }
    $("e-id").textContent = `${D.id} (${D.kind}, ${D.roll.length} on the roll)`;
    $("e-rules").textContent = mpc.describeRules(D);
    const dl = new Date(D.deadline * 1000);
    $("e-deadline").textContent = `${dl.toLocaleString(undefined, { dateStyle: "full", timeStyle: "long" })} (your local time)`;
    $("e-sid").textContent = sidHex().match(/.{8}/g).join(" ");
    $("e-servers").textContent = `${D.n} servers; any ${D.n - D.t} receipts make your ${N.input} safe, and ` +
        (D.t === 1 ? "no single server can read it." : D.t === 0 ? "each server can read it (t = 0: no privacy)."
                                                     : `no ${D.t} of them together can read it.`);
    $("facts").hidden = false;
    $("loading").hidden = true;
    $("cast-h").textContent = D.kind === "auction" ? "Your bid" : "Your ballot";
    $("submit").textContent = D.kind === "auction" ? "Seal and send my bid" : "Seal and send my ballot";
    buildChoices();
}

function choiceRow(type, name, value, text) {
    const id = `c-${name}-${value}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const row = el("div", { class: "choice" });
    const inp = el("input", { type, name, id, value });
    row.append(inp, el("label", { for: id }, text));
    return row;
}

function buildChoices() {
    const sp = D.spec, list = $("choice-list");
    list.replaceChildren();
    $("choice-help").textContent = "";
    if (sp.kind === "vote" && sp.type === "threshold") {
        $("choices-legend").textContent = "Your vote on the motion";
        list.append(choiceRow("radio", "choice", "yes", "Yes"), choiceRow("radio", "choice", "no", "No"));
        if (sp.abstain) list.append(choiceRow("radio", "choice", "blank", "Blank (counted as cast, neither yes nor no)"));
    } else if (sp.kind === "vote" && sp.type === "plurality") {
        $("choices-legend").textContent = "Choose one option";
        sp.options.forEach((o, j) => list.append(choiceRow("radio", "choice", String(j), o)));
        if (sp.abstain) list.append(choiceRow("radio", "choice", "blank", "Blank ballot"));
    } else if (sp.kind === "vote" && sp.type === "approval") {
        $("choices-legend").textContent = `Approve up to ${sp.maxApprovals} option${sp.maxApprovals === 1 ? "" : "s"}`;
        sp.options.forEach((o, j) => list.append(choiceRow("checkbox", "choice", String(j), o)));
        const help = () => {
            const boxes = [...list.querySelectorAll("input[type=checkbox]")];
            const n = boxes.filter((b) => b.checked).length;
            for (const b of boxes) b.disabled = !b.checked && n >= sp.maxApprovals;
            $("choice-help").textContent = `${n} of at most ${sp.maxApprovals} chosen` +
                (n >= sp.maxApprovals ? ": uncheck one to choose another." : ".") +
                (n === 0 ? (sp.abstain ? " None chosen: a blank ballot." : " Choose at least one.") : "");
        };
        list.addEventListener("change", help);
        help();
    } else if (sp.kind === "auction") {
        $("choices-legend").textContent = "Your bid";
        const row = el("div", { class: "field" });
        row.append(el("label", { for: "bid" }, `Amount (a whole number from 0 to ${sp.maxBid})`),
                   el("input", { id: "bid", name: "bid", type: "text", inputmode: "numeric",
                                 autocomplete: "off", pattern: "[0-9]*", "aria-describedby": "choice-help" }));
        list.append(row);
        $("choice-help").textContent = "Nobody sees your bid; only what the rules reveal is opened.";
    } else {
        list.append(el("p", {}, `This page cannot build inputs of kind "${D.kind}".`));
        $("submit").disabled = true;
    }
}

// The input as mpc.encodeInput takes it.
function readChoice() {
    const sp = D.spec;
    if (sp.kind === "auction") {
        const v = $("bid").value.trim();
        if (!v) throw new Error("Enter your bid.");
        return v;
    }
    const checked = [...$("choice-list").querySelectorAll("input:checked")].map((x) => x.value);
    if (sp.type === "threshold") {
        if (!checked.length) throw new Error("Choose yes, no" + (sp.abstain ? " or blank." : "."));
        return checked[0];
    }
    if (sp.type === "plurality") {
        if (!checked.length) throw new Error("Choose an option" + (sp.abstain ? " (or a blank ballot)." : "."));
        return checked[0] === "blank" ? "blank" : [Number(checked[0])];
    }
    if (!checked.length) {
        if (!sp.abstain) throw new Error("Choose at least one option.");
        return "blank";
    }
    return checked.map(Number);
}

// ---- casting ----

function setServerState(i, state, text) {
    const li = $(`srv-${i}`);
    li.dataset.state = state;
    li.textContent = `Server ${i}: ${text}`;
}

// Send env to server i until it gives a receipt, refuses for good, or the
// retry window closes. Resolves "verified" | "refused" | "invalid" | "unreachable".
async function sendOne(i, env, endAt) {
    const base = origin(i);
    if (!base) {
        setServerState(i, "unreachable", "no web address in the definition file (its \"http\" entry)");
        return "unreachable";
    }
    let wait = 500;
    for (let attempt = 1; ; attempt++) {
        let why;
        setServerState(i, "sending", attempt === 1 ? "sending…" : `sending (attempt ${attempt})…`);
        try {
            const r = await fetchTimeout(`${base}/api/envelope`, {
                method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: env });
            let j = null;
            try { j = await r.json(); } catch { /* not JSON */ }
            if (r.ok && j && j.status === "accepted" && typeof j.receipt === "string") {
                try {
                    mpc.checkReceipt(D, i, mpc.fromHex(j.receipt), env);
                } catch (e) {
                    setServerState(i, "invalid", e.message);
                    return "invalid";
                }
                setServerState(i, "verified", "signed receipt verified");
                return "verified";
            }
            const reason = j && typeof j.reason === "string" ? j.reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 200) : `HTTP ${r.status}`;
            if (r.status !== 429 && r.status !== 503 && r.status < 500) {
                setServerState(i, "refused", `refused: ${reason}`);
                return { refused: reason, code: j && j.code };
            }
            why = `cannot take it now (${reason})`;
        } catch (e) {
            why = "unreachable";
        }
        const now = Date.now();
        if (now + wait > endAt || now + wait >= D.deadline * 1000) {
            setServerState(i, "unreachable", `${why}; gave up (the other servers pass your ${nouns().input} on at the close)`);
            return "unreachable";
        }
        setServerState(i, "retrying", `${why}; retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait);
        wait = Math.min(wait * 2, 30000);
    }
}

function refusalText(res) {
    // INTAKE_ST_* codes (docs/envelope.md)
    const byCode = { 2: "this page loaded another election's definition", 4: "the election is closed",
                     6: "a later ballot of yours is already stored (replay)", 9: "this credential is not on the roll",
                     3: "the signature does not match the roll" };
    return byCode[res.code] || res.refused;
}

async function cast(ev) {
    ev.preventDefault();
    if (sending) return;
    showError("");
    const N = nouns();
    let keys, roll, plain;
    try {
        keys = mpc.credentialKeys($("credential").value);
    } catch (e) {
        showError(`${e.message}.`);
        $("credential").focus();
        return;
    }
    roll = mpc.rollFind(D, keys.signPk);
    if (roll < 0) {
        showError(`This credential is not on the roll of this election: check the code in your letter ` +
                  `(or ask the organizer). Nothing was sent.`);
        $("credential").focus();
        return;
    }
    try {
        plain = mpc.encodeInput(D, readChoice());
    } catch (e) {
        showError(e.message);
        return;
    }
    if (Date.now() >= D.deadline * 1000) {
        showError("The election is closed.");
        return;
    }
    sending = true;
    $("submit").disabled = true;
    const seqKey = `mpc-seq:${sidHex()}:${roll}`, ballotKey = `mpc-ballot:${sidHex()}`;
    const seq = mpc.nextSeq(BigInt(store.get(seqKey) || 0));
    store.set(seqKey, seq.toString());
    const earlier = store.get(ballotKey);
    const { envelope, tracker } = mpc.sealInput(D, keys.signSk, roll, plain, seq);
    plain.fill(0n);
    keys.signSk.fill(0);
    keys.curveSk.fill(0);
    const trackerHex = mpc.toHex(tracker);

    $("receipt").hidden = false;
    const ul = $("server-states");
    ul.replaceChildren(...D.servers.map((s) => el("li", { id: `srv-${s.index}`, "data-state": "sending" }, `Server ${s.index}: sending…`)));
    $("tracker").textContent = trackerHex;
    $("seq").textContent = seq.toString();
    $("tracker-box").hidden = false;
    const status = $("cast-status");
    delete status.dataset.safe;
    status.textContent = `Sealed your ${N.input}; sending it to the ${D.n} servers…`;
    const repl = $("replaces");
    repl.hidden = !(earlier && earlier.roll === roll);
    if (!repl.hidden)
        repl.textContent = `This ${N.input} replaces your earlier one from this device (tracker ` +
            `${earlier.tracker.slice(0, 16)}…): the latest one the servers hold counts.`;

    const endAt = Date.now() + RETRY_S * 1000;
    let verified = 0, done = 0, refused = null;
    const update = () => {
        const safe = verified >= D.n - D.t;   // as the C client: one honest holder remains
        if (safe) {
            status.dataset.safe = "true";
            status.textContent = `Safely cast: ${verified} of ${D.n} signed receipts verified` +
                (verified < D.n ? (done < D.n ? "; still trying the others." :
                    `; the servers missing it receive it from the others at the close.`) : ".");
            store.set(ballotKey, { roll, seq: seq.toString(), tracker: trackerHex, receipts: verified });
        } else if (done === D.n) {
            status.dataset.safe = "false";
            status.textContent = refused
                ? `Not cast: refused (${refusalText(refused)}).`
                : `NOT safely cast: ${verified} of ${D.n} receipts, ${D.n - D.t} needed. Send it again.`;
        }
    };
    await Promise.all(D.servers.map(async (s) => {
        const r = await sendOne(s.index, envelope, endAt);
        done++;
        if (r === "verified") verified++;
        else if (typeof r === "object" && !refused) refused = r;
        update();
    }));
    if (refused && verified < D.n - D.t) showError(`Your ${N.input} was refused: ${refusalText(refused)}.`);
    sending = false;
    $("submit").disabled = false;
    status.focus?.();
}

// ---- the result ----

async function checkResult(quiet) {
    const rs = $("result-status");
    if (!quiet) rs.textContent = "Asking the servers for their signed statements…";
    const stmts = [], sets = [];
    let pending = 0;
    await Promise.all(D.servers.map(async (s) => {
        const base = origin(s.index);
        if (!base) return;
        try {
            const r = await fetchTimeout(`${base}/api/result`);
            const j = await r.json().catch(() => null);
            if (r.ok && j && typeof j.statement === "string") {
                stmts.push(mpc.fromHex(j.statement));
                if (j.accepted && Array.isArray(j.accepted.accepted)) sets.push(j.accepted.accepted);
            } else {
                pending++;
            }
        } catch {
            /* unreachable: it counts as missing */
        }
    }));
    const v = mpc.acceptStatements(D, stmts);
    const lines = $("result-lines");
    if (!v.ok) {
        rs.textContent = stmts.length === 0
            ? (Date.now() < D.deadline * 1000 ? "The election is open; the result appears after the close."
                                              : "The servers have not published a result yet (they compute after the close).")
            : v.msg + (v.notes && v.notes.length ? ` (${v.notes.join("; ")})` : "");
        lines.replaceChildren();
        $("result").dataset.state = "pending";
        return false;
    }
    lines.replaceChildren(...mpc.describeResult(D, v.result).map((l) => el("li", {}, l)));
    rs.textContent = "Result verified in this page:";
    $("result-proof").textContent = `${v.agree.length} of ${D.n} servers signed the same result ` +
        `(servers ${v.agree.join(", ")}; ${D.t + 1} needed), each signature checked against the definition file.` +
        (v.notes.length ? ` ${v.notes.join("; ")}.` : "");
    $("result").dataset.state = "final";
    $("result").dataset.outcome = JSON.stringify(v.result);
    const mine = store.get(`mpc-ballot:${sidHex()}`);
    if (mine) {
        let msg = "";
        for (const set of sets) {
            try {
                const c = mpc.checkCounted(D, v.outcome, set, mine.roll, mpc.fromHex(mine.tracker));
                msg = c.counted ? `Your latest ${nouns().input} (tracker ${mine.tracker.slice(0, 16)}…) is counted.`
                                : `Your latest ${nouns().input} from this device is not in the counted set: ${c.why}.`;
                break;
            } catch { /* a set that is not the signed one: try the next */ }
        }
        $("counted").textContent = msg;
    }
    return true;
}

async function pollResult() {
    for (;;) {
        const wait = D.deadline * 1000 - Date.now();
        if (wait > 0) await sleep(Math.min(wait + 500, 60000));
        else if (await checkResult(true)) return;
        else await sleep(3000);
        if (Date.now() >= D.deadline * 1000) $("cast").hidden = true;
    }
}

async function main() {
    try {
        await mpc.init(sodium);
        const r = await fetchTimeout("api/defn");
        if (!r.ok) throw new Error(`the server did not give the definition file (HTTP ${r.status})`);
        D = mpc.parseDefn(new Uint8Array(await r.arrayBuffer()));
    } catch (e) {
        $("loading").textContent = "";
        showError(`Cannot load the election: ${e.message}`);
        return;
    }
    showElection();
    $("ballot-form").addEventListener("submit", cast);
    $("check-result").addEventListener("click", () => checkResult(false));
    if (Date.now() < D.deadline * 1000) $("cast").hidden = false;
    else $("cast").hidden = true;
    document.body.dataset.ready = "true";
    pollResult();
}

main();
