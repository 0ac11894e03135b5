// Known-answer tests of web/mpc.js against the C code's vectors, byte for
// byte: tests/vectors/envelope.tsv, credentials.tsv and web_envelope.tsv.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mpc, sodium, vectors, tape } from "./lib.mjs";

const { fromHex, toHex } = mpc;

function fieldOfHex(h) {
    return mpc.fieldFromString(BigInt("0x" + h).toString());
}

test("envelope.tsv: seal with the given esk, parse, verify, open, hash", () => {
    const rows = vectors("envelope.tsv");
    assert.ok(rows.length >= 2);
    for (const [prime, n, t, sid, roll, seq, m, secrets, shares, sks, seed, esk, envelope, hash] of rows) {
        const F = fieldOfHex(prime);
        assert.equal(F.bytes * 2, prime.length);
        const N = Number(n), M = Number(m);
        const sh = shares.split(",").map((x) => mpc.fieldDecode(F, fromHex(x), M));
        const sk = sks.split(",").map(fromHex);
        const pk = sk.map((k) => sodium.crypto_scalarmult_base(k));
        const sign = sodium.crypto_sign_seed_keypair(fromHex(seed));
        const env = mpc.envelopeSealEph(F, pk, fromHex(sid), Number(roll), BigInt(seq), sh, sign.privateKey, fromHex(esk));
        assert.equal(toHex(env), envelope);
        assert.equal(toHex(mpc.envelopeHash(env)), hash);
        const e = mpc.envelopeParse(fromHex(envelope));
        assert.equal(e.n, N);
        assert.equal(e.m, M);
        assert.equal(e.roll, Number(roll));
        assert.equal(e.seq, BigInt(seq));
        assert.ok(mpc.envelopeVerify(e, sign.publicKey));
        const open = [];
        for (let i = 1; i <= N; i++) open.push(mpc.envelopeOpen(e, F, i, pk[i - 1], sk[i - 1]));
        assert.deepEqual(open, sh);
        // degree-t sharing of the secrets: any t+1 points reconstruct them
        const pts = Array.from({ length: Number(t) + 1 }, (_, k) => N - k);
        assert.equal(toHex(mpc.fieldEncode(F, mpc.shamirReconstruct(F, pts, pts.map((p) => open[p - 1])))), secrets);
        // tampering breaks the signature; a wrong key does not open
        const bad = fromHex(envelope);
        bad[100] ^= 1;
        assert.ok(!mpc.envelopeVerify(mpc.envelopeParse(bad), sign.publicKey));
        assert.throws(() => mpc.envelopeOpen(mpc.envelopeParse(bad), F, 1, pk[0], sk[0]));
        assert.throws(() => mpc.envelopeOpen(e, F, 1, pk[1], sk[1]));
        // envelopeSeal draws esk from rand
        const env2 = mpc.envelopeSeal(F, pk, fromHex(sid), Number(roll), BigInt(seq), sh, sign.privateKey, tape(fromHex(esk)));
        assert.equal(toHex(env2), envelope);
    }
});

test("envelope: strict parsing", () => {
    const [row] = vectors("envelope.tsv");
    const env = fromHex(row[12]);
    assert.throws(() => mpc.envelopeParse(env.subarray(0, env.length - 1)));
    for (const [off, v] of [[0, 0x4e], [4, 2], [7, 1], [5, 4]]) {
        const b = env.slice();
        b[off] = v;
        assert.throws(() => mpc.envelopeParse(b), `offset ${off}`);
    }
});

test("credentials.tsv: codes derive the keys byte for byte", () => {
    const rows = vectors("credentials.tsv");
    assert.ok(rows.length >= 4);
    for (const [code, signSeed, signPk, curveSeed, curvePk] of rows) {
        const k = mpc.credentialKeys(code);
        assert.equal(toHex(k.signSeed), signSeed, code);
        assert.equal(toHex(k.signPk), signPk, code);
        assert.equal(toHex(k.curveSeed), curveSeed, code);
        assert.equal(toHex(k.curvePk), curvePk, code);
        assert.equal(toHex(k.signSk), signSeed + signPk);
    }
});

test("credentials: refused as cred_normalize refuses them", () => {
    for (const bad of ["JBSW-Y3DP-EHPK-3PXP-ABCD-234", "JBSW-Y3DP-EHPK-3PXP-ABCD-23456",
                       "JBSW-Y3DP-EHPK-3PXP-ABCD-2341", "JBSW-Y3DP-EHPK-3PXP-ABCD-234\n5",
                       "JBSW_Y3DP-EHPK-3PXP-ABCD-2345", "JBSW-Y3DP-EHPK-3PXP-ABCD-234\u00a05", ""])
        assert.throws(() => mpc.credentialNormalize(bad), /credential/, JSON.stringify(bad));
    assert.equal(mpc.credentialNormalize(" jbsw\ty3dp-ehpk 3pxp-abcd-2345 "), "JBSWY3DPEHPK3PXPABCD2345");
    try {
        mpc.credentialNormalize("JBSW-Y3DP-EHPK-3PXP-ABCD-23#5");
    } catch (e) {
        assert.ok(!e.message.includes("#"), "the message never echoes the secret");
    }
});

test("web_envelope.tsv: encoding, sharing and sealing from a fixed tape", () => {
    const rows = vectors("web_envelope.tsv");
    assert.ok(rows.length >= 4);
    for (const [prime, n, t, sid, roll, seq, m, input, plain, tapeHex, sks, seed, envelope, hash] of rows) {
        const F = fieldOfHex(prime), N = Number(n);
        const [kind, a, b] = input.split(":");
        const enc = kind === "threshold" ? mpc.encodeThreshold(a)
            : kind === "options" ? mpc.encodeOptions(Number(a), b === "-" ? [] : b.split(",").map(Number))
            : mpc.encodeBid(F, BigInt(b), Number(a));
        assert.equal(toHex(mpc.fieldEncode(F, enc)), plain, input);
        const pk = sks.split(",").map((k) => sodium.crypto_scalarmult_base(fromHex(k)));
        const sign = sodium.crypto_sign_seed_keypair(fromHex(seed));
        const p = mpc.fieldDecode(F, fromHex(plain), Number(m));
        const rand = tape(fromHex(tapeHex));
        const shares = mpc.shamirShare(F, p, N, Number(t), rand);
        const env = mpc.envelopeSeal(F, pk, fromHex(sid), Number(roll), BigInt(seq), shares, sign.privateKey, rand);
        assert.equal(rand.used(), fromHex(tapeHex).length, "the tape is used exactly");
        assert.equal(toHex(env), envelope);
        assert.equal(toHex(mpc.envelopeHash(env)), hash);
    }
});

test("ChaCha20 block (RFC 8439 section 2.3.2)", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const out = mpc.chacha20Block(key, 1, fromHex("000000090000004a00000000"));
    assert.equal(toHex(out), "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
                 "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
});
