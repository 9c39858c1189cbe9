/**
 * Prometheus metrics (prom-client): one registry per process, created in main.ts and passed to each role,
 * exposed by the api at GET /metrics. Labels carry reasons and statuses, never numbers or account ids.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** REGISTER outcomes by final status and X-Reason (`ok` for 200). */
  readonly sipRegister: Counter<'status' | 'reason'>;
  /** Calls turned away, by refusal reason (core/calls/refusal.ts). */
  readonly callRefusals: Counter<'reason'>;
  /** Calls answered, by direction. */
  readonly callsAnswered: Counter<'direction'>;
  /** Answered calls that ended, by cause (normal, max-duration, shutdown, suspended). */
  readonly callsEnded: Counter<'cause'>;
  /** Calls bridged by this process now. */
  readonly callsActive: Gauge;
  /** Calls held ringing now while the callee's browsers, woken by Web Push, may register (signaling/invite/push-ring.ts). */
  readonly callsWaking: Gauge;
  /** Calls to a callee with no live device that pushed, by result: woken (a device registered), missed, cancelled, undelivered. */
  readonly pushRings: Counter<'result'>;
  /** Accounts whose outbound calling pattern detection suspended, by pattern (core/abuse/abuse-patterns.ts). */
  readonly abuseSuspensions: Counter<'reason'>;
  /**
   * Signed payment events by what became of them: `applied` (claimed; its outcome may be "ignored"), `unreadable`
   * (422: a field billing needs is missing; Stripe retries, so a rising count is money news nobody has acted on).
   */
  readonly paymentEvents: Counter<'result'>;
  /**
   * Outbound trunks by name as this node's OPTIONS pings see them (core/calls/trunk-health.ts): 1 up, 0 down (skipped
   * by routing); absent while unknown. Names are the operator's, so few.
   */
  readonly trunkUp: Gauge<'trunk'>;
  /** OPTIONS pings to trunks, by trunk name and result (answered, unavailable: 408/503, timeout, error). */
  readonly trunkPings: Counter<'trunk' | 'result'>;
  /** Registration trunks this node registers (holds the lease of): 1 registered, 0 not (yet, or failed). */
  readonly trunkRegistered: Gauge<'trunk'>;
  /** REGISTERs to trunks' registrars by final result: registered, refused (any other final status), timeout, error. */
  readonly trunkRegistrations: Counter<'trunk' | 'result'>;
}

export function createMetrics(options: { processMetrics: boolean } = { processMetrics: true }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'dialo_' });
  return {
    registry,
    sipRegister: new Counter({
      name: 'dialo_sip_register_total',
      help: 'REGISTER requests answered, by final status and reason',
      labelNames: ['status', 'reason'] as const,
      registers: [registry],
    }),
    callRefusals: new Counter({ name: 'dialo_call_refusals_total', help: 'Calls refused, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    callsAnswered: new Counter({
      name: 'dialo_calls_answered_total',
      help: 'Calls answered, by direction',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    callsEnded: new Counter({ name: 'dialo_calls_ended_total', help: 'Answered calls ended, by cause', labelNames: ['cause'] as const, registers: [registry] }),
    callsActive: new Gauge({ name: 'dialo_calls_active', help: 'Calls bridged by this process now', registers: [registry] }),
    callsWaking: new Gauge({ name: 'dialo_calls_waking', help: 'Calls ringing now while a browser woken by push may register', registers: [registry] }),
    pushRings: new Counter({
      name: 'dialo_push_rings_total',
      help: 'Calls to a callee with no live device that pushed, by result (woken, missed, cancelled, undelivered)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    abuseSuspensions: new Counter({
      name: 'dialo_abuse_suspensions_total',
      help: 'Outbound calling suspended by pattern detection, by pattern',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    paymentEvents: new Counter({
      name: 'dialo_payment_events_total',
      help: 'Signed payment provider events received, by result (applied, unreadable)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    trunkUp: new Gauge({
      name: 'dialo_trunk_up',
      help: 'Whether this node sees the trunk up by its OPTIONS pings (1) or down and skipped by routing (0)',
      labelNames: ['trunk'] as const,
      registers: [registry],
    }),
    trunkPings: new Counter({
      name: 'dialo_trunk_pings_total',
      help: 'OPTIONS pings to trunks, by trunk and result (answered, unavailable, timeout, error)',
      labelNames: ['trunk', 'result'] as const,
      registers: [registry],
    }),
    trunkRegistered: new Gauge({
      name: 'dialo_trunk_registered',
      help: 'Whether the registration trunk this node registers is registered with its carrier (1) or not (0)',
      labelNames: ['trunk'] as const,
      registers: [registry],
    }),
    trunkRegistrations: new Counter({
      name: 'dialo_trunk_registrations_total',
      help: 'REGISTERs to trunk registrars, by trunk and result (registered, refused, timeout, error)',
      labelNames: ['trunk', 'result'] as const,
      registers: [registry],
    }),
  };
}
