/** A real SMTP server in-process (smtp-server) that keeps every mail it receives, parsed (mailparser). */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll } from 'vitest';

export interface TestSmtp {
  readonly port: number;
  readonly url: string;
  readonly received: ParsedMail[];
  /** While set, RCPT TO answers 451 (a temporary failure) with this text. */
  rejectWith: string | undefined;
  /** Resolves with the first mail to `to` matching `subject`, waiting for it if needed. */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

function addressedTo(mail: ParsedMail, to: string): boolean {
  const list = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return list.some((group) => group.value.some((entry) => entry.address?.toLowerCase() === to.toLowerCase()));
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const received: ParsedMail[] = [];
  const waiters = new Set<() => void>();
  const state: TestSmtp = {
    port: 0,
    url: '',
    received,
    rejectWith: undefined,
    async waitFor(to, subject, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = received.find((candidate) => addressedTo(candidate, to) && (subject === undefined || subject.test(candidate.subject ?? '')));
        if (mail !== undefined) return mail;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms (got ${received.length})`);
        await new Promise<void>((resolve) => {
          const wake = () => (waiters.delete(wake), resolve());
          waiters.add(wake);
          setTimeout(wake, 200);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (state.rejectWith === undefined) return callback();
      const error = Object.assign(new Error(state.rejectWith), { responseCode: 451 });
      callback(error);
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(mail);
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('smtp server has no port');
  return Object.assign(state, { port: address.port, url: `smtp://127.0.0.1:${address.port}` });
}

/** An SMTP server for the enclosing describe block; call the result inside tests. */
export function useSmtp(): () => TestSmtp {
  let smtp: TestSmtp | undefined;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });
  return () => {
    if (smtp === undefined) throw new Error('smtp not ready: use it inside a test or hook');
    return smtp;
  };
}
