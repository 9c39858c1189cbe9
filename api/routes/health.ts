import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Readiness } from '../../core/readiness.ts';
import type { Database } from '../../db/schema.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const Health = Type.Object({ status: Type.Literal('ok'), database: Type.String() });
const Ready = Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.String()) });

export interface HealthDeps {
  readonly db: Kysely<Database>;
  readonly dialect: string;
  /** The checks of the roles running in this process, beside the database's. */
  readonly readiness?: Readiness;
}

/**
 * `GET /healthz`: the process is up and its database answers. `GET /readyz`: everything this process serves works
 * (the database, and a signaling role's SIP really answering), else 503 with what is not. `/metrics` is elsewhere
 * (metrics.ts beside this file): it is not public by default.
 */
export function healthRoutes(app: FastifyInstance, { db, dialect, readiness }: HealthDeps): void {
  app.get('/healthz', { schema: { response: { 200: Health } } }, async () => {
    await sql`select 1`.execute(db);
    return { status: 'ok' as const, database: dialect };
  });

  app.get('/readyz', { schema: { response: { 200: Ready, ...problems(503) } } }, async () => {
    const report = await readiness?.report();
    const checks: Record<string, string> = {
      database: await sql`select 1`.execute(db).then(
        () => 'ok',
        (error: Error) => error.message,
      ),
      ...report?.checks,
    };
    const failing = Object.entries(checks).filter(([, state]) => state !== 'ok');
    if (failing.length > 0) throw new HttpProblem(503, 'Not Ready', failing.map(([name, why]) => `${name}: ${why}`).join('; '));
    return { status: 'ready' as const, checks };
  });
}
