// `npm run build`: crates/wasm → pkg/ (cargo, wasm-bindgen --target web, wasm-opt).
//
// Honors CARGO_TARGET_DIR, else uses the workspace's target/. The wasm-bindgen CLI must be
// the exact version Cargo.lock pins (the JS glue and the crate speak one private ABI).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
run("cargo", ["build", "-p", "tollgate-wasm", "--target", "wasm32-unknown-unknown", "--profile", profile], {
  cwd: repo,
  env: { ...process.env, CARGO_TARGET_DIR: targetDir },
});

rmSync(out, { recursive: true, force: true });
const built = join(targetDir, "wasm32-unknown-unknown", profile, "tollgate_wasm.wasm");
run("wasm-bindgen", [
  "--target", "web",
  "--out-dir", out,
  "--no-typescript",
  "--remove-name-section",
  "--remove-producers-section",
  built,
]);

// binaryen from npm: Debian's wasm-opt 108 mangles current wasm-bindgen output.
const wasm = join(out, "tollgate_wasm_bg.wasm");
const wasmOpt = join(pkgRoot, "node_modules", ".bin", "wasm-opt");
if (!existsSync(wasmOpt)) {
  console.error("wasm-opt missing: run `npm ci` first (it comes from the binaryen package)");
  process.exit(1);
}
const optLevel = process.env.TOLLGATE_WASM_OPT ?? "-O3";
run(wasmOpt, [optLevel, "--strip-debug", "--strip-producers", "--strip-target-features", wasm, "-o", wasm]);

// The error classes live in a wasm-bindgen snippet; re-export them from a fixed path so
// the package hands out the very classes the glue throws.
const snippets = join(out, "snippets");
const [crateDir] = readdirSync(snippets);
writeFileSync(
  join(out, "errors.js"),
  `export { VerifyError, JwksError } from "./snippets/${crateDir}/js/errors.js";\n`,
);

const bytes = readFileSync(wasm);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`pkg/tollgate_wasm_bg.wasm: ${kib(bytes.length)} raw, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip -9`);
