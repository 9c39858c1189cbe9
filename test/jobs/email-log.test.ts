// Without SMTP_URL the jobs role writes each queued mail to the log once, with its links: through the real scheduler
// and the real logger (its redaction included), its JSON lines captured from a destination stream.
import { expect, it } from 'vitest';
import { deliverOutbox, type MailMessage } from '../../core/email/delivery.ts';
import { enqueueEmail } from '../../core/email/outbox.ts';
import { emailLogJob } from '../../jobs/email-log.ts';
import { startScheduler } from '../../jobs/scheduler.ts';
import { createLogger } from '../../logger.ts';
import { TEST_PASSWORD, TEST_PUBLIC_URL, TEST_VAULT, mailsTo, signIn, uniqueEmail, useTestApi, verificationRequest } from '../harness/api.ts';
import { describeEachDialect } from '../harness/databases.ts';

interface LogLine {
  readonly msg: string;
  readonly [field: string]: unknown;
}

describeEachDialect('mail without SMTP: the log', (database) => {
  const api = useTestApi(database);

  /** Starts the jobs role's log job as main.ts does (a fresh scheduler = a restarted process), runs it once, stops. */
  async function runLogJob(): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    const jobsLogger = logger.child({ role: 'jobs' });
    const scheduler = startScheduler([emailLogJob(database().db, TEST_VAULT, jobsLogger)], jobsLogger);
    try {
      await scheduler.runNow('email-log');
    } finally {
      await scheduler.stop();
    }
    return lines;
  }
  const mailLines = (lines: LogLine[], to: string) => lines.filter((line) => line.msg.startsWith('mail not sent') && line.to === to);
  const outboxRows = (to: string) => mailsTo(database().db, to);

  it('logs the verification mail once as one line with its link, which verifies the account; the mail stays queued', async () => {
    const email = uniqueEmail('nosmtp');
    expect((await api().inject({ method: 'POST', url: '/auth/signup', payload: { email, password: TEST_PASSWORD } })).statusCode).toBe(202);

    const [line, ...more] = mailLines(await runLogJob(), email);
    expect(more).toEqual([]);
    const link = (line?.links as string[] | undefined)?.[0] ?? '';
    expect(link).toMatch(new RegExp(`^${TEST_PUBLIC_URL}/verify-email\\?token=[A-Za-z0-9_-]{16,}$`));
    const subject = 'Confirm your e-mail address for Dialo';
    expect(line).toMatchObject({
      level: 30,
      role: 'jobs',
      to: email,
      subject,
      links: [link],
      msg: `mail not sent (SMTP_URL unset): "${subject}" to ${email}: ${link}`,
    });
    // Only the links leave the mail: no body in the log.
    expect(Object.keys(line!).sort()).toEqual(['app', 'level', 'links', 'msg', 'role', 'subject', 'time', 'to']);
    expect(JSON.stringify(line)).not.toContain('[redacted]');

    // The link from the log line is the one that works.
    expect((await api().inject({ method: 'GET', url: verificationRequest(link) })).statusCode).toBe(200);
    expect((await api().inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } })).statusCode).toBe(200);

    const [row] = await outboxRows(email);
    expect(row).toMatchObject({ kind: 'verify_email', sent_at: null });
    expect(row?.logged_at).toBeInstanceOf(Date);

    // Not on the next run, nor after a restart (a new scheduler on the same database).
    expect(mailLines(await runLogJob(), email)).toEqual([]);
    expect(mailLines(await runLogJob(), email)).toEqual([]);
  });

  it('writes a mail without links as the line without a link list; a logged mail is still sent once SMTP is set', async () => {
    const to = uniqueEmail('nolink');
    await enqueueEmail(database().db, TEST_VAULT, { accountId: null, kind: 'test', to, subject: 'No links here', text: 'just words\n' });
    expect(mailLines(await runLogJob(), to)).toEqual([expect.objectContaining({ msg: `mail not sent (SMTP_URL unset): "No links here" to ${to}`, links: [] })]);

    const sent: MailMessage[] = [];
    await deliverOutbox(database().db, TEST_VAULT, { send: async (message) => void sent.push(message) });
    expect(sent.filter((message) => message.to === to)).toEqual([{ to, subject: 'No links here', text: 'just words\n' }]);
    expect((await outboxRows(to))[0]?.sent_at).toBeInstanceOf(Date);
  });

  it('does not log again the mail of an account that was erased', async () => {
    const user = await signIn(api(), database().db);
    const reset = await api().inject({ method: 'POST', url: '/auth/password-reset', payload: { email: user.email } });
    expect(reset.statusCode).toBe(202);
    const logged = mailLines(await runLogJob(), user.email);
    expect(logged.map((line) => line.subject)).toEqual(['Confirm your e-mail address for Dialo', 'Reset your Dialo password']);
    expect(logged[1]?.links).toEqual([expect.stringMatching(new RegExp(`^${TEST_PUBLIC_URL}/reset-password\\?token=`))]);

    const deletion = await api().inject({ method: 'POST', url: '/privacy/deletion', headers: user.headers, payload: { password: user.password } });
    expect(deletion.statusCode).toBe(202);
    expect(await outboxRows(user.email)).toEqual([]);
    const after = await runLogJob();
    expect(after.filter((line) => JSON.stringify(line).includes(user.email))).toEqual([]);
  });
});
