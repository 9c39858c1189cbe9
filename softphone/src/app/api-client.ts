/**
 * The app's one way to reach the API: same origin, so the browser sends the HttpOnly session cookie itself; writes
 * carry the session's CSRF token in `x-csrf-token` (the API's double-submit rule). Errors arrive as problem+json and
 * leave here as {@link ApiError}.
 */

/** An RFC 9457 problem the API answered with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    /** The problem type URI, e.g. `https://dialo.dev/problems/not-verified`. */
    readonly type: string | undefined = undefined,
    /** A 400's failures, per field or per line (a rate CSV's). */
    readonly errors: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(detail ?? title);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  /** POST with a JSON body (or none; a Blob goes as itself, in its own type); resolves to undefined for 204. */
  post<T>(path: string, body?: unknown): Promise<T>;
  /** PUT with a JSON body. */
  put<T>(path: string, body: unknown): Promise<T>;
  /** GET of a file (an export): its bytes and the name the API's Content-Disposition gives it. */
  file(path: string): Promise<{ readonly blob: Blob; readonly filename: string | undefined }>;
  /** DELETE; resolves to undefined for 204. */
  delete<T>(path: string): Promise<T>;
  /** The token writes must carry; set at sign-in and from GET /auth/me, cleared at sign-out. */
  setCsrfToken(token: string | undefined): void;
}

interface ProblemBody {
  type?: string;
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

async function problemOf(response: Response): Promise<ApiError> {
  const problem = (await response.json().catch(() => ({}))) as ProblemBody;
  return new ApiError(response.status, problem.title ?? response.statusText, problem.detail, problem.type, problem.errors);
}

export function createApiClient(): ApiClient {
  let csrfToken: string | undefined;

  const request = async (method: string, path: string, body: unknown, accept: string): Promise<Response> => {
    const headers: Record<string, string> = { accept };
    const raw = body instanceof Blob;
    if (body !== undefined) headers['content-type'] = raw ? body.type : 'application/json';
    if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
    const response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
    });
    if (!response.ok) throw await problemOf(response);
    return response;
  };
  const send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await request(method, path, body, 'application/json');
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  };

  return {
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, body),
    put: (path, body) => send('PUT', path, body),
    async file(path) {
      // Problems still come as JSON; the file itself in whatever type the route answers.
      const response = await request('GET', path, undefined, '*/*');
      const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
      return { blob: await response.blob(), filename };
    },
    delete: (path) => send('DELETE', path),
    setCsrfToken(token) {
      csrfToken = token;
    },
  };
}
