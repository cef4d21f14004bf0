import { Request, Response } from "./http";

export type Handler = (request: Request) => Promise<Response>;

/** Routes requests to handlers by method and path. */
@Injectable()
export class Router {
  private routes = new Map<string, Handler>();

  constructor(private readonly prefix: string) {}

  /** Registers a handler for GET requests. */
  @Log("debug")
  get(path: string, handler: Handler): this {
    this.routes.set(`GET ${this.prefix}${path}`, handler);
    return this;
  }

  async route(request: Request): Promise<Response> {
    const handler = this.routes.get(`${request.method} ${request.path}`);
    if (!handler) {
      return notFound(request);
    }
    return handler(request);
  }

  onError = (error: Error): Response => ({ status: 500, body: error.message });
}

export interface RetryPolicy {
  attempts: number;
  backoff(attempt: number): number;
}

export enum Method {
  Get = "GET",
  Post = "POST",
}

// Answers 404 for a path no route matches.
export function notFound(request: Request): Response {
  return { status: 404, body: `no route for ${request.path}` };
}

export const exponentialBackoff = (attempt: number): number => {
  return Math.min(30_000, 2 ** attempt * 100);
};

namespace Middleware {
  export function cors(origin: string): Handler {
    return async (request) => ({ status: 204, body: origin });
  }
}
