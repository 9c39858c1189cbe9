/**
 * The process logger (pino, JSON lines on stdout). Logs are kept outside the retention job, so they hold no secrets
 * and as little personal data as serves running the service (docs/architecture.md, "What logs hold"): any field whose
 * name says it is a secret is redacted at any depth, request URLs lose their query values, and client addresses are
 * truncated.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { logAddress } from './core/client-address.ts';

export type { Logger };

const CENSOR = '[redacted]';

/**
 * Field names that hold secrets wherever they appear (`password`, `newPassword`, `token`, `csrfToken`, `secret`,
 * `cookie`, `set-cookie`, `authorization`, `x-csrf-token`, an `ha1_md5`...), so a careless `log.info({ body })` or
 * `log.info({ headers })` cannot leak one.
 */
const SECRET_FIELD = /^pass$|passw(or)?d|passphrase|secret|token|cookie|authori[sz]ation|csrf|ha1|api[-_]?key/i;

/** Counts and flags under such a name (`email_tokens: 3` in a retention run's counts) are no secret. */
function mayHoldSecret(value: unknown): boolean {
  return value !== null && value !== undefined && typeof value !== 'number' && typeof value !== 'boolean';
}

/** A copy of plain objects and arrays with every secret-named field redacted; anything else (an Error, a request) as is. */
function withoutSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return CENSOR; // deeper than anything we log: not walked, so not shown
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_FIELD.test(key) && mayHoldSecret(item) ? CENSOR : withoutSecrets(item, depth + 1)]),
  );
}

/**
 * A request's URL without its query values: links mailed to users carry one-time tokens there (`/auth/verify?token=`),
 * and the request log would otherwise keep them.
 */
export function withoutQueryValues(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const names = url
    .slice(query + 1)
    .split('&')
    .map((pair) => `${pair.split('=')[0]}=${CENSOR}`);
  return `${url.slice(0, query)}?${names.join('&')}`;
}

/** Fastify's own request fields (a logger given to Fastify replaces its serializers); no headers, no body. */
interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  /** The matched route's pattern (`/admin/dids/:e164`), where Fastify found one. */
  readonly routeOptions?: { readonly url?: string };
  readonly host?: string;
  readonly ip?: string;
}

/** pino's error fields but Postgres's `detail`, which quotes the values a constraint refused (an e-mail address, a number). */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...pino.stdSerializers.err(error) };
  delete fields.detail;
  return fields;
}

/**
 * The route's pattern with the query's names: path parameters can be personal (`/admin/dids/+14155550100`), and the
 * pattern says what was asked without them. A path no route matched is logged as sent, less its query values.
 */
function loggedPath(req: LoggedRequest): string | undefined {
  if (req.url === undefined) return undefined;
  const path = withoutQueryValues(req.url);
  const pattern = req.routeOptions?.url;
  if (pattern === undefined || pattern.includes('*')) return path;
  const query = path.indexOf('?');
  return query < 0 ? pattern : `${pattern}${path.slice(query)}`;
}

const serializers = {
  err: errorFields,
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: loggedPath(req),
    host: req.host,
    remoteAddress: logAddress(req.ip),
  }),
};

export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino({ level, formatters: { log: (fields) => withoutSecrets(fields) as Record<string, unknown> }, serializers, base: { app: 'dialo' } }, destination);
}
