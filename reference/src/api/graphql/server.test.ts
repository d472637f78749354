// The error path of /graphql on a real Apollo Server with a tiny schema: a resolver that
// fails unexpectedly is answered without its message, named by the request id, and logged
// with the request's logger; input PostgreSQL refuses is BAD_USER_INPUT and not logged.
import { ApolloServer } from '@apollo/server';
import { describe, expect, it, vi } from 'vitest';
import type { GraphqlContext } from './resolvers.js';
import { formatError, internalErrors } from './server.js';

async function run(fail: () => never) {
  const server = new ApolloServer<GraphqlContext>({
    typeDefs: 'type Query { boom: String }',
    resolvers: { Query: { boom: fail } },
    formatError: formatError(),
    plugins: [internalErrors()],
  });
  await server.start();
  const error = vi.fn();
  const contextValue = { req: { id: 'req-123', log: { error } }, res: {} } as unknown as GraphqlContext;
  const r = await server.executeOperation({ query: '{ boom }' }, { contextValue });
  await server.stop();
  if (r.body.kind !== 'single') throw new Error('expected a single result');
  return { errors: r.body.singleResult.errors ?? [], error };
}

describe('GraphQL errors', () => {
  it('hides an internal error, names the request id and logs the cause with the request logger', async () => {
    const { errors, error } = await run(() => {
      throw new Error('connection to db-7 lost');
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('internal error; quote the request id when reporting it');
    expect(errors[0]!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-123' });
    expect(JSON.stringify(errors)).not.toContain('db-7');
    expect(error).toHaveBeenCalledOnce();
    expect(error.mock.calls[0]![0]).toMatchObject({ err: { message: 'connection to db-7 lost' } });
  });

  it('answers a PostgreSQL input error (U+0000) as BAD_USER_INPUT, without logging it', async () => {
    const { errors, error } = await run(() => {
      throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
    });
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(errors[0]!.message).toMatch(/NUL character/);
    expect(error).not.toHaveBeenCalled();
  });
});
