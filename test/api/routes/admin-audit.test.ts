// The audit trail through the admin API on every dialect: events written by real operator actions (a suspension
// with its sealed reason, an adjustment) and by sign-up, then read newest first in keyset pages, filtered by account,
// action and time, with the operator's reason opened for the reader and gone once the account is erased.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { suspendOutbound } from '../../../core/abuse/suspension.ts';
import { recordAudit } from '../../../core/audit.ts';
import { signIn, testApi, TEST_VAULT, type SignedIn } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

interface AuditEventDto {
  id: number;
  occurredAt: string;
  action: string;
  actor: { id: string; email: string | null } | null;
  subject: { id: string; email: string | null } | null;
  detail: Record<string, unknown>;
}
interface AuditPage {
  events: AuditEventDto[];
  next: string | null;
}

describeEachDialect('operator audit log API', (database) => {
  let app: FastifyInstance;
  let operator: SignedIn;
  let user: SignedIn;
  let other: SignedIn;
  beforeAll(async () => {
    app = await testApi(database(), {});
    const { db } = database();
    operator = await signIn(app, db, { role: 'operator' });
    user = await signIn(app, db);
    other = await signIn(app, db);
    await suspendOutbound(db, TEST_VAULT, {
      accountId: user.accountId,
      reason: 'calls to JM at night',
      operatorId: operator.accountId,
      contact: 'support@dialo.test',
    });
    for (let i = 0; i < 3; i += 1) {
      await recordAudit(db, { action: 'test.paged', actorAccountId: operator.accountId, subjectAccountId: other.accountId, detail: { n: i } });
    }
  });
  afterAll(() => app?.close());

  const read = async (query: string): Promise<AuditPage> => {
    const response = await app.inject({ method: 'GET', url: `/admin/audit?${query}`, headers: operator.headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<AuditPage>();
  };

  it('pages newest first by keyset, every event once', async () => {
    const seen: AuditEventDto[] = [];
    let next: string | null = null;
    do {
      const page: AuditPage = await read(`limit=2${next === null ? '' : `&before=${next}`}`);
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events);
      next = page.next;
    } while (next !== null);
    const { db } = database();
    const all = await db.selectFrom('audit_events').select('id').orderBy('occurred_at', 'desc').orderBy('id', 'desc').execute();
    expect(seen.map((event) => event.id)).toEqual(all.map((row) => row.id));
    expect(seen.slice(0, 3).map((event) => event.detail)).toEqual([{ n: 2 }, { n: 1 }, { n: 0 }]);
  });

  it('filters by account (as actor or subject), action and time, and opens the operator reason', async () => {
    const suspension = await read(`accountId=${user.accountId}&action=abuse.outbound_suspended`);
    expect(suspension.events).toHaveLength(1);
    expect(suspension.events[0]).toMatchObject({
      actor: { id: operator.accountId, email: operator.email },
      subject: { id: user.accountId, email: user.email },
      detail: { reason: 'calls to JM at night' },
    });
    // The user's own sign-up events are theirs too; the other account's are not.
    const users = await read(`accountId=${user.accountId}`);
    expect(users.events.length).toBeGreaterThan(1);
    expect(users.events.every((event) => event.actor?.id === user.accountId || event.subject?.id === user.accountId)).toBe(true);
    expect((await read(`accountId=${operator.accountId}&action=test.paged`)).events).toHaveLength(3);

    const newest = (await read('limit=1')).events[0]!;
    const at = new Date(newest.occurredAt);
    expect((await read(`to=${encodeURIComponent(at.toISOString())}&action=test.paged`)).events.every((event) => new Date(event.occurredAt) < at)).toBe(true);
    const later = new Date(at.getTime() + 60_000).toISOString();
    expect((await read(`from=${encodeURIComponent(later)}`)).events).toEqual([]);
  });

  it("shows an erased account's reason as null: its key is gone", async () => {
    await TEST_VAULT.shred(database().db, user.accountId);
    const [event] = (await read(`accountId=${user.accountId}&action=abuse.outbound_suspended`)).events;
    expect(event!.detail.reason).toBeNull();
    expect(event!.subject).toEqual({ id: user.accountId, email: null });
  });

  it('refuses bad filters and cursors, and anyone but an operator', async () => {
    for (const query of ['before=bm9wZQ', 'from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'accountId=nope', 'action=DROP%20TABLE']) {
      const response = await app.inject({ method: 'GET', url: `/admin/audit?${query}`, headers: operator.headers });
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await app.inject({ method: 'GET', url: '/admin/audit' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/audit', headers: other.headers })).statusCode).toBe(403);
  });
});
