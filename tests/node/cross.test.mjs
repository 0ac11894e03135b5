// Cross tests of web/mpc.js against the C code through tests/tools/envelope_tool:
// envelopes sealed by mpc.js are parsed, verified and opened by C (and the
// same random tape gives the same bytes as app_client_seal); envelopes sealed
// by C are parsed, verified and opened by mpc.js; receipts and statements
// signed by the C code are verified by mpc.js.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mpc, sodium, tool, tape, tapeBytes } from "./lib.mjs";

const { toHex, fromHex } = mpc;
let dir;
const servers = [], voters = [];

function code(i) {
    const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", h = sodium.crypto_generichash(24, `cross-voter-${i}`);
    let c = "";
    for (let k = 0; k < 24; k++) c += alpha[h[k] & 31];
    return c.match(/.{4}/g).join("-");
}

/** A definition file of kind and rules for the three servers and the voters. */
function writeDefn(name, kind, rules, extra = {}) {
    const j = {
        id: `cross-${name}`, kind, t: 1, ...extra, deadline: Math.floor(Date.now() / 1000) + 3600,
        servers: servers.map((s, i) => ({ index: i + 1, mesh: `tcp://127.0.0.1:${17001 + i}`,
                                          client: `tcp://127.0.0.1:${17101 + i}`,
                                          curve_pk: toHex(s.box.publicKey), sign_pk: toHex(s.sign.publicKey) })),
        roll: voters.map((v, i) => ({ name: `voter${i + 1}`, sign_pk: toHex(v.keys.signPk) })),
        rules,
    };
    const path = join(dir, `${name}.json`), text = JSON.stringify(j, null, 2) + "\n";
    writeFileSync(path, text);
    return { path, d: mpc.parseDefn(new TextEncoder().encode(text)) };
}

const boxArgs = () => servers.map((s, i) => `${i + 1}:${toHex(s.box.privateKey)}`);

before(() => {
    dir = mkdtempSync(join(tmpdir(), "mpc-cross-"));
    for (let i = 0; i < 3; i++) servers.push({ box: sodium.crypto_box_keypair(), sign: sodium.crypto_sign_keypair() });
    for (let i = 0; i < 5; i++) voters.push({ code: code(i), keys: mpc.credentialKeys(code(i)) });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const cases = [
    ["threshold", "vote", { type: "threshold", threshold: "2/3" }, {}, "yes", "threshold:yes"],
    ["plurality", "vote", { type: "plurality", options: ["tea", "coffee", "water"] }, {}, ["coffee"], "options:3:1"],
    ["approval", "vote", { type: "approval", options: ["a", "b", "c", "d"], max_approvals: 2 }, {}, ["a", "d"], "options:4:0,3"],
    ["auction", "auction", { price: "second", reserve: 100 }, { bits: 16 }, "1750", "bid:16:1750"],
    ["auction64", "auction", { price: "first" }, { bits: 64, prime: "2^127-1" }, "18446744073709551615", "bid:64:18446744073709551615"],
    ["auction-binary", "auction", { price: "first" }, { bits: 16, domain: "binary" }, "1750", "bid:16:1750"],
    ["auction-binary-63", "auction", { price: "second" }, { bits: 63, domain: "binary" }, "9223372036854775807", "bid:63:9223372036854775807"],
];

/** GF(2^4) reconstruction at 0 from the shares of the points pts (gf2.c). */
function gf2Reconstruct(pts, shares) {
    const inv = (a) => { for (let b = 1; b < 16; b++) if (mpc.gf16Mul(a, b) === 1) return b; return 0; };
    return shares[0].map((_, j) => {
        let acc = 0;
        pts.forEach((p, a) => {
            let lam = 1;
            pts.forEach((q, b) => { if (b !== a) lam = mpc.gf16Mul(lam, mpc.gf16Mul(q, inv(p ^ q))); });
            acc ^= mpc.gf16Mul(lam, Number(shares[a][j]));
        });
        return BigInt(acc);
    });
}

for (const [name, kind, rules, extra, input, cinput] of cases) {
    test(`${name}: mpc.js seals, C opens; same tape, same bytes as app_client_seal`, () => {
        const { path, d } = writeDefn(name, kind, rules, extra);
        const plain = mpc.encodeInput(d, input);
        const roll = 2, v = voters[roll];
        assert.equal(mpc.rollFind(d, v.keys.signPk), roll);
        const seq = mpc.nextSeq();
        const { envelope, tracker } = mpc.sealInput(d, v.keys.signSk, roll, plain, seq);
        const o = JSON.parse(tool(["open", path, toHex(envelope), ...boxArgs()]));
        assert.equal(o.roll, roll);
        assert.equal(o.seq, seq.toString());
        assert.equal(o.tracker, toHex(tracker));
        assert.equal(o.consistent, true);
        assert.deepEqual(o.secrets, plain.map(String));
        // a fixed tape: the C client's bytes exactly
        const t = tapeBytes(`cross/${name}`, 8192), rand = tape(t);
        const mine = mpc.sealInput(d, v.keys.signSk, roll, plain, 1234567n, rand);
        const [cenv, ctr] = tool(["seal", path, v.code, "1234567", cinput, toHex(t.subarray(0, rand.used()))]).trim().split(" ");
        assert.equal(toHex(mine.envelope), cenv);
        assert.equal(toHex(mine.tracker), ctr);
    });

    test(`${name}: C seals, mpc.js parses, verifies and opens`, () => {
        const { path, d } = writeDefn(name, kind, rules, extra);
        const v = voters[4];
        const [hex, tr] = tool(["seal", path, v.code, "99", cinput]).trim().split(" ");
        const env = fromHex(hex), e = mpc.envelopeParse(env);
        assert.equal(e.roll, 4);
        assert.equal(e.seq, 99n);
        assert.equal(toHex(mpc.envelopeHash(env)), tr);
        assert.ok(mpc.envelopeVerify(e, d.roll[e.roll].signPk));
        assert.ok(!mpc.envelopeVerify(e, d.roll[0].signPk));
        const sh = servers.map((s, i) => mpc.envelopeOpen(e, d.F, i + 1, s.box.publicKey, s.box.privateKey));
        const want = mpc.encodeInput(d, input);
        const rec = d.domain === "binary" ? (pts, s) => gf2Reconstruct(pts, s)
                                          : (pts, s) => mpc.shamirReconstruct(d.F, pts, s);
        assert.deepEqual(rec([1, 2], [sh[0], sh[1]]), want);
        assert.deepEqual(rec([2, 3], [sh[1], sh[2]]), want);
        assert.deepEqual(rec([1, 3], [sh[0], sh[2]]), want);
    });
}

test("C refuses what a server refuses: tampered, other session, wrong box", () => {
    const { path, d } = writeDefn("refuse", "vote", { type: "threshold" });
    const other = writeDefn("refuse-other", "vote", { type: "threshold", threshold: "1/3" });
    const v = voters[1];
    const { envelope } = mpc.sealInput(d, v.keys.signSk, 1, mpc.encodeInput(d, "no"), mpc.nextSeq());
    const bad = envelope.slice();
    bad[200] ^= 0x40;
    assert.throws(() => tool(["open", path, toHex(bad), ...boxArgs()]), /bad signature/);
    assert.throws(() => tool(["open", other.path, toHex(envelope)]), /wrong session/);
    // signed by voter 1 but naming roll index 0
    const forged = mpc.sealInput(d, v.keys.signSk, 0, mpc.encodeInput(d, "no"), 5n).envelope;
    assert.throws(() => tool(["open", path, toHex(forged)]), /bad signature/);
    assert.throws(() => tool(["open", path, toHex(envelope.subarray(1))]), /malformed/);
});

test("receipts: a C-signed batch verifies in mpc.js, leaf by leaf", () => {
    const { path, d } = writeDefn("receipts", "vote", { type: "threshold" });
    for (const count of [1, 2, 3, 5]) {
        const envs = voters.slice(0, count).map((v, i) =>
            mpc.sealInput(d, v.keys.signSk, i, mpc.encodeInput(d, "yes"), BigInt(1000 + i)).envelope);
        const sv = 2, sk = toHex(servers[sv - 1].sign.privateKey);
        const rcpts = tool(["receipts", path, String(sv), sk, ...envs.map(toHex)]).trim().split("\n").map(fromHex);
        assert.equal(rcpts.length, count);
        rcpts.forEach((r, i) => {
            const dr = mpc.checkReceipt(d, sv, r, envs[i]);
            assert.equal(dr.count, count);
            assert.equal(dr.index, i);
            assert.throws(() => mpc.checkReceipt(d, 1, r, envs[i]), /invalid receipt/);
            if (count > 1) assert.throws(() => mpc.checkReceipt(d, sv, r, envs[(i + 1) % count]), /invalid receipt/);
            const t = r.slice();
            t[t.length - 70] ^= 1;   // inside the path or the count
            assert.ok(!(() => { try { return mpc.checkReceipt(d, sv, t, envs[i]); } catch { return false; } })());
        });
    }
    assert.throws(() => mpc.receiptDecode(new Uint8Array(10)), /malformed/);
});

test("statements: t+1 matching signatures make the result; the accepted set checks a tracker", () => {
    const { path, d } = writeDefn("stmts", "vote", { type: "threshold" });
    const envs = voters.slice(0, 3).map((v, i) =>
        mpc.sealInput(d, v.keys.signSk, i, mpc.encodeInput(d, "yes"), BigInt(77 + i)));
    const set = envs.map((x, i) => [i, 77 + i, toHex(x.tracker)]);
    const out = '{"outcome":"YES","cast":3,"quorum_met":true,"invalid":0,"inconsistent":0,"undelivered":0,"security":"malicious"}';
    const sign = (sv, o = out, s = set) => fromHex(tool(["statement", path, String(sv),
        toHex(servers[sv - 1].sign.privateKey), o, JSON.stringify(s), "0"]).trim());
    const st = [1, 2, 3].map((i) => sign(i));
    let v = mpc.acceptStatements(d, st);
    assert.equal(v.ok, true, v.msg);
    assert.deepEqual(v.agree, [1, 2, 3]);
    assert.equal(v.result.outcome, "YES");
    assert.equal(v.result.accepted, 3);
    assert.deepEqual(mpc.describeResult(d, v.result).slice(0, 2), ["The motion: YES (passed)", "Ballots counted: 3"]);
    assert.equal(mpc.checkCounted(d, v.outcome, set, 1, envs[1].tracker).counted, true);
    assert.equal(mpc.checkCounted(d, v.outcome, set, 1, envs[0].tracker).counted, false);
    assert.equal(mpc.checkCounted(d, v.outcome, set, 4, envs[0].tracker).counted, false);
    assert.throws(() => mpc.checkCounted(d, v.outcome, set.slice(0, 2), 1, envs[1].tracker), /not the one/);
    // one statement alone is not enough (t+1 = 2)
    assert.equal(mpc.acceptStatements(d, [st[0]]).ok, false);
    // one liar among three: the two honest ones still make it
    const lie = sign(3, out.replace("YES", "NO"));
    v = mpc.acceptStatements(d, [st[0], st[1], lie]);
    assert.equal(v.ok, true);
    assert.equal(v.result.outcome, "YES");
    // a server that signs two contents counts for none
    assert.equal(mpc.acceptStatements(d, [st[0], lie, st[2], sign(1, out.replace("YES", "NO"))]).ok, false);
    // a bad signature does not count
    const forged = st[1].slice();
    forged[forged.length - 1] ^= 1;
    assert.equal(mpc.acceptStatements(d, [st[0], forged]).ok, false);
    // statements of another definition are ignored
    const other = writeDefn("stmts-other", "vote", { type: "threshold", threshold: "1/3" });
    assert.equal(mpc.acceptStatements(other.d, st).ok, false);
});
