/** A raw request to the test server at `base`, as a client other than the product's would send it: its status and JSON body. */
export async function sendJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json'
): Promise<{ status: number; body: any }> {
  const response = await fetch(base + path, {
    method,
    headers: { 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
