// `npm run build` (and `npm pack`): crates/wasm → pkg/ and pkg/webcrypto/ (cargo,
// wasm-bindgen --target web, wasm-opt).
//
// Honors CARGO_TARGET_DIR, else uses the workspace's target/. The wasm-bindgen CLI must be
// the exact version Cargo.lock pins (the JS glue and the crate speak one private ABI).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = resolve(here, "..");
const repo = resolve(pkgRoot, "../..");
const out = join(pkgRoot, "pkg");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, "target");
const profile = "wasm-release";

function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.map((a) => (a.startsWith(repo) ? relative(process.cwd(), a) : a)).join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", ...options });
}

function pinnedBindgen() {
  const lock = readFileSync(join(repo, "Cargo.lock"), "utf8");
  const match = lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!match) throw new Error("wasm-bindgen is not in Cargo.lock");
  return match[1];
}

function checkBindgen() {
  const want = pinnedBindgen();
  let have;
  try {
    have = execFileSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).trim().split(" ")[1];
  } catch {
    have = "none";
  }
  if (have !== want) {
    console.error(`wasm-bindgen CLI ${have} found, ${want} needed: cargo install wasm-bindgen-cli --version ${want}`);
    process.exit(1);
  }
}

checkBindgen();
const wasmOpt = join(pkgRoot, "node_modules", ".bin", "wasm-opt");
if (!existsSync(wasmOpt)) {
  console.error("wasm-opt missing: run `npm ci` first (it comes from the binaryen package)");
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** One build of crates/wasm with `cargoFlags`, bound and optimised into `dir`. */
function buildVariant(dir, cargoFlags) {
  run(
    "cargo",
    ["build", "-p", "tollgate-wasm", "--target", "wasm32-unknown-unknown", "--profile", profile, ...cargoFlags],
    { cwd: repo, env: { ...process.env, CARGO_TARGET_DIR: targetDir } },
  );
  const built = join(targetDir, "wasm32-unknown-unknown", profile, "tollgate_wasm.wasm");
  run("wasm-bindgen", [
    "--target", "web",
    "--out-dir", dir,
    "--no-typescript",
    "--remove-name-section",
    "--remove-producers-section",
    built,
  ]);
  // binaryen from npm: Debian's wasm-opt 108 mangles current wasm-bindgen output.
  const wasm = join(dir, "tollgate_wasm_bg.wasm");
  const optLevel = process.env.TOLLGATE_WASM_OPT ?? "-O3";
  run(wasmOpt, [optLevel, "--strip-debug", "--strip-producers", "--strip-target-features", wasm, "-o", wasm]);
  // The error classes: one module for both builds, so `instanceof` holds whichever threw.
  const snippets = join(dir, "snippets");
  for (const crateDir of readdirSync(snippets)) {
    const snippet = join(snippets, crateDir, "js", "errors.js");
    const shared = relative(dirname(snippet), join(out, "errors.js")).split("\\").join("/");
    writeFileSync(snippet, `export { VerifyError, JwksError } from "./${shared}";\n`);
  }
  const bytes = readFileSync(wasm);
  console.log(`${relative(pkgRoot, wasm)}: ${kib(bytes.length)} raw, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip -9`);
}

// The full build (pkg/), and the WebCrypto one without Ed25519 (pkg/webcrypto/).
buildVariant(out, []);
buildVariant(join(out, "webcrypto"), ["--no-default-features"]);
copyFileSync(join(repo, "crates", "wasm", "js", "errors.js"), join(out, "errors.js"));
