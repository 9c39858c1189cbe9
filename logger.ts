/**
 * The process logger (pino, JSON lines). Secrets are redacted by path wherever they may appear,
 * so a careless `log.info({ req })` cannot leak a password, cookie or digest response.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

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
    .map((pair) => `${pair.split('=')[0]}=[redacted]`);
  return `${url.slice(0, query)}?${names.join('&')}`;
}

/** Fastify's own request fields (a logger given to Fastify replaces its serializers), with the query values left out. */
interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly host?: string;
  readonly ip?: string;
  readonly socket?: { readonly remotePort?: number };
}

const serializers = {
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: req.url === undefined ? undefined : withoutQueryValues(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers, base: { app: 'dialo' } }, destination);
}
