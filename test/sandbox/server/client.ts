// A small HTTP client for the sandbox, for tests and scripts (Node's fetch; loopback only).

export interface SandboxResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  /** Wall-clock duration of the request in ms. */
  ms: number;
}

export interface RequestOptions {
  /** Bearer token (a PAT). */
  token?: string;
  /** HTTP Basic credentials. */
  basic?: { user: string; password: string };
  body?: unknown;
  headers?: Record<string, string>;
}

export async function sandboxRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<SandboxResponse> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.basic) headers.Authorization = `Basic ${Buffer.from(`${options.basic.user}:${options.basic.password}`).toString('base64')}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined, text, ms: Date.now() - started };
}

/** Calls the admin API and fails loudly when it does not answer 200. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function adminCall(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const response = await sandboxRequest(baseUrl, method, `/__admin/${path}`, { body: body ?? (method === 'POST' ? {} : undefined) });
  if (response.status !== 200) throw new Error(`admin ${path} answered ${response.status}: ${response.text}`);
  return response.json;
}
