/**
 * The privacy rights of the signed-in user: the policy (with the operator's contact) and its
 * acknowledgement, a summary of the data held and when it goes, the export (JSON bundle, and any table as CSV), and deletion.
 */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance } from 'fastify';
import { exportAccountData, exportSourceRows } from '../../core/privacy/export.ts';
import type { ExportRow } from '../../core/privacy/data-source.ts';
import { summarizeAccountData } from '../../core/privacy/data-summary.ts';
import { requestDeletion } from '../../core/privacy/erasure.ts';
import { acknowledgePolicy, currentPolicy, pendingAcknowledgement } from '../../core/privacy/policy.ts';
import type { ApiDeps } from '../app.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { clearSessionCookies } from '../plugins/session.ts';
import { ExportBundleSchema } from '../schemas/export-bundle.ts';
import { problems } from '../schemas/problem.ts';
import { PasswordSchema } from './auth.ts';

const Version = Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9._-]+$' });

const Policy = Type.Object({
  version: Type.String(),
  publishedAt: Type.String({ format: 'date-time' }),
  material: Type.Boolean(),
  text: Type.String(),
  contact: Type.Object({ email: Type.String() }),
  acknowledgementRequired: Type.Union([Type.Null(), Type.Object({ version: Type.String() })], {
    description: 'for a signed-in caller: the material version to acknowledge, if any; null otherwise',
  }),
});

const DataSummary = Type.Object({
  kinds: Type.Array(
    Type.Object({
      kind: Type.Union([
        Type.Literal('account'),
        Type.Literal('calls'),
        Type.Literal('payments'),
        Type.Literal('devices'),
        Type.Literal('mail'),
        Type.Literal('security'),
      ]),
      holds: Type.Array(Type.String(), { description: 'what it holds, in words (one line per table, as in the export)' }),
      count: Type.Integer({ minimum: 0 }),
      kept: Type.String({ description: 'how long this kind is kept, in words, with the retention windows' }),
      nextChange: Type.Union([
        Type.Null(),
        Type.Object({
          on: Type.String({ format: 'date-time' }),
          change: Type.Union([Type.Literal('deidentify'), Type.Literal('delete')]),
          what: Type.String(),
        }),
      ]),
    }),
  ),
  deletionPausedBy: Type.Array(Type.Union([Type.Literal('legal_obligation'), Type.Literal('open_dispute')]), {
    description: 'what would pause deletion of the account if requested now; retention dates are not paused',
  }),
});

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** CSV with a header of every column any row has. */
export function rowsToCsv(rows: readonly ExportRow[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return stringify(
    rows.map((row) => columns.map((column) => cell(row[column]))),
    { header: true, columns },
  );
}

export async function privacyRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { db, privacy, sessions, attempts } = deps;
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();

  scope.get('/privacy/policy', { schema: { tags: ['privacy'], response: { 200: Policy } } }, async (request) => {
    const policy = await currentPolicy(db);
    const pending = request.caller === null ? undefined : await pendingAcknowledgement(db, request.caller.accountId);
    return {
      version: policy.version,
      publishedAt: policy.published_at.toISOString(),
      material: policy.material,
      text: policy.body_text,
      contact: { email: privacy.operatorContact },
      acknowledgementRequired: pending === undefined ? null : { version: pending.version },
    };
  });

  scope.post(
    '/privacy/policy/acknowledge',
    {
      schema: {
        tags: ['privacy'],
        body: Type.Object({ version: Version }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await acknowledgePolicy(db, requireCaller(request).accountId, request.body.version);
      return reply.code(204).send(null);
    },
  );

  scope.get(
    '/privacy/export',
    { schema: { tags: ['privacy'], description: 'Everything held about you, as one JSON document.', response: { 200: ExportBundleSchema, ...problems(401) } } },
    async (request, reply) => {
      const bundle = await exportAccountData(db, privacy.tools.vault, requireCaller(request).accountId, { kind: 'subject' });
      void reply.header('content-disposition', 'attachment; filename="dialo-export.json"');
      return bundle;
    },
  );

  scope.get(
    '/privacy/summary',
    {
      schema: {
        tags: ['privacy'],
        description:
          'Each kind of data held about you (account, calls, payments, devices, mail, security events): how many records, how long ' +
          'it is kept, and the next date retention de-identifies or deletes some of it; and whether a legal obligation or an open ' +
          'card dispute would pause deletion of your account.',
        response: { 200: DataSummary, ...problems(401) },
      },
    },
    async (request) => {
      const summary = await summarizeAccountData(db, requireCaller(request).accountId, privacy.retention);
      return {
        kinds: summary.kinds.map((entry) => ({
          ...entry,
          holds: [...entry.holds],
          nextChange: entry.nextChange && { ...entry.nextChange, on: entry.nextChange.on.toISOString() },
        })),
        deletionPausedBy: [...summary.deletionPausedBy],
      };
    },
  );

  scope.get(
    '/privacy/export/csv/:table',
    {
      schema: {
        tags: ['privacy'],
        description: 'One table of your data as CSV, e.g. `cdrs` for your call records (see `contents` in the JSON export).',
        params: Type.Object({ table: Type.String({ pattern: '^[a-z_]{1,63}$' }) }),
        response: { 200: Type.String({ description: 'text/csv' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const rows = await exportSourceRows(db, privacy.tools.vault, requireCaller(request).accountId, request.params.table);
      if (rows === undefined) throw new HttpProblem(404, 'Not Found', `no exportable table named ${request.params.table}`);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="dialo-${request.params.table}.csv"`)
        .send(rowsToCsv(rows));
    },
  );

  scope.post(
    '/privacy/deletion',
    {
      schema: {
        tags: ['privacy'],
        description:
          'Deletes your account (your password is required): it is disabled and signed out at once, personal data is erased, and ' +
          'records billing or law must keep are de-identified. A legal hold pauses the erasure (status `paused`) until lifted.',
        body: Type.Object({ password: PasswordSchema }, { additionalProperties: false }),
        response: {
          202: Type.Object({ status: Type.Union([Type.Literal('erased'), Type.Literal('paused')]) }),
          ...problems(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const outcome = await requestDeletion(db, attempts, requireCaller(request).accountId, request.body.password, privacy.tools);
      clearSessionCookies(reply, sessions);
      return reply.code(202).send({ status: outcome.status });
    },
  );
}
