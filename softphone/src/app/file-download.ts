/**
 * Saves an API answer (an export) as the browser's own download. The page fetches it rather than navigating to the
 * route, so a refusal shows the problem's message here instead of being saved as the file.
 */
import type { ApiClient } from './api-client.ts';

const REVOKE_AFTER_MS = 60_000;

/**
 * Downloads `path` under the name the API gives it (else `fallbackName`); resolves to that name once handed over.
 * @example const name = await downloadFile(api, '/admin/cdrs/export?format=csv', 'cdrs.csv');
 */
export async function downloadFile(api: ApiClient, path: string, fallbackName: string): Promise<string> {
  const { blob, filename = fallbackName } = await api.file(path);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the object after click() returns (FileSaver.js waits 40 s before revoking); revoked then, so the
  // file's bytes do not stay in the page's memory.
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  return filename;
}
