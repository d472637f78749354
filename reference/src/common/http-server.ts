// The HTTP server of an Express app, built so that Express does not change the prototype
// of every request and response. Express's app.handle calls Object.setPrototypeOf(req,
// app.request) (and the same for res) on each request; in V8 an object whose prototype
// changes after creation keeps what it references alive through young-generation
// collections, so every request's objects (about 15 KB of them in the api) reach the old
// generation. The old generation then fills every few seconds under load and each full
// collection stalls the process for tens of milliseconds: the latency tail of the API.
// Node's server can create requests and responses of our own classes; giving those
// classes Express's prototypes makes Express's setPrototypeOf a no-op (same prototype).
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

export function createAppServer(app: Express): Server {
  // ES5 constructors: IncomingMessage and ServerResponse are plain functions in Node,
  // and `prototype` must be exactly app.request / app.response (which inherit from them)
  function AppRequest(this: IncomingMessage, socket: Socket) {
    IncomingMessage.call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, options?: unknown) {
    (ServerResponse as unknown as (this: ServerResponse, ...a: unknown[]) => void).call(this, req, options);
  }
  AppResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    app,
  );
}
