import { expect, it } from 'vitest';
import { useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

describeEachDialect('OpenAPI document', (database) => {
  const api = useTestApi(database);

  it('describes every route from its schemas, problems included', async () => {
    const response = await api().inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/auth/signup',
      '/auth/login',
      '/auth/me',
      '/privacy/export',
      '/privacy/deletion',
      '/admin/accounts/{accountId}/legal-holds',
      '/healthz',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const login = doc.paths['/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
    expect(login.responses['401'].content['application/problem+json'].schema.properties).toHaveProperty('type');
    expect(doc.components.securitySchemes.session).toMatchObject({ in: 'cookie', name: 'dialo_session' });
  });

  it('gives every error response of every route the same problem+json schema', async () => {
    const doc = (await api().inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const errors = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) =>
        Object.entries(operation.responses)
          .filter(([status]) => Number(status) >= 400)
          .map(([status, response]) => ({ where: `${method.toUpperCase()} ${path} ${status}`, response })),
      ),
    );
    expect(errors.length).toBeGreaterThan(150);
    const [first] = errors;
    expect(first?.response).toMatchObject({ content: { 'application/problem+json': { schema: { required: ['type', 'title', 'status'] } } } });
    // Beside the body, a 429 declares its Retry-After header (test/api/routes/auth-limits.test.ts).
    for (const { where, response } of errors) expect({ ...(response as object), headers: undefined }, where).toEqual(first?.response);
  });

  it('serves the docs page', async () => {
    const page = await api().inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger');
  });
});
