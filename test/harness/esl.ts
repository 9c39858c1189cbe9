/** A bare FreeSWITCH event-socket client for tests of its config: authenticate, then run one api command. */
import { connect } from 'node:net';

/**
 * Sends `auth <password>` on a fresh connection, then `api <command>` when one is given and the password accepted;
 * resolves with the auth Reply-Text and the command's output.
 */
export function eslSession(port: number, password: string, command?: string): Promise<{ auth: string; output?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let phase: 'greeting' | 'auth' | 'api' = 'greeting';
    let auth = '';
    const finish = (output?: string) => {
      socket.destroy();
      resolve(output === undefined ? { auth } : { auth, output });
    };
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (phase === 'greeting' && received.includes('auth/request')) {
        [phase, received] = ['auth', ''];
        socket.write(`auth ${password}\n\n`);
      } else if (phase === 'auth') {
        const reply = /^Reply-Text: (.*)$/m.exec(received);
        if (reply === null) return;
        auth = reply[1]!;
        if (command === undefined || !auth.startsWith('+OK')) return finish();
        [phase, received] = ['api', ''];
        socket.write(`api ${command}\n\n`);
      } else if (phase === 'api') {
        const response = /Content-Length: (\d+)\n\n([\s\S]*)$/.exec(received);
        if (response !== null && Buffer.byteLength(response[2]!) >= Number(response[1])) finish(response[2]!.slice(0, Number(response[1])));
      }
    });
  });
}

/** The Reply-Text of `auth <password>` on a fresh connection. */
export async function eslAuth(port: number, password: string): Promise<string> {
  return (await eslSession(port, password)).auth;
}

/**
 * Each of FreeSWITCH's channels with its codec and how many RFC 4733 telephone-event packets it has sent so far
 * (its RTP statistics, brought up to date by `uuid_set_media_stats`): what a media server really played to a party.
 */
export async function telephoneEventsSent(port: number, password: string): Promise<{ uuid: string; codec: string; sent: number }[]> {
  const listed = (await eslSession(port, password, 'show channels as json')).output ?? '';
  const rows = (JSON.parse(listed) as { rows?: { uuid: string; read_codec: string }[] }).rows ?? [];
  return Promise.all(
    rows.map(async ({ uuid, read_codec }) => {
      await eslSession(port, password, `uuid_set_media_stats ${uuid}`);
      const sent = (await eslSession(port, password, `uuid_getvar ${uuid} rtp_audio_out_dtmf_packet_count`)).output ?? '';
      return { uuid, codec: read_codec, sent: Number.parseInt(sent, 10) || 0 };
    }),
  );
}
