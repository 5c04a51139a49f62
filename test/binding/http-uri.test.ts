/** The `htu` comparison form (RFC 9449 §4.3, RFC 3986 §6.2.2–6.2.3). */
import { describe, expect, it } from 'vitest';
import { normalizeHttpUri } from '../../src/binding/http-uri.js';

describe('normalizeHttpUri', () => {
  it.each([
    ['https://api.example.com/a', 'https://api.example.com/a'],
    ['HTTPS://API.Example.COM/a', 'https://api.example.com/a'],
    ['https://api.example.com:443/a', 'https://api.example.com/a'],
    ['http://api.example.com:80/a', 'http://api.example.com/a'],
    ['https://api.example.com:8443/a', 'https://api.example.com:8443/a'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/a?b=c#d', 'https://api.example.com/a'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://api.example.com/%7euser/%2f', 'https://api.example.com/~user/%2F'],
    ['https://api.example.com/%41%62', 'https://api.example.com/Ab'],
    ['https://[::1]:443/x', 'https://[::1]/x'],
    ['https://127.0.0.1:3000/x', 'https://127.0.0.1:3000/x'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHttpUri(input)).toBe(expected);
  });

  it.each(['/relative', 'api.example.com/a', 'ftp://api.example.com/a', 'https://user:pw@api.example.com/a', 'https://', ''])('refuses %j', (input) => {
    expect(normalizeHttpUri(input)).toBeUndefined();
  });
});
