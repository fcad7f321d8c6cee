// The provider-style pages in docs/styles run as written: each page's ```toml tollgate.toml
// block becomes the config file, its ```sh setup block starts `tollgate serve` and
// registers the client, and every ```sh request block runs against that server. A request
// block's output must match the ```json block after it (same fields; `...` stands for any
// value, `eyJ...` for any value starting `eyJ`), and every access token must verify with
// the issuer's JWKS for the audience the setup registered.
//
// The blocks run verbatim with `tollgate` on PATH, with one change: the documented
// address 127.0.0.1:8080 becomes the free port the server bound (TOLLGATE_LISTEN), so
// the test can run beside anything else on the machine.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { BIN } from "./issuer.mjs";

const run = promisify(execFile);
const styles = resolve(import.meta.dirname, "../../docs/styles");
const DOCUMENTED = "127.0.0.1:8080";

/** The fenced blocks of a markdown page: `{ lang, tag, text }` in order. */
function blocks(markdown) {
  const found = [];
  const fence = /^```(\w+)(?: +(\S+))?\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(fence)) found.push({ lang: m[1], tag: m[2] ?? "", text: m[3] });
  return found;
}

/** Asserts `actual` has exactly the documented fields, `...` matching any value. */
function matchesDocumented(actual, documented, where) {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(documented).sort(), where);
  for (const [key, value] of Object.entries(documented)) {
    if (typeof value === "string" && value.endsWith("...")) {
      assert.equal(typeof actual[key], "string", `${where}: ${key}`);
      assert.ok(actual[key].startsWith(value.slice(0, -3)) && actual[key].length > value.length, `${where}: ${key}`);
    } else {
      assert.deepEqual(actual[key], value, `${where}: ${key}`);
    }
  }
}

/** A dir holding `tollgate` (the binary under test), to put first on PATH. */
const binDir = mkdtempSync(join(tmpdir(), "tollgate-bin-"));
symlinkSync(BIN, join(binDir, "tollgate"));
after(() => rmSync(binDir, { recursive: true, force: true }));

/** The environment the blocks run in: no TOLLGATE_* from outside, `tollgate` on PATH. */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TOLLGATE_")));
  return { ...env, PATH: `${binDir}${delimiter}${env.PATH}`, ...extra };
}

/** Starts the setup block's `tollgate serve ... &` line; resolves with its bound address. */
function startServe(line, dir, env) {
  const child = spawn("sh", ["-c", `exec ${line.replace(/\s*&$/, "")}`], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const address = new Promise((resolveAddr, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/^listening on (127\.0\.0\.1:\d+)$/m);
      if (m) {
        clearTimeout(timer);
        resolveAddr(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", done);
      child.kill("SIGTERM");
    });
  return { address, stop };
}

for (const page of readdirSync(styles).filter((f) => f.endsWith(".md")).sort()) {
  describe(`docs/styles/${page}`, () => {
    const all = blocks(readFileSync(join(styles, page), "utf8"));
    const dir = mkdtempSync(join(tmpdir(), "tollgate-style-"));
    let server;
    after(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("has one config file, one setup block and request blocks, each with its answer", () => {
      assert.equal(all.filter((b) => b.lang === "toml" && b.tag === "tollgate.toml").length, 1);
      const setup = all.filter((b) => b.lang === "sh" && b.tag === "setup");
      assert.equal(setup.length, 1);
      assert.match(setup[0].text, /^tollgate serve --config tollgate\.toml &$/m);
      assert.match(setup[0].text, /tollgate client create --config tollgate\.toml .*--audience https:\/\/api\.example\.com/s);
      const requests = all.flatMap((b, i) => (b.lang === "sh" && b.tag === "request" ? [i] : []));
      assert.ok(requests.length >= 1);
      for (const i of requests) assert.equal(all[i + 1]?.lang, "json", `block ${i} is followed by its answer`);
    });

    test("runs as written against a real server", async () => {
      writeFileSync(join(dir, "tollgate.toml"), all.find((b) => b.tag === "tollgate.toml").text);
      const env = cleanEnv({ TOLLGATE_LISTEN: "127.0.0.1:0", TOLLGATE_ADMIN_LISTEN: "off" });
      const setup = all.find((b) => b.tag === "setup").text;
      const [serveLine, ...rest] = setup.split("\n");
      server = startServe(serveLine, dir, env);
      const address = await server.address;
      const local = (text) => text.replaceAll(DOCUMENTED, address);
      // The rest of the setup in one shell; its variables carry over to the requests.
      const { stdout } = await run("sh", ["-ec", `${local(rest.join("\n"))}\nprintf %s "$CLIENT_SECRET"`], { cwd: dir, env });
      assert.match(stdout, /^[A-Za-z0-9_-]{43}$/, "the setup captured the client secret");
      const audience = setup.match(/--audience (\S+)/)[1];
      const vars = { CLIENT_SECRET: stdout };
      const jwks = createRemoteJWKSet(new URL(`http://${address}/.well-known/jwks.json`));
      let checked = 0;
      for (const [i, block] of all.entries()) {
        if (block.lang !== "sh" || block.tag !== "request") continue;
        const out = await run("sh", ["-ec", local(block.text)], { cwd: dir, env: { ...env, ...vars } });
        const answer = JSON.parse(out.stdout);
        matchesDocumented(answer, JSON.parse(all[i + 1].text), `${page} block ${i}`);
        if (answer.access_token) {
          const { payload } = await jwtVerify(answer.access_token, jwks, { issuer: `http://${address}`, audience, typ: "at+jwt" });
          assert.equal(payload.scope, answer.scope);
          vars.ACCESS_TOKEN = answer.access_token;
        }
        if (answer.refresh_token) vars.REFRESH_TOKEN = answer.refresh_token;
        checked += 1;
      }
      assert.ok(checked >= 1);
    });
  });
}
