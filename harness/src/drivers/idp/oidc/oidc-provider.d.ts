// oidc-provider ships no type declarations; the test IdP uses a small part of its API.
declare module 'oidc-provider' {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, any>);
    issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<any>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: any,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    Grant: any;
    on(event: string, handler: (...args: any[]) => void): void;
  }
}
