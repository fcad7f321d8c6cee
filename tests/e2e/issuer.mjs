// Drives the real `tollgate` binary: a temp SQLite store, the CLI, and `serve` on 127.0.0.1.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const BIN = process.env.TOLLGATE_BIN ?? resolve("../../target/debug/tollgate");

/** A fresh store in a temp dir, and a `cli(...args)` bound to it. */
export function tempStore(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-e2e-"));
  const database = `sqlite://${join(dir, "tollgate.db")}`;
  const fullEnv = { ...process.env, TOLLGATE_DATABASE_URL: database, ...env };
  const cli = async (...args) => {
    const { stdout } = await run(BIN, args, { env: fullEnv, cwd: dir });
    return stdout;
  };
  const cliJson = async (...args) => JSON.parse(await cli(...args, "--json"));
  return { dir, database, env: fullEnv, cli, cliJson, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `tollgate serve` on free loopback ports (the public and the admin listener);
 * resolves once both are listening, with `url` and `adminUrl`.
 */
export async function serve(store, extraArgs = []) {
  const args = ["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", ...extraArgs];
  const child = spawn(BIN, args, {
    env: store.env,
    cwd: store.dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  const [url, adminUrl] = await new Promise((resolveUrls, reject) => {
    const timer = setTimeout(() => reject(new Error(`issuer did not start:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
    };
    // The addresses are the stdout lines `listening on ADDR` and `admin listening on ADDR`.
    child.stdout.on("data", (chunk) => {
      onData(chunk);
      stdout += chunk;
      const pub = stdout.match(/^listening on (127\.0\.0\.1:\d+)$/m);
      const admin = stdout.match(/^admin listening on (127\.0\.0\.1:\d+)$/m);
      if (pub && admin) {
        clearTimeout(timer);
        resolveUrls([`http://${pub[1]}`, `http://${admin[1]}`]);
      }
    });
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`issuer exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", done);
      child.kill("SIGTERM");
    });
  return { url, adminUrl, stop, output: () => output };
}

/**
 * Starts `quickstart` (binary `bin`) in `dir` on free loopback ports; resolves once it
 * has printed its commands and both listeners, with `output()` (stdout and stderr so far)
 * and `stop()`.
 */
export async function quickstart(bin, dir, env) {
  const child = spawn(bin, ["quickstart", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`quickstart did not start:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      if (/^admin listening on 127\.0\.0\.1:\d+$/m.test(output) && /curl -d /.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`quickstart exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", done);
      child.kill("SIGTERM");
    });
  return { output: () => output, stop };
}

/** The trimmed line of `output` that starts with `prefix`. */
export function printedLine(output, prefix) {
  const line = output.split("\n").find((l) => l.trim().startsWith(prefix));
  if (!line) throw new Error(`no line starting with ${prefix} in:\n${output}`);
  return line.trim();
}

/** POSTs a form to the token endpoint, with Basic credentials when `basic` is given. */
export async function tokenRequest(url, form, basic) {
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) {
    // RFC 6749 §2.3.1: form-encode id and secret, then base64 the pair.
    const enc = (s) => encodeURIComponent(s).replace(/%20/g, "+");
    headers.authorization = "Basic " + Buffer.from(`${enc(basic.id)}:${enc(basic.secret)}`).toString("base64");
  }
  const response = await fetch(url, { method: "POST", headers, body: new URLSearchParams(form) });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** Polls `check` until it returns a truthy value, for at most `ms` milliseconds. */
export async function eventually(check, ms = 15_000, every = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, every));
  }
}
