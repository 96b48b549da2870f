/**
 * Credentials written into a URL (`https://user:pw@host`) must never be shown back: the URL is
 * logged, returned by the API and written to the audit log. Undici's fetch also refuses such a URL,
 * so the client sends them as a Basic Authorization header instead.
 */

/** The URL with its password replaced by `***` (and the user kept, so an operator can tell which one). */
export function redactUserinfo(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: hide anything that looks like userinfo before an @.
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
  if (!parsed.username && !parsed.password) {
    return url;
  }
  if (parsed.password) {
    parsed.password = '***';
  } else {
    parsed.username = '***';
  }
  return parsed.toString();
}

/** True when the URL carries a user or a password. */
export function hasUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/** The URL without userinfo, and the Basic Authorization header value the userinfo stood for. */
export function splitUserinfo(url: string): { url: string; authorization?: string } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) {
    return { url };
  }
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** Free text (an error message that quotes a URL) with the password of every URL in it replaced by `***`. */
export function redactCredentialsIn(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]*@/gi, '$1:***@');
}
