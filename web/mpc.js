// mpc.js: the client side of a ballot or bid, byte for byte as the C client
// builds it (app/client.c), for the page (app.js) and for node (tests/node).
// No DOM, no import: the caller passes libsodium.js (libsodium-wrappers) to
// init(), so the same file runs in a browser and under node.
//
// What is here, and the C it mirrors:
//   field F_p with BigInt, rejection-sampled randomness   common/field.c
//   Shamir sharing at degree t, points 1..n                protocols/shamir.c
//   ballot and bid encodings                               vote/main.c, protocols/vote_mpc.c,
//                                                          auction/main.c, protocols/range.c
//   credential code -> Ed25519 / X25519 keys               common/cred.c, docs/credentials.md
//   definition file: session id, servers, roll, rules      common/defn.c, docs/definition-file.md
//   envelope v1: seal, parse, verify, open, hash           protocols/envelope.c, docs/envelope.md
//   receipt v2 (Merkle path, "MPRB" batch signature)       protocols/result.c
//   statements, t+1 acceptance, accepted-set check         protocols/result.c, app/verify.c,
//                                                          app/record.c
// Randomness: every function that draws takes an optional rand(len) returning
// a Uint8Array of len bytes (default: libsodium's randombytes_buf), consumed in
// exactly the order and sizes the C code asks randombytes_buf for, so a fixed
// byte tape gives the C client's envelope byte for byte (tests/node).

let S = null;   // libsodium.js, once ready

/** Initialise with libsodium-wrappers (its default export); resolves when ready. */
export async function init(sodium) {
    await sodium.ready;
    S = sodium;
    return S;
}

function need() {
    if (!S) throw new Error("mpc.js: call init(sodium) first");
    return S;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

// ---- bytes ----

export function toHex(b) {
    let s = "";
    for (const x of b) s += x.toString(16).padStart(2, "0");
    return s;
}

export function fromHex(h) {
    if (typeof h !== "string" || h.length % 2 || /[^0-9a-fA-F]/.test(h))
        throw new Error("not a hex string");
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
}

export function concat(...parts) {
    let len = 0;
    for (const p of parts) len += p.length;
    const out = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
        out.set(p, o);
        o += p.length;
    }
    return out;
}

function be32(v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(v));
    return b;
}

function be64(v) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v));
    return b;
}

function get32(b, o) {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o);
}

function get64(b, o) {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(o);
}

function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
}

export { equalBytes };

function wipe(b) {
    if (b && b.fill) b.fill(0);
}

function defaultRand(len) {
    return need().randombytes_buf(len);
}

// ---- the field F_p (common/field.c) ----

function bitLength(x) {
    return x === 0n ? 0 : x.toString(2).length;
}

function fieldOf(p) {
    const bits = bitLength(p);
    return { p, bits, bytes: Math.ceil(bits / 8) };
}

/** The default field of bits and kappa: smallest of 2^89-1, 2^107-1, 2^127-1
 * with k + kappa + 2 < m (field_init_default). */
export function fieldDefault(bits, kappa) {
    for (const m of [89, 107, 127])
        if (bits + kappa + 2 < m) return fieldOf((1n << BigInt(m)) - 1n);
    throw new Error(`no default prime for bits ${bits} + kappa ${kappa}`);
}

/** A field from the definition's "prime" string: "2^m-1" or decimal. The C
 * loader has already checked primality; this trusts the file as the servers
 * do not need to (they refuse a bad one), but checks the shape. */
export function fieldFromString(s) {
    let p;
    const m = /^2\^([0-9]{1,3})-1$/.exec(s);
    if (m) p = (1n << BigInt(m[1])) - 1n;
    else if (/^[1-9][0-9]*$/.test(s)) p = BigInt(s);
    else throw new Error(`prime: "${s}" is not "2^m-1" or a decimal number`);
    if (p < 3n || bitLength(p) > 127) throw new Error("prime: out of range");
    return fieldOf(p);
}

export function fmod(F, x) {
    const r = BigInt(x) % F.p;
    return r < 0n ? r + F.p : r;
}

export const fadd = (F, a, b) => (a + b) % F.p;
export const fsub = (F, a, b) => fmod(F, a - b);
export const fmul = (F, a, b) => (a * b) % F.p;

export function finv(F, a) {
    // a^(p-2), a != 0
    let r = 1n, b = fmod(F, a), e = F.p - 2n;
    while (e > 0n) {
        if (e & 1n) r = (r * b) % F.p;
        b = (b * b) % F.p;
        e >>= 1n;
    }
    return r;
}

/** n elements into n * w bytes, big-endian (field_encode). */
export function fieldEncode(F, v) {
    const w = F.bytes, out = new Uint8Array(v.length * w);
    v.forEach((x, i) => {
        let y = BigInt(x);
        for (let k = w - 1; k >= 0; k--) {
            out[i * w + k] = Number(y & 0xffn);
            y >>= 8n;
        }
    });
    return out;
}

/** Exactly n elements from bytes; throws unless every one is below p. */
export function fieldDecode(F, b, n) {
    const w = F.bytes;
    if (b.length !== n * w) throw new Error("field: wrong length");
    const out = [];
    for (let i = 0; i < n; i++) {
        let x = 0n;
        for (let k = 0; k < w; k++) x = (x << 8n) | BigInt(b[i * w + k]);
        if (x >= F.p) throw new Error("field: element not below p");
        out.push(x);
    }
    return out;
}

// A candidate: w little-endian bytes masked to bits(p) (s_candidate).
function candidate(F, b, off) {
    let v = 0n;
    for (let k = F.bytes - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[off + k]);
    return v & ((1n << BigInt(F.bits)) - 1n);
}

// One 64-byte ChaCha20-IETF keystream block (RFC 8439: 32-byte key, 32-bit
// block counter, 12-byte nonce), as common/prg.c draws it from libsodium's
// crypto_stream_chacha20_ietf_xor_ic, which the standard libsodium.js build
// does not export.
function chacha20Block(key, counter, nonce) {
    const kw = new DataView(key.buffer, key.byteOffset, 32), nw = new DataView(nonce.buffer, nonce.byteOffset, 12);
    const st = new Uint32Array(16);
    st[0] = 0x61707865; st[1] = 0x3320646e; st[2] = 0x79622d32; st[3] = 0x6b206574;
    for (let i = 0; i < 8; i++) st[4 + i] = kw.getUint32(4 * i, true);
    st[12] = counter >>> 0;
    for (let i = 0; i < 3; i++) st[13 + i] = nw.getUint32(4 * i, true);
    const x = st.slice();
    const rotl = (v, c) => (v << c) | (v >>> (32 - c));
    const qr = (a, b, c, d) => {
        x[a] = (x[a] + x[b]) >>> 0; x[d] = rotl(x[d] ^ x[a], 16) >>> 0;
        x[c] = (x[c] + x[d]) >>> 0; x[b] = rotl(x[b] ^ x[c], 12) >>> 0;
        x[a] = (x[a] + x[b]) >>> 0; x[d] = rotl(x[d] ^ x[a], 8) >>> 0;
        x[c] = (x[c] + x[d]) >>> 0; x[b] = rotl(x[b] ^ x[c], 7) >>> 0;
    };
    for (let r = 0; r < 10; r++) {
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
    }
    const out = new Uint8Array(64), ow = new DataView(out.buffer);
    for (let i = 0; i < 16; i++) ow.setUint32(4 * i, (x[i] + st[i]) >>> 0, true);
    x.fill(0);
    st.fill(0);
    return out;
}

export { chacha20Block };

const RAND_DIRECT = 1024;
const RAND_DOMAIN_NONCE = Uint8Array.of(0x44, 0x4e, 0x52, 0x46, 0, 0, 0, 0, 0, 0, 0, 0); // "FRND" LE, counter 0

/** n uniform elements by rejection sampling, drawing from rand exactly as
 * field_rand draws from randombytes_buf: up to 1 KiB directly, above that a
 * ChaCha20-IETF stream keyed by a fresh 32-byte seed. Secret. */
export function fieldRand(F, n, rand = defaultRand) {
    const per = F.bytes, out = [];
    if (n > Math.floor(RAND_DIRECT / per)) {
        const seed = rand(32);
        let block = 0, stream = new Uint8Array(0), pos = 0;
        while (out.length < n) {
            if (pos + per > stream.length) {   // 8 more blocks of the same stream
                const more = new Uint8Array(512);
                for (let k = 0; k < 8; k++) more.set(chacha20Block(seed, block++, RAND_DOMAIN_NONCE), 64 * k);
                const next = concat(stream.subarray(pos), more);
                wipe(stream);
                wipe(more);
                stream = next;
                pos = 0;
            }
            const v = candidate(F, stream, pos);
            pos += per;
            if (v < F.p) out.push(v);
        }
        wipe(seed);
        wipe(stream);
        return out;
    }
    const cap = Math.floor(RAND_DIRECT / per) * per;
    let buf = null, fill = 0, pos = 0;
    while (out.length < n) {
        if (pos === fill) {
            const left = n - out.length;
            fill = left < cap / per ? left * per : cap;
            wipe(buf);
            buf = rand(fill);
            pos = 0;
        }
        const v = candidate(F, buf, pos);
        pos += per;
        if (v < F.p) out.push(v);
    }
    wipe(buf);
    return out;
}

// ---- the binary domain's sharing (protocols/gf2.c gf2_share_values) ----

/** GF(16) = GF(2)[x]/(x^4 + x + 1) product. */
export function gf16Mul(a, b) {
    let r = 0;
    for (let i = 0; i < 4; i++) if ((b >> i) & 1) r ^= a << i;
    for (let i = 6; i >= 4; i--) if ((r >> i) & 1) r ^= 0x13 << (i - 4);
    return r;
}

/** Shares of m values 0..15 (bits of a bid) at degree d over GF(16), party i
 * at the point i + 1: shares[i][j] (BigInt, as the field shares are sealed). */
export function gf2ShareValues(values, n, d, rand = defaultRand) {
    const m = values.length, shares = [];
    for (let i = 0; i < n; i++) shares.push(new Array(m));
    for (let j = 0; j < m; j++) {
        const coef = rand(d);   // one byte per coefficient, its low nibble (uniform)
        const s = Number(values[j]) & 15;
        for (let i = 0; i < n; i++) {
            let y = 0;
            for (let k = d - 1; k >= 0; k--) y = gf16Mul(y ^ (coef[k] & 15), i + 1);
            shares[i][j] = BigInt(y ^ s);
        }
        wipe(coef);
    }
    return shares;
}

// ---- Shamir (protocols/shamir.c) ----

const COEF_BUF = 1024;

/** Shares of m secrets for points 1..n at degree d: shares[i][j] is server
 * i+1's share of secret j. Coefficients drawn per chunk like shamir_share. */
export function shamirShare(F, secrets, n, d, rand = defaultRand) {
    const m = secrets.length, shares = [];
    for (let i = 0; i < n; i++) shares.push(new Array(m));
    if (d === 0) {
        for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) shares[i][j] = secrets[j];
        return shares;
    }
    const chunk = Math.floor(COEF_BUF / d);
    for (let base = 0; base < m; base += chunk) {
        const c = Math.min(m - base, chunk);
        const coef = fieldRand(F, c * d, rand);
        for (let j = 0; j < c; j++) {
            const a = coef.slice(j * d, j * d + d);   // a[l]: coefficient of x^(l+1)
            const s = BigInt(secrets[base + j]);
            for (let i = 0; i < n; i++) {
                const x = BigInt(i + 1);
                let acc = a[d - 1];
                for (let l = d - 1; l-- > 0;) acc = fadd(F, fmul(F, acc, x), a[l]);
                shares[i][base + j] = fadd(F, fmul(F, acc, x), s);
            }
        }
        coef.fill(0n);
    }
    return shares;
}

/** The secrets from the shares of the points in pts (1-based, d+1 of them). */
export function shamirReconstruct(F, pts, shares) {
    const m = shares[0].length, out = [];
    const lag = pts.map((xi) => {
        let r = 1n;
        for (const xj of pts) if (xj !== xi)
            r = fmul(F, r, fmul(F, BigInt(xj), finv(F, fmod(F, BigInt(xj - xi)))));
        return r;
    });
    for (let j = 0; j < m; j++) {
        let acc = 0n;
        pts.forEach((_, k) => { acc = fadd(F, acc, fmul(F, lag[k], shares[k][j])); });
        out.push(acc);
    }
    return out;
}

// ---- credentials (common/cred.c) ----

/** The normalized 24-character code, or throws with a message that never
 * echoes the secret: drops '-', space and tab, maps a-z to A-Z, nothing else. */
export function credentialNormalize(typed) {
    let out = "";
    for (let i = 0; i < typed.length; i++) {
        let c = typed[i];
        if (c === "-" || c === " " || c === "\t") continue;
        if (c >= "a" && c <= "z") c = c.toUpperCase();
        if (!((c >= "A" && c <= "Z") || (c >= "2" && c <= "7")))
            throw new Error(`credential: character ${i + 1} is not one of A-Z, 2-7 (or '-')`);
        if (out.length === 24) throw new Error("credential: more than 24 characters");
        out += c;
    }
    if (out.length !== 24)
        throw new Error(`credential: ${out.length} characters, expected 24 (letters A-Z and digits 2-7, dashes optional)`);
    return out;
}

/** The key pairs a credential code derives (docs/credentials.md). Secret. */
export function credentialKeys(typed) {
    const s = need(), msg = enc.encode(credentialNormalize(typed));
    const signSeed = s.crypto_generichash(32, msg, enc.encode("mpc-credential-v1"));
    const curveSeed = s.crypto_generichash(32, msg, enc.encode("mpc-credential-curve-v1"));
    const sign = s.crypto_sign_seed_keypair(signSeed);
    const box = s.crypto_box_seed_keypair(curveSeed);
    const r = { signSeed, signPk: sign.publicKey, signSk: sign.privateKey, curveSeed,
                curvePk: box.publicKey, curveSk: box.privateKey };
    wipe(msg);
    return r;
}

// ---- the definition file (common/defn.c) ----

const KINDS = ["auction", "vote", "sum"];

function key32(v, what) {
    if (typeof v !== "string" || !/^[0-9a-fA-F]{64}$/.test(v)) throw new Error(`${what}: expected 64 hex digits`);
    return fromHex(v);
}

function int(v, dflt, lo, hi, what) {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what}: expected an integer in ${lo}..${hi}`);
    return v;
}

/** Parse the definition file's exact bytes: the session id is their BLAKE2b-256
 * hash, so never re-serialise it. Checks what the page relies on. */
export function parseDefn(bytes) {
    const s = need();
    if (typeof bytes === "string") bytes = enc.encode(bytes);
    const j = JSON.parse(dec.decode(bytes));
    if (!j || typeof j !== "object" || Array.isArray(j)) throw new Error("definition: not a JSON object");
    if (!KINDS.includes(j.kind)) throw new Error("definition: kind must be auction, vote or sum");
    if (!Array.isArray(j.servers) || j.servers.length < 1 || j.servers.length > 9)
        throw new Error("definition: servers must hold 1..9 entries");
    if (!Array.isArray(j.roll) || j.roll.length < 1) throw new Error("definition: empty roll");
    const n = j.servers.length;
    const t = int(j.t, 1, 0, n - 1, "t");
    if (2 * t >= n && t > 0) throw new Error("definition: t must satisfy 2t < n");
    const bits = int(j.bits, 32, 1, 64, "bits"), kappa = int(j.kappa, 40, 20, 80, "kappa");
    const F = j.prime !== undefined ? fieldFromString(j.prime) : fieldDefault(bits, kappa);
    const servers = j.servers.map((sv, i) => {
        if (sv.index !== i + 1) throw new Error(`servers[${i}].index: expected ${i + 1}`);
        return { index: i + 1, client: sv.client, mesh: sv.mesh, http: sv.http,
                 curvePk: key32(sv.curve_pk, `servers[${i}].curve_pk`),
                 signPk: key32(sv.sign_pk, `servers[${i}].sign_pk`) };
    });
    const roll = j.roll.map((v, i) => ({ name: String(v.name), signPk: key32(v.sign_pk, `roll[${i}].sign_pk`) }));
    const rollBySign = new Map();
    roll.forEach((v, i) => rollBySign.set(toHex(v.signPk), i));
    if (!Number.isInteger(j.deadline) || j.deadline <= 0) throw new Error("deadline: expected unix seconds");
    const text = (v, k) => (v === undefined ? null : typeof v === "string" && v.length > 0 ? v
                            : (() => { throw new Error(`${k}: expected a text`); })());
    const d = { bytes, json: j, sid: s.crypto_generichash(32, bytes), id: j.id, kind: j.kind, n, t,
                title: text(j.title, "title"), question: text(j.question, "question"),
                bits, kappa, F, servers, roll, rollBySign, deadline: j.deadline,
                security: j.security || "malicious", rules: j.rules || {},
                domain: j.domain === undefined ? "field" : j.domain };
    if (d.domain !== "field" && d.domain !== "binary") throw new Error('domain: expected "field" or "binary"');
    if (d.domain === "binary" && (j.kind !== "auction" || bits > 63))
        throw new Error('domain: "binary" is for auctions of at most 63 bits');
    d.spec = rulesOf(d);
    return d;
}

/** Roll index of a signing key, or -1 (defn_roll_find_sign). */
export function rollFind(d, signPk) {
    const i = d.rollBySign.get(toHex(signPk));
    return i === undefined ? -1 : i;
}

function parseRational(v, what) {
    if (v === undefined) return [1, 2];
    const m = typeof v === "string" && /^([1-9][0-9]{0,9})\/([1-9][0-9]{0,9})$/.exec(v);
    if (!m) throw new Error(`rules.${what}: expected "num/den"`);
    return [Number(m[1]), Number(m[2])];
}

/** The application's rules as the page needs them (vote/main.c,
 * auction/main.c s_rules_load), with the input length m. */
export function rulesOf(d) {
    const r = d.rules;
    if (d.kind === "vote") {
        const type = r.type === undefined ? "threshold" : r.type;
        const abstain = r.abstain === undefined ? true : r.abstain === true;
        if (type === "threshold") {
            const [num, den] = parseRational(r.threshold, "threshold");
            return { kind: "vote", type, options: ["yes", "no"], m: 2, abstain, maxApprovals: 1,
                     threshold: [num, den], strict: r.strict === true, base: r.base || "yes_no",
                     quorum: r.quorum || 0 };
        }
        if (type !== "plurality" && type !== "approval") throw new Error(`rules.type: unknown "${type}"`);
        if (!Array.isArray(r.options) || r.options.length < 2 || r.options.length > 64)
            throw new Error("rules.options: expected 2..64 names");
        const options = r.options.map(String);
        const maxApprovals = type === "approval" ? (r.max_approvals === undefined ? options.length : r.max_approvals) : 1;
        if (!Number.isInteger(maxApprovals) || maxApprovals < 1 || maxApprovals > options.length)
            throw new Error("rules.max_approvals: out of range");
        return { kind: "vote", type, options, m: options.length, abstain, maxApprovals,
                 reveal: r.reveal || "winner", tie: r.tie || "report", quorum: r.quorum || 0,
                 dpEpsilon: r.dp_epsilon };
    }
    if (d.kind === "auction") {
        const price = r.price === undefined ? "first" : r.price;
        if (price !== "first" && price !== "second") throw new Error("rules.price: first or second");
        const second = price === "second";
        const revealWinner = r.reveal_winner === undefined ? second : r.reveal_winner === true;
        const k = d.bits;
        const maxBid = (1n << BigInt(k)) - 1n;
        const binary = d.domain === "binary";   // the bid's k bits, shared over GF(2^4)
        return { kind: "auction", price, second, revealWinner, reserve: BigInt(r.reserve || 0), k,
                 m: binary ? k : k + 1, maxBid, binary };
    }
    return { kind: d.kind, m: 1 };
}

// ---- encodings (vote_encode_*, range_encode) ----

/** A threshold ballot: "yes", "no" or "blank" -> [yes, no]. */
export function encodeThreshold(choice) {
    return [choice === "yes" ? 1n : 0n, choice === "no" ? 1n : 0n];
}

/** options entries, 1 at each chosen index (0-based). */
export function encodeOptions(options, chosen) {
    const out = new Array(options).fill(0n);
    for (const j of chosen) out[j] = 1n;
    return out;
}

/** A bid 0 <= v < 2^k: v, then its k bits LSB first. */
export function encodeBid(F, v, k) {
    v = BigInt(v);
    const out = [v % F.p];
    for (let j = 0; j < k; j++) out.push((v >> BigInt(j)) & 1n);
    return out;
}

/** The plaintext input for this definition, checked as the C client checks
 * it (vote/main.c, auction/main.c s_input_encode). Vote input: "blank", or
 * for a threshold vote "yes"/"no", else an array of option names or indices.
 * Auction input: a decimal string, number or BigInt. Throws with the C
 * client's message. */
export function encodeInput(d, input) {
    const sp = d.spec;
    if (sp.kind === "vote") {
        const blank = input === "blank" || (Array.isArray(input) && input.length === 0 && sp.type !== "threshold");
        if (blank && !sp.abstain) throw new Error("blank ballots are not allowed in this vote");
        if (sp.type === "threshold") {
            const c = String(input).toLowerCase();
            if (c !== "yes" && c !== "no" && c !== "blank")
                throw new Error(`ballot "${input}": expected yes, no${sp.abstain ? " or blank" : ""}`);
            return encodeThreshold(c);
        }
        const chosen = [];
        if (!blank) {
            const list = Array.isArray(input) ? input : String(input).split(",");
            for (const x of list) {
                const j = typeof x === "number" ? x : sp.options.indexOf(x);
                if (!(j >= 0 && j < sp.options.length)) throw new Error(`"${x}" is not an option`);
                if (chosen.includes(j)) throw new Error(`option "${sp.options[j]}" listed twice`);
                if (chosen.length === sp.maxApprovals)
                    throw new Error(`at most ${sp.maxApprovals} choice${sp.maxApprovals === 1 ? "" : "s"}`);
                chosen.push(j);
            }
        }
        return encodeOptions(sp.options.length, chosen);
    }
    if (sp.kind === "auction") {
        const txt = String(input).trim();
        if (!/^[0-9]+$/.test(txt)) throw new Error(`bid "${txt}": expected a whole number from 0 to 2^${sp.k} - 1`);
        const v = BigInt(txt);
        if (v > sp.maxBid) throw new Error(`bid ${txt} is out of range [0, 2^${sp.k})`);
        return sp.binary ? encodeBid(d.F, v, sp.k).slice(1) : encodeBid(d.F, v, sp.k);
    }
    throw new Error(`inputs of kind ${sp.kind} are not supported by this page`);
}

// ---- envelopes (protocols/envelope.c) ----

export const ENV_HDR = 88, ENV_BOX_EXTRA = 16, ENV_SIG = 64;

export function envelopeLen(n, m, w) {
    if (n < 1 || n > 9 || m < 1 || m > 65536 || w < 1 || w > 16) return 0;
    return ENV_HDR + n * (m * w + ENV_BOX_EXTRA) + ENV_SIG;
}

function boxNonce(epk, pk, i) {
    return need().crypto_generichash(24, concat(epk, pk, Uint8Array.of(i)), enc.encode("mpc-envelope-v1"));
}

/** Seal shares (shares[i] = server i+1's m elements; secret) to the servers'
 * X25519 keys serverPks and sign with signSk (64 bytes), with the ephemeral
 * secret key esk (32 bytes; envelope_seal_eph). Returns the envelope bytes. */
export function envelopeSealEph(F, serverPks, sid, roll, seq, shares, signSk, esk) {
    const s = need(), n = serverPks.length, m = shares[0].length, w = F.bytes;
    const len = envelopeLen(n, m, w);
    if (!len || shares.length !== n || sid.length !== 32) throw new Error("envelope: bad sizes");
    const epk = s.crypto_scalarmult_base(esk);
    const parts = [enc.encode("MPEV"), Uint8Array.of(1, n, w, 0), sid, be32(roll), be64(seq), be32(m), epk];
    for (let i = 1; i <= n; i++) {
        const plain = fieldEncode(F, shares[i - 1]);
        parts.push(s.crypto_box_easy(plain, boxNonce(epk, serverPks[i - 1], i), serverPks[i - 1], esk));
        wipe(plain);
    }
    const body = concat(...parts);
    const sig = s.crypto_sign_detached(body, signSk);
    return concat(body, sig);
}

/** The same with a fresh esk from rand (envelope_seal). */
export function envelopeSeal(F, serverPks, sid, roll, seq, shares, signSk, rand = defaultRand) {
    const esk = rand(32);
    try {
        return envelopeSealEph(F, serverPks, sid, roll, seq, shares, signSk, esk);
    } finally {
        wipe(esk);
    }
}

/** Parse without trusting a byte (envelope_parse); throws on any mismatch. */
export function envelopeParse(b) {
    if (b.length < ENV_HDR + ENV_SIG || dec.decode(b.subarray(0, 4)) !== "MPEV" || b[4] !== 1 || b[7] !== 0)
        throw new Error("envelope: malformed");
    const n = b[5], width = b[6], m = get32(b, 52);
    if (envelopeLen(n, m, width) !== b.length) throw new Error("envelope: malformed (length)");
    return { n, width, sid: b.subarray(8, 40), roll: get32(b, 40), seq: get64(b, 44), m,
             epk: b.subarray(56, 88), bytes: b, sig: b.subarray(b.length - ENV_SIG) };
}

/** true if e's signature is signPk's (envelope_verify). */
export function envelopeVerify(e, signPk) {
    return need().crypto_sign_verify_detached(e.sig, e.bytes.subarray(0, e.bytes.length - ENV_SIG), signPk);
}

/** Open box `server` (1..n) with that server's X25519 pair: its m elements. */
export function envelopeOpen(e, F, server, pk, sk) {
    if (e.width !== F.bytes || server < 1 || server > e.n) throw new Error("envelope: bad arguments");
    const plen = e.m * F.bytes, off = ENV_HDR + (server - 1) * (plen + ENV_BOX_EXTRA);
    const box = e.bytes.subarray(off, off + plen + ENV_BOX_EXTRA);
    const plain = need().crypto_box_open_easy(box, boxNonce(e.epk, pk, server), e.epk, sk);
    try {
        return fieldDecode(F, plain, e.m);
    } finally {
        wipe(plain);
    }
}

/** The tracker: BLAKE2b-256 of the whole envelope. */
export function envelopeHash(b) {
    return need().crypto_generichash(32, b);
}

/** What the C client does (app_client_seal): share plain at degree t for the
 * definition's n servers, then seal with a fresh ephemeral key. */
export function sealInput(d, signSk, roll, plain, seq, rand = defaultRand) {
    if (plain.length !== d.spec.m) throw new Error(`input: ${plain.length} elements, expected ${d.spec.m}`);
    const shares = d.domain === "binary" ? gf2ShareValues(plain, d.n, d.t, rand)
                                         : shamirShare(d.F, plain, d.n, d.t, rand);
    const env = envelopeSeal(d.F, d.servers.map((sv) => sv.curvePk), d.sid, roll, seq, shares, signSk, rand);
    for (const row of shares) row.fill(0n);
    return { envelope: env, tracker: envelopeHash(env) };
}

/** The next sequence number: microseconds since the epoch (app_client_seq),
 * and always above last (a stored counter), so a re-vote replaces. */
export function nextSeq(last = 0n, nowMs = Date.now()) {
    const t = BigInt(Math.floor(nowMs)) * 1000n;
    last = BigInt(last);
    return t > last ? t : last + 1n;
}

// ---- receipts (protocols/result.c) ----

export const RECEIPT_LEN = 4 + 1 + 1 + 32 + 4 + 8 + 32 + 4 + 4 + 1 + 64;

function h32(b) {
    return need().crypto_generichash(32, b);
}

export function receiptLeaf(roll, seq, envHash) {
    return h32(concat(Uint8Array.of(0), be32(roll), be64(seq), envHash));
}

function node(l, r) {
    return h32(concat(Uint8Array.of(1), l, r));
}

/** Decode a receipt (result_receipt_decode); throws unless exact. */
export function receiptDecode(b) {
    if (b.length < RECEIPT_LEN || dec.decode(b.subarray(0, 4)) !== "MPRC" || b[4] !== 2 || b[5] < 1 || b[5] > 9)
        throw new Error("receipt: malformed");
    const npath = b[90];
    if (npath > 32 || b.length !== RECEIPT_LEN + 32 * npath) throw new Error("receipt: malformed (length)");
    const path = [];
    for (let k = 0; k < npath; k++) path.push(b.subarray(91 + 32 * k, 123 + 32 * k));
    const r = { server: b[5], sid: b.subarray(6, 38), roll: get32(b, 38), seq: get64(b, 42),
                envHash: b.subarray(50, 82), index: get32(b, 82), count: get32(b, 86), path,
                sig: b.subarray(b.length - 64) };
    receiptRoot(r);   // the path must fit
    return r;
}

/** The root r's path leads to (s_root); throws if the path does not fit. */
export function receiptRoot(r) {
    if (r.count < 1 || r.index >= r.count) throw new Error("receipt: index out of its batch");
    let h = receiptLeaf(r.roll, r.seq, r.envHash), i = r.index, used = 0;
    for (let sz = r.count; sz > 1; sz = Math.floor((sz + 1) / 2), i = Math.floor(i / 2)) {
        if ((sz & 1) && i === sz - 1) continue;
        if (used === r.path.length) throw new Error("receipt: path too short");
        const sib = r.path[used++];
        h = (i & 1) ? node(sib, h) : node(h, sib);
    }
    if (used !== r.path.length) throw new Error("receipt: path too long");
    return h;
}

/** true if r's path leads to a root the server signed ("MPRB" batch message). */
export function receiptVerify(r, signPk) {
    let root;
    try {
        root = receiptRoot(r);
    } catch {
        return false;
    }
    const msg = concat(enc.encode("MPRB"), Uint8Array.of(1, r.server), r.sid, be32(r.count), root);
    return need().crypto_sign_verify_detached(r.sig, msg, signPk);
}

/** The C client's check of server i's receipt for env (s_receipt): index,
 * session, roll, sequence, envelope hash and signature. Returns the decoded
 * receipt or throws saying what is wrong. */
export function checkReceipt(d, i, receiptBytes, env) {
    const r = receiptDecode(receiptBytes), e = envelopeParse(env);
    if (r.server !== i || !equalBytes(r.sid, d.sid) || r.seq !== e.seq || r.roll !== e.roll ||
        !equalBytes(r.envHash, envelopeHash(env)) || !receiptVerify(r, d.servers[i - 1].signPk))
        throw new Error(`server ${i} sent an invalid receipt (not signed by it, or for another envelope)`);
    return r;
}

// ---- statements and results ----

/** Decode a signed statement (result_stmt_decode). */
export function statementDecode(b) {
    const FIXED = 4 + 1 + 1 + 32 + 8 + 8 + 32 + 4 + 64;
    if (b.length < FIXED || dec.decode(b.subarray(0, 4)) !== "MPRS" || b[4] !== 1 || b[5] < 1 || b[5] > 9)
        throw new Error("statement: malformed");
    const olen = get32(b, 86);
    if (olen > 65536 || b.length !== FIXED + olen) throw new Error("statement: malformed (length)");
    return { server: b[5], sid: b.subarray(6, 38), accepted: get64(b, 38), excluded: get64(b, 46),
             inputsHash: b.subarray(54, 86), output: b.subarray(90, 90 + olen),
             signed: b.subarray(0, b.length - 64), sig: b.subarray(b.length - 64), bytes: b };
}

export function statementVerify(st, signPk) {
    return need().crypto_sign_verify_detached(st.sig, st.signed, signPk);
}

// Everything but the server index and the signature (s_same_content).
function content(st) {
    return toHex(concat(st.sid, be64(st.accepted), be64(st.excluded), st.inputsHash, be32(st.output.length), st.output));
}

/** result_accept: an outcome only when at least t+1 distinct servers signed the
 * same content with valid signatures; a server that signed two contents counts
 * for none. stmts: byte arrays (undecodable ones are ignored). Returns
 * { ok, outcome (the decoded statement), result (output JSON + accepted,
 * excluded), agree: [servers], msg }. */
export function acceptStatements(d, stmts) {
    const have = new Array(d.n).fill(null), equivocal = new Set(), badsig = new Set();
    let ignored = 0;
    for (const b of stmts) {
        let st;
        try {
            st = statementDecode(b);
        } catch {
            ignored++;
            continue;
        }
        if (st.server > d.n || !equalBytes(st.sid, d.sid)) { ignored++; continue; }
        if (!statementVerify(st, d.servers[st.server - 1].signPk)) { badsig.add(st.server); continue; }
        const prev = have[st.server - 1];
        if (!prev) have[st.server - 1] = st;
        else if (content(prev) !== content(st)) equivocal.add(st.server);
    }
    const groups = new Map();
    have.forEach((st, i) => {
        if (!st || equivocal.has(i + 1)) return;
        const c = content(st);
        if (!groups.has(c)) groups.set(c, []);
        groups.get(c).push(i + 1);
    });
    let best = null, reaching = 0;
    for (const [c, g] of groups) {
        if (!best || g.length > best[1].length) best = [c, g];
        if (g.length >= d.t + 1) reaching++;
    }
    const missing = [];
    for (let i = 1; i <= d.n; i++) if (!have[i - 1] && !equivocal.has(i)) missing.push(i);
    const notes = [];
    if (badsig.size) notes.push(`bad signature: ${[...badsig].join(",")}`);
    if (equivocal.size) notes.push(`equivocating: ${[...equivocal].join(",")}`);
    if (missing.length) notes.push(`missing: ${missing.join(",")}`);
    if (ignored) notes.push(`${ignored} ignored`);
    if (reaching >= 2)
        return { ok: false, msg: `conflict: two different results each signed by at least t+1 = ${d.t + 1} servers`, notes };
    if (!best || best[1].length < d.t + 1)
        return { ok: false, agree: best ? best[1] : [], notes,
                 msg: `no verified result yet: ${best ? best[1].length : 0} matching signature(s), t+1 = ${d.t + 1} needed` };
    const outcome = have[best[1][0] - 1];
    let result;
    try {
        result = JSON.parse(dec.decode(outcome.output));
    } catch {
        return { ok: false, msg: "the signed output is not JSON", notes };
    }
    if (!result || typeof result !== "object" || Array.isArray(result))
        return { ok: false, msg: "the signed output is not a JSON object", notes };
    result.accepted = Number(outcome.accepted);
    result.excluded = Number(outcome.excluded);
    return { ok: true, outcome, result, agree: best[1], notes,
             msg: `accepted: ${best[1].length} of ${d.n} servers agree (t+1 = ${d.t + 1})` };
}

/** result_inputs_hash over [[roll, seq, hashHex], ...] in increasing roll. */
export function inputsHash(sid, set) {
    const s = need(), st = s.crypto_generichash_init(null, 32);
    s.crypto_generichash_update(st, concat(enc.encode("MPC result inputs v2"), Uint8Array.of(0)));
    s.crypto_generichash_update(st, sid);
    s.crypto_generichash_update(st, be64(set.length));
    let last = -1;
    for (const [roll, seq, h] of set) {
        if (!(roll > last)) throw new Error("accepted set: roll indices must increase");
        last = roll;
        s.crypto_generichash_update(st, concat(be32(roll), be64(BigInt(seq)), fromHex(h)));
    }
    return s.crypto_generichash_final(st, 32);
}

/** Is (roll, seq, tracker) in the accepted set the outcome signs? The set is
 * accepted.json's "accepted" array; throws if it is not the signed one. */
export function checkCounted(d, outcome, accepted, roll, tracker) {
    if (!Array.isArray(accepted)) throw new Error("accepted set: not an array");
    if (BigInt(accepted.length) !== outcome.accepted || !equalBytes(inputsHash(d.sid, accepted), outcome.inputsHash))
        throw new Error("accepted set: not the one the result signs");
    const e = accepted.find((x) => x[0] === roll);
    if (!e) return { counted: false, why: "no ballot of yours is in the counted set" };
    if (e[2] !== toHex(tracker)) return { counted: false, seq: e[1], why: "another ballot of yours (another tracker) was counted" };
    return { counted: true, seq: e[1] };
}

// ---- words for people ----

/** The outcome in words. A threshold vote shows only YES/NO and the number
 * of ballots: the signed output carries no tally, and none is invented. */
export function describeResult(d, res) {
    const sp = d.spec, lines = [];
    if (sp.kind === "vote") {
        if (sp.type === "threshold") {
            lines.push(`The motion: ${res.outcome === "YES" ? "YES (passed)" : "NO (not passed)"}`);
            if (res.quorum_met === false) lines.push("The quorum was not met.");
        } else {
            lines.push(res.outcome === "tie" ? "Outcome: a tie (nothing more is revealed)" : `Winner: ${res.outcome}`);
            if (res.tallies) for (const [k, v] of Object.entries(res.tallies)) lines.push(`${k}: ${v}`);
        }
        if (res.cast !== undefined) lines.push(`Ballots counted: ${res.cast}`);
    } else if (sp.kind === "auction") {
        if (!res.sold) lines.push("No sale.");
        else if (res.price !== undefined) lines.push(`Winner ${res.winner} pays ${res.price} (second price)`);
        else if (res.winner !== undefined) lines.push(`Winning bid ${res.winning_bid} by ${res.winner}`);
        else lines.push(`Winning bid ${res.winning_bid}`);
    }
    lines.push(`Accepted ${res.accepted}, excluded ${res.excluded}` +
               (res.excluded ? ` (invalid ${res.invalid || 0}, inconsistent ${res.inconsistent || 0}, undelivered ${res.undelivered || 0})` : ""));
    if (res.security && res.security !== "malicious") lines.push(`Security: ${res.security} (for experiments only)`);
    return lines;
}

/** The rules in words for the page. */
export function describeRules(d) {
    const sp = d.spec;
    if (sp.kind === "vote") {
        if (sp.type === "threshold") {
            const [a, b] = sp.threshold;
            const base = { yes_no: "of the yes and no votes", cast: "of all ballots cast", roll: "of the whole roll" }[sp.base] || "";
            return `Motion: passes with ${sp.strict ? "more than" : "at least"} ${a}/${b} ${base}` +
                   (sp.quorum ? `, quorum ${sp.quorum} ballots` : "") + ". Only YES or NO is revealed, never the tally.";
        }
        const what = sp.reveal === "winner" ? "only the winner is revealed" : "the tallies are revealed";
        if (sp.type === "plurality") return `Choose one option${sp.abstain ? " (or a blank ballot)" : ""}; ${what}.`;
        return `Approve up to ${sp.maxApprovals} option${sp.maxApprovals === 1 ? "" : "s"}${sp.abstain ? " (none: a blank ballot)" : ""}; ${what}.`;
    }
    if (sp.kind === "auction") {
        let s = sp.second ? "Second-price sealed-bid auction: the highest bidder wins and pays the second-highest bid"
                          : `First-price sealed-bid auction: the highest bid wins${sp.revealWinner ? " (the winner is revealed)" : ""}`;
        if (sp.reserve > 0n) s += `; reserve price ${sp.reserve}`;
        return `${s}. Bids are whole numbers from 0 to ${sp.maxBid}; ties go to the earliest on the roll.`;
    }
    return "";
}
