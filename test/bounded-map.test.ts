/**
 * The bounded map under the result cache, the issuer resolver and the introspection cache: never more than
 * `maxEntries`, the least recently used goes first, an entry is gone at its deadline on the
 * monotonic clock (or, with `keepExpired`, hidden from `get` but kept until evicted).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundedMap } from '../src/bounded-map.js';

const HOUR = 3_600_000;

/** Moves the monotonic clock (what deadlines are measured on) forward by `ms`. */
function advanceMonotonicClock(ms: number) {
  const realNow = performance.now.bind(performance);
  vi.spyOn(performance, 'now').mockImplementation(() => realNow() + ms);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('BoundedMap', () => {
  it('returns what was stored, and undefined for an unknown key', () => {
    const map = new BoundedMap<string, number>(3);
    map.set('a', 1, HOUR);
    expect(map.get('a')).toBe(1);
    expect(map.get('b')).toBeUndefined();
  });

  it('never holds more than maxEntries, however many are set', () => {
    const map = new BoundedMap<string, number>(3);
    for (let i = 0; i < 100; i++) map.set(`k${i}`, i, HOUR);
    expect(map.size).toBe(3);
    expect([map.get('k97'), map.get('k98'), map.get('k99')]).toEqual([97, 98, 99]);
  });

  it('drops the least recently used entry when full: a read counts as a use', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1, HOUR);
    map.set('b', 2, HOUR);
    map.get('a');
    map.set('c', 3, HOUR);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([1, undefined, 3]);
  });

  it('replacing a key keeps one entry for it and makes it the most recently used', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1, HOUR);
    map.set('b', 2, HOUR);
    map.set('a', 10, HOUR);
    map.set('c', 3, HOUR);
    expect(map.size).toBe(2);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([10, undefined, 3]);
  });

  it('forgets an entry at its own deadline on the monotonic clock', () => {
    const map = new BoundedMap<string, number>(10);
    map.set('short', 1, 1000);
    map.set('long', 2, 60_000);
    advanceMonotonicClock(1000);
    expect(map.get('short')).toBeUndefined();
    expect(map.get('long')).toBe(2);
    expect(map.size).toBe(1); // the expired entry was dropped when read
  });

  it('keeps an entry for its whole life whatever the wall clock does', () => {
    const map = new BoundedMap<string, number>(10);
    map.set('a', 1, 60_000);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 10 * HOUR);
    expect(map.get('a')).toBe(1);
  });

  it('with keepExpired, hides an entry past its deadline from get but keeps it for getExpired', () => {
    const map = new BoundedMap<string, number>(10, { keepExpired: true });
    map.set('a', 1, 1000);
    advanceMonotonicClock(1000);
    expect(map.get('a')).toBeUndefined();
    expect(map.getExpired('a')).toBe(1);
    expect(map.size).toBe(1);
  });

  it('with keepExpired, still holds no more than maxEntries: kept entries are evicted like any other', () => {
    const map = new BoundedMap<string, number>(2, { keepExpired: true });
    map.set('old', 1, 1);
    map.set('b', 2, HOUR);
    map.set('c', 3, HOUR);
    expect(map.size).toBe(2);
    expect(map.getExpired('old')).toBeUndefined();
  });

  it('delete removes an entry, and deleting an unknown key changes nothing', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1, HOUR);
    map.delete('a');
    map.delete('b');
    expect([map.get('a'), map.size]).toEqual([undefined, 0]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %s', (maxEntries) => {
    expect(() => new BoundedMap(maxEntries)).toThrow(TypeError);
  });
});
