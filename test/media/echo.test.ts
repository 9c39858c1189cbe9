// The echo test number (*43) through real FreeSWITCH and real drachtio-server: the media server answers the caller's
// own offer and sends its audio back; the call is free, recorded, and capped.
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { balanceOf } from '../../core/billing/ledger.ts';
import { useCallStack } from '../harness/call-stack.ts';
import { callFixtures, refreshOf, onceClosed } from '../harness/calls.ts';
import { drachtioProvision } from '../harness/drachtio.ts';
import { freeswitchProvision, useFreeSwitch } from '../harness/freeswitch.ts';
import { runSipp, sippBinary, type SippRun } from '../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || freeswitchProvision.via === 'missing' || sippBinary === undefined;

/**
 * One PCMU packet's payload (20 ms), different for each of the first 126 packets: bytes that decode and re-encode as
 * themselves (never 0x7f/0xff, which both mean zero).
 */
function payloadOf(sequence: number): Buffer {
  return Buffer.from(Array.from({ length: 160 }, (_, i) => ((sequence + i * 3) % 126) + 1));
}

function rtpPacket(sequence: number, ssrc: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // version 2
  header[1] = 0; // PCMU
  header.writeUInt16BE(sequence & 0xffff, 2);
  header.writeUInt32BE((sequence * 160) >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payloadOf(sequence)]);
}

/** The payload of an RTP packet (RFC 3550 §5.1: after the fixed header, CSRCs and any extension). */
function payloadOfPacket(packet: Buffer): { type: number; payload: Buffer } {
  const csrcs = packet[0]! & 0x0f;
  let offset = 12 + csrcs * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return { type: packet[1]! & 0x7f, payload: packet.subarray(offset) };
}

/**
 * A desk phone's audio, played by the test: sipp does the signaling (its offer names this socket's port), the test
 * sends `count` PCMU packets to the port the answer names once sipp has written it, and collects what comes back.
 */
async function rtpPhone(count: number) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Buffer[] = [];
  socket.on('message', (packet) => received.push(packet));
  const folder = await mkdtemp(join(tmpdir(), 'dialo-echo-'));
  const portFile = join(folder, 'answer-port');
  return {
    port: socket.address().port,
    portFile,
    received,
    async talk(): Promise<void> {
      const answerPort = await vi.waitFor(async () => Number.parseInt(await readFile(portFile, 'utf8'), 10), { timeout: 10_000, interval: 20 });
      for (let sequence = 0; sequence < count; sequence++) {
        socket.send(rtpPacket(sequence, 0x1234abcd), answerPort, '127.0.0.1');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      socket.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** sipp's INVITE -> 200 time (the `invite` response-time measure), in ms. */
function inviteToAnswerMs(run: SippRun): number | undefined {
  const row = (run.csv.rtt ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.split(';'))
    .find((fields) => fields[2]?.trim() === 'invite');
  return row === undefined ? undefined : Number(row[1]);
}

/** FreeSWITCH's own count of the channels it has up (`show channels count`). */
async function channelsUp(suite: ReturnType<typeof useCallStack>): Promise<number> {
  const server = suite.stack.media!.pool.pick() as unknown as { api(command: string): Promise<string> };
  return Number(/(\d+) total/.exec(await server.api('show channels count'))?.[1] ?? Number.NaN);
}

/** Every echo channel was hung up on the media server once its call ended (none held by the running echo). */
async function noChannelLeft(suite: ReturnType<typeof useCallStack>): Promise<void> {
  await vi.waitFor(async () => expect(await channelsUp(suite)).toBe(0), { timeout: 5000 });
}

/** A counter's value for one label set on this stack's metrics (prom-client), 0 when never counted. */
async function counted(
  counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await counter.get();
  return values.find((value) => Object.entries(labels).every(([name, label]) => value.labels[name] === label))?.value ?? 0;
}

async function ledgerEntries(suite: ReturnType<typeof useCallStack>, accountId: string): Promise<number> {
  const entries = await suite.database.db.selectFrom('ledger_entries').select('id').where('account_id', '=', accountId).execute();
  const holds = await suite.database.db.selectFrom('reservations').select('id').where('account_id', '=', accountId).execute();
  return entries.length + holds.length;
}

describe.skipIf(missing)('the echo test number (real FreeSWITCH)', () => {
  const media = useFreeSwitch();
  const suite = useCallStack(media.env);
  const { caller, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('a desk phone with no credit dials *43: FreeSWITCH answers in plain RTP and sends its own audio back; the call is recorded, free', async () => {
    const dora = await caller('dora', 0);
    const phone = await rtpPhone(100);
    try {
      const call = runSipp({
        scenario: 'uac-echo-rtp-expect-200.xml',
        target: suite.stack.target,
        fields: [`${dora.fields('*43', 3500)};${phone.port};${phone.portFile}`],
        extraArgs: ['-trace_rtt', '-rtt_freq', '1'],
      });
      await phone.talk();
      const run = await call;
      expect(run.code, run.log).toBe(0);
      console.info(`[echo] desk phone INVITE -> 200: ${inviteToAnswerMs(run)} ms`);

      const sent = new Set(Array.from({ length: 100 }, (_, sequence) => payloadOf(sequence).toString('hex')));
      const echoed = phone.received.map(payloadOfPacket).filter((packet) => packet.type === 0 && sent.has(packet.payload.toString('hex')));
      // Real audio back, byte for byte (not silence, not comfort noise); a few packets may fall before the echo starts.
      expect(echoed.length, `${phone.received.length} packets came back`).toBeGreaterThanOrEqual(80);
      expect(new Set(echoed.map((packet) => packet.payload.toString('hex'))).size).toBe(echoed.length);
    } finally {
      await phone.close();
    }

    expect(await finishedCdr(dora.accountId)).toMatchObject({
      direction: 'echo',
      to_number: '*43',
      phase: 'ended',
      ended_by: 'caller',
      hangup_cause: 'normal',
      sip_status: 200,
      cost: 0,
      billable_seconds: 0,
      media_server: 'freeswitch 127.0.0.1',
      trunk_id: null,
      mos: expect.any(Number),
    });
    expect(await balanceOf(suite.database.db, dora.accountId)).toMatchObject({ balance: 0, available: 0 });
    expect(await ledgerEntries(suite, dora.accountId)).toBe(0);
    await noChannelLeft(suite);
    // Counted like any call (the first of this stack's).
    expect(await counted(suite.stack.metrics.callsAnswered, { direction: 'echo' })).toBe(1);
    expect(await counted(suite.stack.metrics.callsEnded, { cause: 'normal' })).toBe(1);
  });

  it('a browser dials *43 (SIP.js sends it as %2A43): FreeSWITCH answers with DTLS-SRTP', async () => {
    const erin = await caller('erin', 0);
    const run = await runSipp({ scenario: 'uac-webrtc-call-expect-200.xml', target: suite.stack.target, fields: [erin.fields('%2A43', 500)] });
    expect(run.code, run.log).toBe(0);
    expect(await finishedCdr(erin.accountId)).toMatchObject({
      direction: 'echo',
      to_number: '*43',
      phase: 'ended',
      ended_by: 'caller',
      cost: 0,
      billable_seconds: 0,
      media_server: 'freeswitch 127.0.0.1',
    });
    await noChannelLeft(suite);
  });
});

describe.skipIf(missing)("the echo test's time cap (real FreeSWITCH)", () => {
  const media = useFreeSwitch({ ECHO_TEST_MAX_SECONDS: '2' });
  const suite = useCallStack(media.env);
  const { caller, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('a caller who never hangs up gets BYE at ECHO_TEST_MAX_SECONDS', async () => {
    const finn = await caller('finn', 0);
    const run = await runSipp({
      scenario: 'uac-call-max-duration-expect-bye.xml',
      target: suite.stack.target,
      fields: [finn.fields('*43')],
      timeoutSeconds: 10,
    });
    expect(run.code, run.log).toBe(0);
    const cdr = await finishedCdr(finn.accountId);
    expect(cdr).toMatchObject({ direction: 'echo', phase: 'ended', ended_by: 'system', hangup_cause: 'max-duration', cost: 0, billable_seconds: 0 });
    const seconds = (cdr.ended_at!.getTime() - cdr.answered_at!.getTime()) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(2);
    await noChannelLeft(suite);
    expect(await counted(suite.stack.metrics.callsEnded, { cause: 'max-duration' })).toBe(1);
  });
});

describe.skipIf(missing)('the echo test without a media server', () => {
  const suite = useCallStack({});
  const { caller, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('is refused 488 media-unavailable, and recorded', async () => {
    const gail = await caller('gail', 0);
    const run = await runSipp({ scenario: 'uac-webrtc-call-expect-488.xml', target: suite.stack.target, fields: [gail.fields('*43')] });
    expect(run.code, run.log).toBe(0);
    expect(await finishedCdr(gail.accountId)).toMatchObject({
      direction: 'echo',
      to_number: '*43',
      phase: 'refused',
      refusal_reason: 'media-unavailable',
      cost: null,
    });
  });
});

describe.skipIf(missing)('with ECHO_TEST_NUMBER=off', () => {
  const media = useFreeSwitch({ ECHO_TEST_NUMBER: 'off' });
  const suite = useCallStack(media.env);
  const { caller, finishedCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('*43 is an ordinary number, and not one: 484 bad-number', async () => {
    const hank = await caller('hank', 0);
    const run = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [hank.fields('*43')],
      keys: { expect: '484', reason: 'bad-number' },
    });
    expect(run.code, run.log).toBe(0);
    expect(await finishedCdr(hank.accountId)).toMatchObject({ direction: 'outbound', to_number: '*43', phase: 'refused', refusal_reason: 'bad-number' });
  });
});

describe.skipIf(missing)('when the media server crashes during an echo test (real FreeSWITCH, killed)', () => {
  const media = useFreeSwitch({ MEDIA_SERVER_RETRY_SECONDS: '1' });
  const suite = useCallStack(media.env);
  const { caller, lastCdr } = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );

  it('a second echo test while one is up is refused 403; a crash BYEs the caller with cause media-failure; while it is down *43 is refused 488', async () => {
    const ivan = await caller('ivan', 0);
    const call = runSipp({ scenario: 'uac-call-max-duration-expect-bye.xml', target: suite.stack.target, fields: [ivan.fields('*43')], timeoutSeconds: 10 });
    const up = await vi.waitFor(
      async () => {
        const cdr = await lastCdr(ivan.accountId);
        expect(cdr.answered_at).not.toBeNull();
        return cdr;
      },
      { timeout: 10_000 },
    );
    // One echo test at a time per account: a second one while this is up would hold a second channel.
    const second = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [ivan.fields('*43')],
      keys: { expect: '403', reason: 'too-many-calls' },
    });
    expect(second.code, second.log).toBe(0);
    expect(await lastCdr(ivan.accountId)).toMatchObject({ direction: 'echo', phase: 'refused', refusal_reason: 'too-many-calls' });
    await media.server.crash();
    const run = await call;
    expect(run.code, run.log).toBe(0);
    const crashed = await onceClosed(() => suite.database.db.selectFrom('cdrs').selectAll().where('id', '=', up.id).executeTakeFirstOrThrow());
    expect(crashed).toMatchObject({ direction: 'echo', phase: 'ended', ended_by: 'system', hangup_cause: 'media-failure', cost: 0, billable_seconds: 0 });

    await vi.waitFor(() => expect(suite.stack.media!.pool.connectedCount()).toBe(0), { timeout: 5000 });
    const refused = await runSipp({ scenario: 'uac-webrtc-call-expect-488.xml', target: suite.stack.target, fields: [ivan.fields('*43')] });
    expect(refused.code, refused.log).toBe(0);
    expect(await lastCdr(ivan.accountId)).toMatchObject({ direction: 'echo', phase: 'refused', refusal_reason: 'media-unavailable' });
    await media.server.restart();
  });
});
