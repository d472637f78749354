// /graphql: Apollo Server 5 behind a small Express handler (executeHTTPGraphQLRequest;
// the @as-integrations package is not a dependency). Requests authenticate with the same
// resolvers as REST (401 in the error envelope before any GraphQL runs). Depth and cost
// are limited by validation rules; introspection and the landing page are off when
// NODE_ENV=production; errors carry extensions.code (an HttpError's own code, e.g.
// FORBIDDEN, EVT_VALIDATION_FAILED, RATE_LIMITED) and never a stack trace.
import { ApolloServer, type ApolloServerPlugin, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import express, { type Express, type RequestHandler } from 'express';
import { type GraphQLFormattedError, validate } from 'graphql';
import { HttpError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { pgInputError } from '../http/errors.js';
import { costLimitRule, depthLimitRule } from './limits.js';
import { type GraphqlContext, type GraphqlDeps, resolvers } from './resolvers.js';
import { typeDefs } from './schema.js';

export interface GraphqlOptions extends GraphqlDeps {
  authenticate: RequestHandler;
  production: boolean;
  maxDepth: number;
  maxCost: number;
  log: Logger;
}

/** Internal errors as formatted, with what was thrown: logged once the request is known. */
const internalCauses = new WeakMap<GraphQLFormattedError, unknown>();

/**
 * Internal errors are logged with the request's logger (so the line carries the request
 * id) and the response names the request id, as the REST envelope does.
 */
export function internalErrors(): ApolloServerPlugin<GraphqlContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            if (!internalCauses.has(e)) continue;
            const cause = internalCauses.get(e);
            contextValue.req.log.error(
              {
                err: cause instanceof Error ? { message: cause.message, stack: cause.stack } : String(cause),
              },
              'graphql resolver failed',
            );
            (e as { extensions: Record<string, unknown> }).extensions = {
              ...e.extensions,
              requestId: contextValue.req.id,
            };
          }
        },
      };
    },
  };
}

export function formatError() {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const where = {
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    if (original instanceof HttpError) {
      return {
        message: original.message,
        ...where,
        extensions: {
          code: original.code,
          status: original.status,
          ...(original.details ? { details: original.details } : {}),
        },
      };
    }
    // a limit rule's own code (Apollo files every validation error as GRAPHQL_VALIDATION_FAILED)
    const inner = (error as { originalError?: { extensions?: Record<string, unknown> } } | undefined)
      ?.originalError?.extensions?.code;
    if (inner === 'QUERY_TOO_DEEP' || inner === 'QUERY_TOO_COSTLY') {
      const { stacktrace: _s, ...ext } = formatted.extensions ?? {};
      return { message: formatted.message, ...where, extensions: { ...ext, code: inner } };
    }
    // input PostgreSQL refuses (U+0000, an unpaired surrogate, an impossible date)
    const input = pgInputError(original);
    if (input) return { message: input.message, ...where, extensions: { code: 'BAD_USER_INPUT' } };
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      // GraphQL's own errors (parse, validation, bad input, limits): safe to show
      const { stacktrace: _s, ...ext } = formatted.extensions ?? {};
      return { message: formatted.message, ...where, extensions: ext };
    }
    const internal: GraphQLFormattedError = {
      message: 'internal error; quote the request id when reporting it',
      ...where,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
    internalCauses.set(internal, original); // logged by the internalErrors plugin
    return internal;
  };
}

/** Registers /graphql now; Apollo starts in the background and requests wait for it. */
export function mountGraphql(app: Express, o: GraphqlOptions): ApolloServer<GraphqlContext> {
  const server = new ApolloServer<GraphqlContext>({
    typeDefs,
    resolvers: resolvers(o),
    introspection: !o.production,
    includeStacktraceInErrorResponses: false,
    // the service runtime owns SIGTERM (drain, then exit 0); Apollo's handler would
    // re-raise the signal and kill the process mid-drain
    stopOnTerminationSignals: false,
    validationRules: [depthLimitRule(o.maxDepth)],
    formatError: formatError(),
    plugins: [
      ...(o.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      internalErrors(),
      {
        // the cost rule needs the request's variables: validate once the operation is known
        async requestDidStart() {
          return {
            async didResolveOperation({ document, request, schema }) {
              const errors = validate(schema, document, [costLimitRule(o.maxCost, request.variables ?? {})]);
              if (errors.length) {
                const e = errors[0]!;
                throw Object.assign(e, { extensions: { ...e.extensions, http: { status: 400 } } });
              }
            },
          };
        },
      },
    ],
  });
  const started = server.start();
  started.catch((err: Error) =>
    o.log.error({ err: { message: err.message } }, 'GraphQL server failed to start'),
  );

  const handler: RequestHandler = async (req, res) => {
    await started;
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: req.method.toUpperCase(),
      headers,
      search: new URL(req.originalUrl, 'http://localhost').search,
      body: req.body,
    };
    const result = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => ({ req, res }),
    });
    for (const [k, v] of result.headers) res.setHeader(k, v);
    res.status(result.status ?? 200);
    if (result.body.kind === 'complete') {
      res.send(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };

  // the landing page (GET text/html, development only) needs no credentials; everything else does
  const auth: RequestHandler = (req, res, next) => {
    if (
      !o.production &&
      req.method === 'GET' &&
      req.accepts(['application/json', 'text/html']) === 'text/html'
    )
      return next();
    return req.principal ? next() : o.authenticate(req, res, next);
  };
  app.use('/graphql', (_req, res, next) => {
    res.locals.metricsRoute = '/graphql';
    next();
  });
  app.get('/graphql', auth, handler);
  app.post('/graphql', auth, express.json({ limit: '32mb' }), handler);
  return server;
}
