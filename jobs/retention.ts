/** The retention job for the jobs role (hourly), and the same run from the command line: `dialo retention run`. */
import type { Kysely } from 'kysely';
import type { PrivacyTools, RetentionWindows } from '../core/privacy/data-source.ts';
import { runRetention } from '../core/privacy/retention.ts';
import type { Database } from '../db/schema.ts';
import type { Job } from './scheduler.ts';

export function retentionJob(db: Kysely<Database>, windows: RetentionWindows, tools: PrivacyTools, everyMs = 3_600_000): Job {
  return { name: 'retention', everyMs, run: () => runRetention(db, windows, tools, null) };
}
