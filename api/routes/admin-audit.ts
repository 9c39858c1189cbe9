/**
 * Operators read the audit trail: newest first, keyset pages, filtered by account, action and time
 * (core/audit-log.ts). A read of the trail is not itself audited: it would fill the trail with its own reading.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { auditLog, type AuditCursor, type AuditLogEvent } from '../../core/audit-log.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const AuditQuery = Type.Object({
  accountId: Type.Optional(Type.String({ format: 'uuid', description: 'events by this account or about it' })),
  action: Type.Optional(Type.String({ pattern: '^[a-z0-9_.-]{1,100}$', description: 'one action, e.g. `calls.hang_up_requested`' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'events at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'events before' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  before: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's `next`" })),
});

const party = (description: string) =>
  Type.Union(
    [Type.Object({ id: Type.String({ format: 'uuid' }), email: Type.Union([Type.String(), Type.Null()], { description: 'null once erased' }) }), Type.Null()],
    {
      description,
    },
  );
const AuditEventSchema = Type.Object({
  id: Type.Integer(),
  occurredAt: Type.String({ format: 'date-time' }),
  action: Type.String(),
  actor: party('who acted; null: the system (jobs, webhooks)'),
  subject: party('the account the action concerns, if any'),
  detail: Type.Record(Type.String(), Type.Unknown(), { description: "ids and counts; an operator's reason opened, null once its account is erased" }),
});
const AuditPageSchema = Type.Object({
  events: Type.Array(AuditEventSchema, { description: 'newest first' }),
  next: Type.Union([Type.String(), Type.Null()], { description: 'pass as `before` for the next page; null: no more' }),
});

/** Cursors are opaque to clients: the last event's time and id. */
function encodeCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.occurredAt}|${cursor.id}`).toString('base64url');
}

function decodeCursor(cursor: string): AuditCursor {
  const [occurredAt = '', id = ''] = Buffer.from(cursor, 'base64url').toString().split('|');
  // Only what encodeCursor makes gets to the database: a timestamp's characters and an integer.
  const timestamp = /^\d{4}-\d{2}-\d{2} [\d:.+-]+$/.test(occurredAt) && !Number.isNaN(Date.parse(occurredAt));
  if (!timestamp || !/^\d{1,15}$/.test(id)) throw new HttpProblem(400, 'Bad Request', 'not a cursor this API gave out');
  return { occurredAt, id: Number(id) };
}

const eventDto = (event: AuditLogEvent): Static<typeof AuditEventSchema> => ({ ...event, occurredAt: event.occurredAt.toISOString() });

export function adminAuditRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/admin/audit',
    {
      schema: {
        description: 'The audit trail, newest first, a page at a time: by account (as actor or subject), action and time [from, to).',
        querystring: AuditQuery,
        response: { 200: AuditPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const query = request.query as Static<typeof AuditQuery>;
      const from = query.from === undefined ? undefined : new Date(query.from);
      const to = query.to === undefined ? undefined : new Date(query.to);
      if (from !== undefined && to !== undefined && from >= to) throw new HttpProblem(400, 'Bad Request', '`from` must be before `to`');
      const page = await auditLog(
        deps.db,
        deps.privacy.tools.vault,
        {
          ...(query.accountId === undefined ? {} : { accountId: query.accountId }),
          ...(query.action === undefined ? {} : { action: query.action }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
        },
        { limit: query.limit, ...(query.before === undefined ? {} : { before: decodeCursor(query.before) }) },
      );
      return { events: page.events.map(eventDto), next: page.next === null ? null : encodeCursor(page.next) };
    },
  );
}
