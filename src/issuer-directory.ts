/**
 * Several issuers (`issuers`), the optional step behind that option (optional-steps.ts): picks
 * the issuer pipeline for a token from the token's unverified `iss` — which only ever selects
 * among issuers configured here (a list, Entra-style tenant templates, or a resolver's answers):
 * an issuer not configured is refused before any network request, so a token can never make the
 * verifier fetch from a URL it chose. Each issuer has its own key source (and so its own cache and
 * cooldown), so a flood of unknown `kid`s at one issuer never delays another; the resolver's
 * answers are cached and bounded. A failure's reason names the issuer tried.
 */
import { BoundedMap } from './bounded-map.js';
import { parseClaims } from './claims.js';
import { isBase64Url } from './crypto/base64url.js';
import type { CryptoBackend } from './crypto/types.js';
import { AccessTokenError, KeysUnavailableError, invalidToken } from './errors.js';
import { createIssuerPipeline, namingIssuer, parseTemplate, tenantOf, type IssuerDefaults, type IssuerDirectoryFactory, type IssuerPipeline, type TenantTemplate } from './issuers.js';
import { refuseUnknownIssuerOptions, type IssuerOptions, type IssuerResolver, type IssuerResolverRequest, type SharedOptions } from './options.js';
import { quote } from './quote.js';
import type { JWTClaims } from './types.js';

const INVALID = 'The access token is invalid.';

/** The issuers' step for `issuers`: the token's unverified `iss` picks the pipeline that verifies it. */
export const createIssuerDirectoryStep: IssuerDirectoryFactory = (backend, issuers, defaults) => {
  const directory = createIssuerDirectory(backend, issuers, defaults);
  const run = (pipeline: IssuerPipeline, token: string, jws: string, claims: JWTClaims) => {
    try {
      const verified = pipeline.verify(token, jws, claims);
      return verified instanceof Promise ? verified.catch((error: unknown) => Promise.reject(namingIssuer(error, pipeline.issuer))) : verified;
    } catch (error) {
      throw namingIssuer(error, pipeline.issuer);
    }
  };
  return {
    verify(token, jws, request) {
      const claims = readUnverifiedClaims(jws, backend);
      const selected = directory.select(claims.iss, request);
      return selected instanceof Promise ? selected.then((pipeline) => run(pipeline, token, jws, claims)) : run(selected, token, jws, claims);
    },
    ready: () => directory.ready(),
  };
};

/** Picks the issuer pipeline for a token's unverified `iss`. */
interface IssuerDirectory {
  select(iss: string, request: IssuerResolverRequest): IssuerPipeline | Promise<IssuerPipeline>;
  /** Obtains the keys of the issuers known now (listed ones; a resolver's are found per token). */
  ready(): Promise<void>;
}

/** The directory for `issuers` (a list, or a resolver); validates the list now. */
function createIssuerDirectory(backend: CryptoBackend, issuers: NonNullable<SharedOptions['issuers']>, shared: IssuerDefaults): IssuerDirectory {
  if (typeof issuers === 'function') return new ResolvedIssuers(backend, issuers, shared);
  if (!Array.isArray(issuers) || issuers.length === 0) throw new TypeError('`issuers` must be a non-empty array of issuer options, or a resolver function');
  const exact = new Map<string, IssuerPipeline>();
  const templates: Array<{ template: TenantTemplate; pipeline: IssuerPipeline }> = [];
  issuers.forEach((entry, index) => {
    const pipeline = createIssuerPipeline(backend, entry, shared, `issuers[${index}].`);
    const template = parseTemplate(pipeline.issuer, '');
    if (template !== undefined) templates.push({ template, pipeline });
    else if (exact.has(pipeline.issuer)) throw new TypeError(`\`issuers[${index}].issuer\` ${JSON.stringify(pipeline.issuer)} is listed twice`);
    else exact.set(pipeline.issuer, pipeline);
  });
  const configured = issuers.map((entry) => JSON.stringify(entry.issuer)).join(', ');
  return {
    select(iss) {
      const pipeline = exact.get(iss) ?? templates.find(({ template }) => tenantOf(iss, template) !== undefined)?.pipeline;
      if (pipeline === undefined) throw invalidToken(INVALID, `iss ${quote(iss)} is not a configured issuer (configured: ${configured})`, { reasonCode: 'issuer_mismatch' });
      return pipeline;
    },
    async ready() {
      await Promise.all([...exact.values(), ...templates.map(({ pipeline }) => pipeline)].map((pipeline) => pipeline.ready()));
    },
  };
}

const RESOLVER_DEFAULTS = { maxEntries: 100, maxAge: 600 };
/** Longest an issuer the resolver refused stays refused without asking again, seconds. */
const MAX_REFUSAL_AGE = 60;

/**
 * The resolver's answers, cached: accepted issuers (each a pipeline with its own key source) in
 * one bounded LRU, refused ones in another — so a flood of made-up `iss` values, which can only
 * fill the second, never evicts a real tenant. Concurrent requests for one issuer share one call.
 */
class ResolvedIssuers implements IssuerDirectory {
  readonly #accepted: BoundedMap<string, IssuerPipeline>;
  readonly #refused: BoundedMap<string, true>;
  readonly #acceptedTtlMs: number;
  readonly #refusedTtlMs: number;
  readonly #pending = new Map<string, Promise<IssuerPipeline>>();

  constructor(
    private readonly backend: CryptoBackend,
    private readonly resolver: IssuerResolver,
    private readonly shared: IssuerDefaults,
  ) {
    const maxEntries = shared.issuerCache?.maxEntries ?? RESOLVER_DEFAULTS.maxEntries;
    const maxAge = shared.issuerCache?.maxAge ?? RESOLVER_DEFAULTS.maxAge;
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError('`issuerCache.maxEntries` must be a positive integer');
    if (!(Number.isFinite(maxAge) && maxAge > 0)) throw new TypeError('`issuerCache.maxAge` must be a number of seconds > 0');
    this.#acceptedTtlMs = maxAge * 1000;
    this.#refusedTtlMs = Math.min(maxAge, MAX_REFUSAL_AGE) * 1000;
    this.#accepted = new BoundedMap(maxEntries);
    this.#refused = new BoundedMap(maxEntries);
  }

  /** The issuers the resolver has named so far: others are not known yet, so have no keys to wait for. */
  async ready(): Promise<void> {
    await Promise.all(this.#accepted.values().map((pipeline) => pipeline.ready()));
  }

  /** Issuers whose answer is cached (accepted ones). */
  get size(): number {
    return this.#accepted.size;
  }

  select(iss: string, request: IssuerResolverRequest): IssuerPipeline | Promise<IssuerPipeline> {
    const known = this.#accepted.get(iss);
    if (known !== undefined) return known;
    if (this.#refused.get(iss)) throw notTrusted(iss);
    const pending = this.#pending.get(iss);
    if (pending !== undefined) return pending;
    let answer: ReturnType<IssuerResolver>;
    try {
      answer = this.resolver(iss, request);
    } catch (error) {
      throw resolverFailed(iss, error);
    }
    if (!(answer instanceof Promise)) return this.#settle(iss, answer);
    const settling = answer.then(
      (options) => this.#settle(iss, options),
      (error: unknown) => {
        throw resolverFailed(iss, error);
      },
    );
    this.#pending.set(iss, settling);
    const forget = () => this.#pending.delete(iss);
    settling.then(forget, forget);
    return settling;
  }

  #settle(iss: string, options: IssuerOptions | undefined): IssuerPipeline {
    if (options === undefined || options === null) {
      this.#refused.set(iss, true, this.#refusedTtlMs);
      throw notTrusted(iss);
    }
    let pipeline: IssuerPipeline;
    try {
      if (typeof options !== 'object') throw new TypeError('the answer is not an options object');
      refuseUnknownIssuerOptions(options, '');
      const issuer = options.issuer ?? iss;
      const template = parseTemplate(issuer, '`issuer`');
      if (template === undefined ? issuer !== iss : tenantOf(iss, template) === undefined) {
        throw new TypeError(`the answer is for issuer ${JSON.stringify(issuer)}`);
      }
      pipeline = createIssuerPipeline(this.backend, { ...options, issuer }, this.shared);
    } catch (error) {
      throw resolverFailed(iss, error, 'answered unusable options');
    }
    this.#accepted.set(iss, pipeline, this.#acceptedTtlMs);
    return pipeline;
  }
}

function notTrusted(iss: string): AccessTokenError {
  return invalidToken(INVALID, `iss ${quote(iss)} is not a trusted issuer: the issuer resolver does not know it`);
}

/** The resolver failing is our failure (503), never the caller's. */
function resolverFailed(iss: string, error: unknown, what = 'failed'): KeysUnavailableError {
  return new KeysUnavailableError(`the issuer resolver ${what} for ${quote(iss)}: ${(error as Error)?.message ?? String(error)}`, 1, { cause: error });
}

/**
 * The payload of a token not yet verified, read only to learn which issuer to verify it with.
 * Refused unless its segment is canonical base64url of a JSON object with a string `iss`, so
 * what selects the issuer is exactly what the signature will cover.
 */
function readUnverifiedClaims(jws: string, backend: CryptoBackend): JWTClaims & { iss: string } {
  const first = jws.indexOf('.');
  const second = jws.indexOf('.', first + 1);
  const payload = first > 0 && second > first ? jws.slice(first + 1, second) : '';
  if (!isBase64Url(payload)) throw invalidToken('The access token is malformed.', 'the payload is empty or not canonical base64url');
  const claims = parseClaims(backend.decodeBase64UrlText(payload));
  if (typeof claims.iss !== 'string') {
    throw invalidToken(INVALID, claims.iss === undefined ? 'the token has no iss, so no issuer can be chosen to verify it' : 'iss must be a string');
  }
  return claims as JWTClaims & { iss: string };
}
