/**
 * Operator call plumbing: carriers (trunks: where calls go out, where they may come in from, with the carrier's
 * digest credentials, which are write-only) and phone numbers (DIDs) assigned to accounts.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { CDR_DIRECTIONS } from '../../core/calls/cdr-export.ts';
import { runCdrExport } from '../../core/calls/cdr-export-run.ts';
import { addDid, assignDid, listDids, removeDid, type Did } from '../../core/calls/dids.ts';
import { createTrunk, deleteTrunk, listTrunks, REGISTER_DEFAULTS, updateTrunk, type TrunkView } from '../../core/calls/trunk-admin.ts';
import { mergedHealth, sharedTrunkStates, type NodeHealth, type SharedRegistration } from '../../core/calls/trunk-state.ts';
import type { Database } from '../../db/schema.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HistoryFilterQuery } from '../schemas/history-filter.ts';
import { problems } from '../schemas/problem.ts';

const Credentials = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 128 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

/** A trunk's dialling rules (core/calls/dial-string.ts); checked in core, the schema only bounds them. */
const DiallingFields = {
  numberFormat: Type.Union([Type.Literal('e164'), Type.Literal('e164-no-plus'), Type.Literal('national')], {
    default: 'e164',
    description: 'how the dialled number is written in the Request-URI and To: +14155550100, 14155550100, or national digits',
  }),
  techPrefix: Type.Union([Type.Null(), Type.String({ maxLength: 10, description: 'digits put before the number' })], { default: null }),
  callerIdHeader: Type.Union([Type.Literal('from'), Type.Literal('pai')], {
    default: 'from',
    description: 'pai: the caller also in P-Asserted-Identity (RFC 3325)',
  }),
  callerIdWithheld: Type.Boolean({ default: false, description: 'From anonymous and Privacy: id (RFC 3323); needs callerIdHeader pai' }),
  codecOrder: Type.Union([Type.Null(), Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })], {
    default: null,
    description: 'codec names first in the offer the carrier gets, in this order, e.g. ["PCMA", "PCMU"]',
  }),
};

/** A TLS trunk's own trust and SRTP to the carrier (core/calls/trunk-security.ts); checked in core. */
const SecurityFields = {
  tlsCaPem: Type.Union([Type.Null(), Type.String({ maxLength: 20_000 })], {
    default: null,
    description: "PEM CA certificate(s) the carrier's TLS certificate must chain to, host name checked; needs a TLS outbound URI",
  }),
  tlsPinSha256: Type.Union([Type.Null(), Type.String({ maxLength: 95 })], {
    default: null,
    description: "the carrier certificate's SHA-256 fingerprint (64 hex digits, colons allowed); needs a TLS outbound URI",
  }),
  mediaEncryption: Type.Union([Type.Literal('none'), Type.Literal('sdes')], {
    default: 'none',
    description: 'sdes: media to the carrier is SRTP keyed in the SDP (RFC 4568), never plain RTP; needs a TLS outbound URI',
  }),
};

/** Outbound registration (RFC 3261 §10.2); the password is write-only: omitted on update, the stored one is kept. */
const RegistrationBody = Type.Object(
  {
    uri: Type.String({ maxLength: 300, description: 'the registrar, e.g. sip:reg.carrier.example:5060;transport=udp' }),
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 256 })])),
    expires: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, description: 'seconds asked for (default 3600); the registrar may grant less' })),
    didSource: Type.Optional(
      Type.Union([Type.Literal('request-uri'), Type.Literal('to')], {
        description: 'where inbound calls on the registration carry the number: the Request-URI user or the To user (default to)',
      }),
    ),
  },
  { additionalProperties: false },
);

const TrunkBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    priority: Type.Integer({ minimum: 0, maximum: 10_000, default: 100 }),
    outboundUri: Type.Union([Type.Null(), Type.String({ maxLength: 300 })], { default: null }),
    /** Omitted on update: keep what is stored. null: remove. */
    auth: Type.Optional(Type.Union([Type.Null(), Credentials])),
    inboundSources: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100, default: [] }),
    enabled: Type.Boolean({ default: true }),
    ...DiallingFields,
    ...SecurityFields,
    registration: Type.Union([Type.Null(), RegistrationBody], { default: null }),
  },
  { additionalProperties: false },
);

const TrunkSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  priority: Type.Integer(),
  outboundUri: Type.Union([Type.String(), Type.Null()]),
  authUsername: Type.Union([Type.String(), Type.Null()]),
  hasPassword: Type.Boolean(),
  inboundSources: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  numberFormat: Type.String(),
  techPrefix: Type.Union([Type.String(), Type.Null()]),
  callerIdHeader: Type.String(),
  callerIdWithheld: Type.Boolean(),
  codecOrder: Type.Union([Type.Array(Type.String()), Type.Null()]),
  tlsCaPem: Type.Union([Type.String(), Type.Null()]),
  tlsPinSha256: Type.Union([Type.String(), Type.Null()], { description: 'as stored: AB:CD:... upper case' }),
  mediaEncryption: Type.String(),
  registration: Type.Union([
    Type.Null(),
    Type.Object({ uri: Type.String(), username: Type.String(), hasPassword: Type.Boolean(), expires: Type.Integer(), didSource: Type.String() }),
  ]),
});

const NodeHealthSchema = Type.Object({
  nodeId: Type.String({ description: 'the signaling node whose OPTIONS pings this is' }),
  state: Type.Union([Type.Literal('unknown'), Type.Literal('up'), Type.Literal('down')], {
    description: 'down: that node skips the trunk in routing; unknown: not pinged yet, or stale',
  }),
  stale: Type.Boolean({ description: 'the node stopped writing (stopped, or cut off): its state reads as unknown' }),
  since: Type.String({ format: 'date-time', description: 'when the state last changed' }),
  consecutiveFailures: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: "the last written ping's final status; null: none came" }),
  lastResult: Type.Union([Type.Literal('answered'), Type.Literal('unavailable'), Type.Literal('timeout'), Type.Literal('error'), Type.Null()]),
  lastPingAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'the last written ping (on a change, or a periodic refresh)' }),
  updatedAt: Type.String({ format: 'date-time', description: 'when the node last wrote it' }),
});
const TrunkHealthSchema = Type.Union([Type.Null(), NodeHealthSchema], {
  description: 'OPTIONS-ping health across signaling nodes: the worst state any node reports now, naming that node; null: no node reports on it',
});
const RegistrationStateSchema = Type.Union(
  [
    Type.Null(),
    Type.Object({
      heldBy: Type.Union([Type.String(), Type.Null()], { description: 'the signaling node holding the lease (the one that registers it); null: none now' }),
      state: Type.Union([Type.Literal('unregistered'), Type.Literal('registered'), Type.Literal('failed'), Type.Null()], {
        description: 'as the lease holder last wrote it; failed: skipped by routing on every node; null: not known (no holder, or none written yet)',
      }),
      stale: Type.Boolean({ description: 'a state was written by a node that no longer holds the lease: it is not shown' }),
      since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: "the last REGISTER's final status; null: none came or none yet" }),
      lastReason: Type.Union([Type.Literal('refused'), Type.Literal('timeout'), Type.Literal('error'), Type.Null()], {
        description: 'failed: refused (a final non-2xx), timeout (no answer) or error (transport)',
      }),
      expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'registered: when the binding granted runs out' }),
      nextRetryAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'failed: when REGISTER is tried again' }),
      updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the holder last wrote it' }),
    }),
  ],
  { description: 'outbound registration (RFC 3261 §10.2); null: the trunk does not register' },
);
const TrunkWithHealthSchema = Type.Composite([
  TrunkSchema,
  Type.Object({
    health: TrunkHealthSchema,
    healthByNode: Type.Array(NodeHealthSchema, { description: "each signaling node's own view, by node id" }),
    registrationState: RegistrationStateSchema,
  }),
]);

/**
 * Every trunk with its health and registration state, as the signaling nodes wrote them (core/calls/trunk-state.ts):
 * whichever process asks, signaling role or not. GET /admin/trunks and `dialo trunks list` show this.
 */
export async function trunksWithState(db: Kysely<Database>): Promise<Static<typeof TrunkWithHealthSchema>[]> {
  const shared = await sharedTrunkStates(db, new Date());
  return (await listTrunks(db)).map((trunk) => {
    const views = shared.health.get(trunk.id) ?? [];
    const merged = mergedHealth(views);
    return {
      ...trunkDto(trunk),
      health: merged === undefined ? null : healthDto(merged),
      healthByNode: views.map(healthDto),
      registrationState: trunk.register_uri === null ? null : registrationStateDto(shared.registrations.get(trunk.id)),
    };
  });
}

function registrationStateDto(registration: SharedRegistration | undefined): Static<typeof RegistrationStateSchema> {
  const record = registration?.record;
  return {
    heldBy: registration?.heldBy ?? null,
    state: record?.state ?? null,
    stale: registration?.stale ?? false,
    since: record?.since.toISOString() ?? null,
    lastStatus: record?.last_status ?? null,
    lastReason: record?.last_reason ?? null,
    expiresAt: record?.registered_until?.toISOString() ?? null,
    nextRetryAt: record?.retry_at?.toISOString() ?? null,
    updatedAt: record?.updatedAt.toISOString() ?? null,
  };
}

function healthDto(health: NodeHealth): Static<typeof NodeHealthSchema> {
  return {
    nodeId: health.nodeId,
    state: health.state,
    stale: health.stale,
    since: health.since.toISOString(),
    consecutiveFailures: health.consecutiveFailures,
    lastStatus: health.lastStatus,
    lastResult: health.lastResult,
    lastPingAt: health.lastPingAt?.toISOString() ?? null,
    updatedAt: health.updatedAt.toISOString(),
  };
}

const DidSchema = Type.Object({ e164: Type.String(), accountId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]) });
const DidAssignment = Type.Object({ accountId: Type.Union([Type.Null(), Type.String({ format: 'uuid' })]) }, { additionalProperties: false });
const DidBody = Type.Object(
  { e164: Type.String({ maxLength: 16 }), accountId: Type.Union([Type.Null(), Type.String({ format: 'uuid' })], { default: null }) },
  { additionalProperties: false },
);
const CdrExportQuery = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { default: 'csv' }),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'calls started at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'calls started before' })),
  accountId: Type.Optional(Type.String({ format: 'uuid' })),
  direction: Type.Optional(
    Type.Union(
      CDR_DIRECTIONS.map((value) => Type.Literal(value)),
      { description: 'as recorded: outbound to carriers, inbound from carriers, onnet between users of this server, echo tests' },
    ),
  ),
  // How a call turned out, read as a user's GET /calls reads it.
  outcome: HistoryFilterQuery.outcome,
  trunkId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'calls through this trunk' })),
});

const TrunkId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const DidParam = Type.Object({ e164: Type.String({ maxLength: 16 }) });

export function trunkDto(trunk: TrunkView): Static<typeof TrunkSchema> {
  return {
    id: trunk.id,
    name: trunk.name,
    priority: trunk.priority,
    outboundUri: trunk.outbound_uri,
    authUsername: trunk.auth_username,
    hasPassword: trunk.has_password,
    inboundSources: trunk.inbound_sources,
    enabled: trunk.enabled,
    numberFormat: trunk.number_format,
    techPrefix: trunk.tech_prefix,
    callerIdHeader: trunk.caller_id_header,
    callerIdWithheld: trunk.caller_id_withheld,
    codecOrder: trunk.codec_order,
    tlsCaPem: trunk.tls_ca_pem,
    tlsPinSha256: trunk.tls_pin_sha256,
    mediaEncryption: trunk.media_encryption,
    registration:
      trunk.register_uri === null || trunk.register_username === null
        ? null
        : {
            uri: trunk.register_uri,
            username: trunk.register_username,
            hasPassword: trunk.has_register_password,
            expires: trunk.register_expires,
            didSource: trunk.register_did_source,
          },
  };
}

export const didDto = (did: Did): Static<typeof DidSchema> => ({ e164: did.e164, accountId: did.account_id });

function trunkInput(body: Static<typeof TrunkBody>) {
  return {
    name: body.name,
    priority: body.priority,
    outboundUri: body.outboundUri,
    inboundSources: body.inboundSources,
    enabled: body.enabled,
    dialling: {
      number_format: body.numberFormat,
      tech_prefix: body.techPrefix,
      caller_id_header: body.callerIdHeader,
      caller_id_withheld: body.callerIdWithheld,
      codec_order: body.codecOrder,
    },
    security: { tls_ca_pem: body.tlsCaPem, tls_pin_sha256: body.tlsPinSha256, media_encryption: body.mediaEncryption },
  };
}

function registrationInput(body: Static<typeof RegistrationBody>) {
  return {
    uri: body.uri,
    username: body.username,
    expires: body.expires ?? REGISTER_DEFAULTS.expires,
    didSource: body.didSource ?? REGISTER_DEFAULTS.didSource,
  };
}

export function adminCallRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;

  app.get(
    '/admin/trunks',
    { schema: { response: { 200: Type.Object({ trunks: Type.Array(TrunkWithHealthSchema) }), ...problems(401, 403) } } },
    async (request) => {
      requireOperator(request);
      return { trunks: await trunksWithState(db) };
    },
  );

  app.post('/admin/trunks', { schema: { body: TrunkBody, response: { 201: TrunkSchema, ...problems(400, 401, 403, 409) } } }, async (request, reply) => {
    const operator = requireOperator(request);
    const body = request.body as Static<typeof TrunkBody>;
    const registration = body.registration === null ? null : { ...registrationInput(body.registration), password: body.registration.password ?? null };
    const trunk = await createTrunk(db, operator.accountId, { ...trunkInput(body), auth: body.auth ?? null, registration });
    return reply.status(201).send(trunkDto(trunk));
  });

  app.put(
    '/admin/trunks/:id',
    { schema: { params: TrunkId, body: TrunkBody, response: { 200: TrunkSchema, ...problems(400, 401, 403, 404, 409) } } },
    async (request) => {
      const operator = requireOperator(request);
      const body = request.body as Static<typeof TrunkBody>;
      const { id } = request.params as Static<typeof TrunkId>;
      const registration =
        body.registration === null
          ? null
          : { ...registrationInput(body.registration), password: body.registration.password === undefined ? ('keep' as const) : body.registration.password };
      return trunkDto(await updateTrunk(db, operator.accountId, id, { ...trunkInput(body), auth: body.auth === undefined ? 'keep' : body.auth, registration }));
    },
  );

  app.delete('/admin/trunks/:id', { schema: { params: TrunkId, response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } }, async (request, reply) => {
    const operator = requireOperator(request);
    await deleteTrunk(db, operator.accountId, (request.params as Static<typeof TrunkId>).id);
    return reply.status(204).send();
  });

  app.get(
    '/admin/cdrs/export',
    {
      schema: {
        description: 'Every call record matching the filter, oldest first, streamed (any size in constant memory). Audited.',
        querystring: CdrExportQuery,
        response: { 200: Type.String({ description: 'text/csv or application/x-ndjson' }), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      const query = request.query as Static<typeof CdrExportQuery>;
      const filter = {
        ...(query.from === undefined ? {} : { from: new Date(query.from) }),
        ...(query.to === undefined ? {} : { to: new Date(query.to) }),
        ...(query.accountId === undefined ? {} : { accountId: query.accountId }),
        ...(query.direction === undefined ? {} : { direction: query.direction }),
        ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
        ...(query.trunkId === undefined ? {} : { trunkId: query.trunkId }),
      };
      const body = await runCdrExport({ db, vault: deps.privacy.tools.vault, copyOut: deps.copyOut }, operator.accountId, filter, query.format);
      const stamp = new Date().toISOString().slice(0, 10);
      reply.header('content-disposition', `attachment; filename="dialo-cdrs-${stamp}.${query.format}"`);
      reply.type(query.format === 'ndjson' ? 'application/x-ndjson' : 'text/csv; charset=utf-8');
      return reply.send(body);
    },
  );

  app.get(
    '/admin/dids',
    {
      schema: {
        querystring: Type.Object({ accountId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: { 200: Type.Object({ dids: Type.Array(DidSchema) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const { accountId } = request.query as { accountId?: string };
      return { dids: (await listDids(db, accountId === undefined ? {} : { accountId })).map(didDto) };
    },
  );

  app.post('/admin/dids', { schema: { body: DidBody, response: { 201: DidSchema, ...problems(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    const operator = requireOperator(request);
    const body = request.body as Static<typeof DidBody>;
    return reply.status(201).send(didDto(await addDid(db, operator.accountId, body.e164, body.accountId)));
  });

  app.put(
    '/admin/dids/:e164',
    { schema: { params: DidParam, body: DidAssignment, response: { 200: DidSchema, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      const operator = requireOperator(request);
      const { e164 } = request.params as Static<typeof DidParam>;
      return didDto(await assignDid(db, operator.accountId, e164, (request.body as Static<typeof DidAssignment>).accountId));
    },
  );

  app.delete('/admin/dids/:e164', { schema: { params: DidParam, response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } }, async (request, reply) => {
    const operator = requireOperator(request);
    await removeDid(db, operator.accountId, (request.params as Static<typeof DidParam>).e164);
    return reply.status(204).send();
  });
}
