/**
 * The span an operator dashboard covers: [from, to), cut into hour or day buckets (UTC). Bounded so that a chart
 * never has more buckets than a screen can show, and one aggregate never scans an unbounded part of the history.
 */
export type Bucket = 'hour' | 'day';

export interface DashboardRange {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: Bucket;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The longest span per bucket size: a quarter of hours (2,232 buckets), a leap year of days. */
export const MAX_DAYS: Readonly<Record<Bucket, number>> = { hour: 93, day: 366 };

/** Why the span cannot be summed, or undefined when it can. */
export function rangeProblem(range: DashboardRange): string | undefined {
  if (range.from >= range.to) return '`from` must be before `to`';
  const days = MAX_DAYS[range.bucket];
  if (range.to.getTime() - range.from.getTime() > days * DAY_MS) return `a dashboard of ${range.bucket}s spans at most ${days} days`;
  return undefined;
}

/** The start of the bucket `at` falls in. */
function bucketStart(at: Date, bucket: Bucket): Date {
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  return new Date(Math.floor(at.getTime() / size) * size);
}

/** Every bucket's start that overlaps the range, oldest first, as the ISO text the database keys them by. */
export function bucketsOf(range: DashboardRange): string[] {
  const size = range.bucket === 'hour' ? HOUR_MS : DAY_MS;
  const starts: string[] = [];
  for (let at = bucketStart(range.from, range.bucket).getTime(); at < range.to.getTime(); at += size) starts.push(new Date(at).toISOString());
  return starts;
}
