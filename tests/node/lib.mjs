// Shared helpers of the node tests: libsodium, mpc.js, vector files, a byte
// tape standing in for randombytes_buf, and the C test tool.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";

// libsodium.js's ESM build needs globalThis.crypto (node 19+ has it; Debian 12's
// node 18 does not by default), so it is imported only after this.
if (!globalThis.crypto) globalThis.crypto = webcrypto;
const sodium = (await import("libsodium-wrappers")).default;
const mpc = await import("../../web/mpc.js");

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BUILD = process.env.MPC_BUILD || join(ROOT, "build");
await mpc.init(sodium);
export { mpc, sodium };

/** Rows of a tab-separated vector file, comments and blank lines skipped. */
export function vectors(name) {
    return readFileSync(join(ROOT, "tests", "vectors", name), "utf8").split("\n")
        .filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t"));
}

/** rand(len) reading a fixed byte tape in order (throws when it runs out),
 * and how much was used. */
export function tape(bytes) {
    let pos = 0;
    const rand = (len) => {
        if (pos + len > bytes.length) throw new Error("tape exhausted");
        const out = bytes.slice(pos, pos + len);
        pos += len;
        return out;
    };
    rand.used = () => pos;
    return rand;
}

/** Deterministic tape bytes from a label (BLAKE2b in counter mode). */
export function tapeBytes(label, len) {
    const out = new Uint8Array(len);
    for (let o = 0, c = 0; o < len; c++, o += 64) {
        const h = sodium.crypto_generichash(64, `${label}/${c}`);
        out.set(h.subarray(0, Math.min(64, len - o)), o);
    }
    return out;
}

/** Run the C tool (tests/tools/envelope_tool); stdout as text. */
export function tool(args, input) {
    return execFileSync(join(BUILD, "tests", "tools", "envelope_tool"), args,
                        { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}
