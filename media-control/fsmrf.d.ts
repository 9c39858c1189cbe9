/**
 * The parts of drachtio-fsmrf 4.1.2 (untyped CommonJS) media-control uses. The version is pinned because
 * fs-leg.ts reaches past the public API (pendingConnections, the Endpoint class) to fix a race.
 */
declare module 'drachtio-fsmrf' {
  import type Srf from 'drachtio-srf';
  import type { EventEmitter } from 'node:events';
  import type Endpoint from 'drachtio-fsmrf/lib/endpoint.js';

  namespace Mrf {
    interface ConnectOptions {
      readonly address: string;
      readonly port?: number;
      readonly secret?: string;
      /** Where FreeSWITCH's outbound event-socket connections come back to; default: the first non-loopback address. */
      readonly listenAddress?: string;
      readonly listenPort?: number;
      readonly advertisedAddress?: string;
      readonly advertisedPort?: number;
      readonly profile?: string;
    }

    /** What {@link MediaServer.pendingConnections} holds per endpoint being created (mediaserver.js _onNewCall). */
    interface PendingConnection {
      /** The outbound event-socket connection, when it arrived before the SIP dialog. */
      conn?: unknown;
      /** Called with the connection when it arrives after the SIP dialog. */
      fn?: (conn: unknown) => void;
      connTimeout?: NodeJS.Timeout;
    }

    interface MediaServer extends EventEmitter {
      readonly address: string;
      readonly srf: Srf;
      readonly advertisedAddress: string;
      readonly advertisedPort: number;
      readonly currentSessions: number;
      readonly sip: { readonly ipv4: { readonly udp: { readonly address?: string } } };
      readonly pendingConnections: Map<string, PendingConnection>;
      connected(): boolean;
      createEndpoint(opts?: { remoteSdp?: string; codecs?: string[]; headers?: Record<string, string> }): Promise<Endpoint>;
      disconnect(): void;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: Srf, opts?: Record<string, unknown>);
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }

  export = Mrf;
}

declare module 'drachtio-fsmrf/lib/endpoint.js' {
  import type Srf from 'drachtio-srf';
  import type { EventEmitter } from 'node:events';
  import type Mrf from 'drachtio-fsmrf';

  /** One FreeSWITCH channel, driven over its outbound event socket. */
  class Endpoint extends EventEmitter {
    constructor(conn: unknown, dialog: Srf.Dialog, ms: Mrf.MediaServer, opts: Record<string, unknown>);
    readonly uuid: string;
    readonly dialog: Srf.Dialog;
    readonly local: { sdp: string };
    modify(sdp: string): Promise<unknown>;
    bridge(other: Endpoint | string): Promise<void>;
    api(command: string, args: string | string[]): Promise<unknown>;
    /** Runs a dialplan application on the channel; resolves when it completes (`echo`: when the channel hangs up). */
    execute(app: string, arg?: string): Promise<unknown>;
    destroy(): Promise<void>;
  }

  export = Endpoint;
}
