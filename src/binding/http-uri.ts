/**
 * The comparison form of an HTTP URI for the DPoP `htu` check (RFC 9449 §4.3 step 9): the proof's
 * `htu` and the request's URL match when their forms are equal, ignoring query and fragment, after
 * the syntax- and scheme-based normalisation of RFC 3986 §6.2.2–6.2.3.
 */

// RFC 3986 §2.3: percent-encoded unreserved characters are equivalent to the characters.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * `scheme://host[:port]/path`, or `undefined` when `value` is not an absolute http(s) URI.
 * The WHATWG parser already lower-cases scheme and host, drops a default port, removes dot
 * segments and turns an empty path into `/`; what remains is percent-encoding case and
 * needlessly encoded unreserved characters.
 */
export function normalizeHttpUri(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Userinfo is never part of a request target; an htu carrying it names something else.
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}
