// A key set fetched from the issuer's JWKS URL and cached per isolate.
//
// - Fetched on first need; kept for the response's `Cache-Control: max-age`, bounded to
//   [60 s, 24 h]; refreshed in the background once 80 % of that has passed, so a token
//   whose `kid` is known never waits on the network. One fetch is in flight at a time.
// - A token whose `kid` is unknown triggers at most one refetch per 30 s (a rotated-in key
//   is picked up at once; a flood of made-up `kid`s costs at most one fetch per 30 s).
// - A failed fetch keeps the last good set and is reported (`onJwksError`); the next try
//   waits 30 s. Only with no set at all does a request fail, with `jwks_unavailable`.
import { JwksError } from "../pkg/errors.js";

const MIN_TTL_S = 60;
const MAX_TTL_S = 24 * 60 * 60;
const REFRESH_AT = 0.8;
const COOLDOWN_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;
/** A key set is a few hundred bytes a key; anything this large is not one. */
const MAX_JWKS_BYTES = 64 * 1024;

/** `max-age` of a Cache-Control value, bounded; the lower bound when absent. */
export function cacheSeconds(cacheControl) {
  const match = /(?:^|[,\s])max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl ?? "");
  const seconds = match ? Number(match[1]) : 0;
  return Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, seconds));
}

const tooLarge = (url) => new JwksError("jwks_unavailable", `GET ${url}: larger than ${MAX_JWKS_BYTES} bytes`);

export class RemoteJwks {
  #url;
  #fetch;
  #load;
  #report;
  #refreshAt = -Infinity;
  #retryAt = -Infinity;
  #unknownKidAt = -Infinity;
  #inflight = null;
  #inflightSince = 0;

  /**
   * @param {string | URL} url
   * @param {(jwksText: string) => void} load installs a set; throws JwksError if unusable
   * @param {{ fetch?: typeof fetch, onJwksError?: (error: Error) => void }} options
   */
  constructor(url, load, { fetch: fetcher, onJwksError } = {}) {
    if (typeof url !== "string" && !(url instanceof URL)) throw new TypeError("jwksUrl must be a string or a URL");
    this.#url = String(new URL(url));
    this.#fetch = fetcher ?? ((...args) => globalThis.fetch(...args));
    this.#load = load;
    this.#report = onJwksError ?? ((e) => console.warn(`tollgate: JWKS fetch failed, keeping the last good set: ${e.message}`));
  }

  /** The first set: waits for it. */
  first() {
    return this.#refresh();
  }

  /** A background refresh when one is due; `waitUntil` keeps the isolate's request alive. */
  refreshIfDue(waitUntil) {
    const now = Date.now();
    if (now < this.#refreshAt || now < this.#retryAt || this.#busy(now)) return;
    const refresh = this.#refresh().catch(() => {});
    waitUntil?.(refresh);
  }

  /** A refetch for an unknown `kid`; resolves to whether one was made and succeeded. */
  async refetchForUnknownKid() {
    const now = Date.now();
    if (now - this.#unknownKidAt < COOLDOWN_MS) return false;
    this.#unknownKidAt = now;
    try {
      await this.#refresh();
      return true;
    } catch {
      return false;
    }
  }

  #busy(now) {
    // A fetch whose request context went away never settles: after its timeout, forget it.
    return this.#inflight !== null && now - this.#inflightSince < FETCH_TIMEOUT_MS + 1_000;
  }

  #refresh() {
    const now = Date.now();
    if (!this.#busy(now)) {
      this.#inflightSince = now;
      const inflight = this.#fetchOnce().finally(() => {
        if (this.#inflight === inflight) this.#inflight = null;
      });
      this.#inflight = inflight;
    }
    return this.#inflight;
  }

  async #fetchOnce() {
    try {
      const response = await this.#fetch(this.#url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new JwksError("jwks_unavailable", `GET ${this.#url} answered ${response.status}`);
      if (Number(response.headers.get("content-length") ?? 0) > MAX_JWKS_BYTES) throw tooLarge(this.#url);
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw tooLarge(this.#url);
      this.#load(text);
      const ttl = cacheSeconds(response.headers.get("cache-control"));
      this.#refreshAt = Date.now() + ttl * 1000 * REFRESH_AT;
    } catch (error) {
      this.#retryAt = Date.now() + COOLDOWN_MS;
      const reported = error instanceof JwksError ? error : new JwksError("jwks_unavailable", `GET ${this.#url} failed: ${error.message}`);
      this.#report(reported);
      throw reported;
    }
  }
}
