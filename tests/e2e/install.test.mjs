// The documented install: `cargo install --locked --path crates/issuer` puts `tollgate` on
// PATH; `tollgate quickstart` then prints commands that name it `tollgate`, and every one
// of them works as printed. Installs into a temp root, reusing the workspace's build
// artifacts (CARGO_TARGET_DIR), so only a changed crate is rebuilt.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";
import { printedLine, quickstart } from "./issuer.mjs";

const run = promisify(execFile);
const workspace = resolve(import.meta.dirname, "../..");
let root, dir, env, server, output;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tollgate-install-"));
  dir = mkdtempSync(join(tmpdir(), "tollgate-installed-"));
  const build = { ...process.env, CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR ?? join(workspace, "target") };
  // A release build: low priority, it shares the machine with the other suites.
  await run("nice", ["-n", "10", "cargo", "install", "--locked", "--path", "crates/issuer", "--root", root], {
    cwd: workspace,
    env: build,
    maxBuffer: 64 * 1024 * 1024,
  });
  env = { ...process.env, PATH: `${join(root, "bin")}${delimiter}${process.env.PATH}` };
  delete env.TOLLGATE_DATABASE_URL;
  server = await quickstart("tollgate", dir, env);
  output = server.output();
}, { timeout: 20 * 60_000 });

after(async () => {
  await server?.stop();
  for (const d of [root, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

const sh = (command) => run("sh", ["-c", command], { cwd: dir, env });

test("the installed binary is `tollgate` on PATH", async () => {
  const { stdout } = await sh("command -v tollgate && tollgate --version");
  const [path, version] = stdout.trim().split("\n");
  assert.equal(path, join(root, "bin", "tollgate"));
  const manifest = readFileSync(join(workspace, "Cargo.toml"), "utf8");
  assert.equal(version, `tollgate ${manifest.match(/^version = "([^"]+)"/m)[1]}`);
});

test("quickstart names the binary `tollgate`, and its printed commands work as printed", async () => {
  const jwksCommand = printedLine(output, "tollgate jwks");
  assert.equal(jwksCommand, "tollgate jwks > jwks.json");
  await sh(jwksCommand);
  const base = printedLine(output, "curl -u").match(/(http:\/\/127\.0\.0\.1:\d+)\/oauth\/token/)[1];
  const served = await (await fetch(`${base}/.well-known/jwks.json`)).json();
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "jwks.json"), "utf8")), served);
  for (const prefix of ["curl -u", "curl -d"]) {
    const { stdout } = await sh(`${printedLine(output, prefix)} --silent --show-error --fail`);
    const body = JSON.parse(stdout);
    assert.equal(body.token_type, "Bearer", prefix);
    assert.equal(body.scope, "orders:read orders:write", prefix);
  }
});
