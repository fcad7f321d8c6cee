// README command 1: `tollgate quickstart` on an empty directory, and the commands it
// prints, run exactly as printed — through to the example Worker in workerd.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { startWorker } from "../../www/worker-example/test/harness.mjs";
import { BIN, printedLine, quickstart } from "./issuer.mjs";

const run = promisify(execFile);
let dir, server, output = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tollgate-quickstart-"));
  const env = { ...process.env };
  delete env.TOLLGATE_DATABASE_URL;
  // `tollgate` is not on PATH here (install.test.mjs covers the installed case).
  const self = realpathSync(BIN);
  const other = (d) => !existsSync(join(d, "tollgate")) || realpathSync(join(d, "tollgate")) !== self;
  env.PATH = (env.PATH ?? "").split(delimiter).filter(other).join(delimiter);
  server = await quickstart(BIN, dir, env);
  output = server.output();
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const printed = (prefix) => printedLine(output, prefix);

test("the printed curl commands (Basic and form) return tokens that jose verifies", async () => {
  const base = printed("curl -u").match(/(http:\/\/127\.0\.0\.1:\d+)\/oauth\/token/)[1];
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  for (const prefix of ["curl -u", "curl -d"]) {
    const { stdout } = await run("sh", ["-c", `${printed(prefix)} --silent --show-error --fail`]);
    const body = JSON.parse(stdout);
    assert.equal(body.token_type, "Bearer");
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, { typ: "at+jwt" });
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.equal(payload.client_id, printed("client_id:").split(/\s+/)[1]);
  }
});

test("the printed jwks command names the binary that ran (not on PATH) and works as printed", async () => {
  const command = output.split("\n").map((l) => l.trim()).find((l) => l.endsWith(" jwks > jwks.json"));
  assert.ok(command, `quickstart prints a jwks command:\n${output}`);
  assert.equal(command, `${realpathSync(BIN)} jwks > jwks.json`);
  await run("sh", ["-c", command], { cwd: dir });
  assert.match(readFileSync(join(dir, "jwks.json"), "utf8"), /"kty":"OKP"/);
});

test("the quickstart token passes the example Worker (200); one without orders:read gets 403", async () => {
  const base = printed("curl -u").match(/(http:\/\/127\.0\.0\.1:\d+)\/oauth\/token/)[1];
  const jwks = readFileSync(join(dir, "jwks.json"), "utf8");
  const wrangler = readFileSync(new URL("../../www/worker-example/wrangler.toml", import.meta.url), "utf8");
  const audience = wrangler.match(/^TOLLGATE_AUDIENCE = "([^"]+)"/m)[1];
  assert.match(output, new RegExp(`audience:\\s+${audience}`));
  const worker = await startWorker({ jwks, issuer: base, audience });
  try {
    const token = async (extra) => {
      const { stdout } = await run("sh", ["-c", `${printed("curl -u")} ${extra} --silent --show-error --fail`]);
      return JSON.parse(stdout);
    };
    const orders = (accessToken) =>
      fetch(`${worker.url}/api/orders`, { headers: { authorization: `Bearer ${accessToken}` } });
    const full = await token("");
    assert.equal(full.scope, "orders:read orders:write");
    const ok = await orders(full.access_token);
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).client_id, "demo");
    const narrow = await token("-d scope=orders:write");
    assert.equal(narrow.scope, "orders:write");
    const refused = await orders(narrow.access_token);
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get("www-authenticate"), /error="insufficient_scope"/);
  } finally {
    await worker.stop();
  }
});

test("the store and its master key file are private to their owner", () => {
  for (const file of ["tollgate.key", "tollgate.db"]) {
    assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);
  }
  assert.match(output, /sealed with the master key in tollgate\.key \(mode 0600\)/);
});

test("a second quickstart refuses the existing store and leaves it untouched", async () => {
  const db = join(dir, "tollgate.db");
  const before = statSync(db);
  const env = { ...process.env };
  delete env.TOLLGATE_DATABASE_URL;
  await assert.rejects(
    run(BIN, ["quickstart", "--listen", "127.0.0.1:0"], { cwd: dir, env }),
    (error) => error.code !== 0 && /already exists/.test(error.stderr),
  );
  const afterStat = statSync(db);
  assert.equal(afterStat.ino, before.ino);
  assert.ok(afterStat.size >= before.size);
});
