/** What an operator's trunk or number change can get wrong, typed so the HTTP edge maps each to one status. */
export type CallAdminErrorCode = 'invalid' | 'conflict' | 'not_found';

export class CallAdminError extends Error {
  constructor(
    readonly code: CallAdminErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CallAdminError';
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23503';
}
