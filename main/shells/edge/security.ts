import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';

/**
 * Edge mode's checks, as pure functions over web-standard Headers: a per-launch token (in the
 * URL once, then an HttpOnly cookie), the Host header (DNS rebinding) and the Origin of
 * WebSocket upgrades. Issue 7, "Edge mode is safe on a shared machine".
 */

/** A fresh token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in constant time whatever the lengths (both sides hashed first). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The cookie's name carries the port: cookies are not port-scoped, two servers must not clash. */
export function cookieName(port: number): string {
  return `vi_edge_${port}`;
}

/** The value of one cookie in a Cookie header, or null. */
export function readCookie(headers: Headers, name: string): string | null {
  const header = headers.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** How a host appears in a URL or a Host header: IPv6 in brackets. */
export function urlHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  return h.includes(':') ? `[${h}]` : h;
}

/**
 * The Host header values this server answers to: the bound address and the loopback names,
 * each with the port. A wildcard bind (0.0.0.0, ::) also answers to this machine's own
 * interface addresses and name; any other name (a rebinding attacker's domain) is refused.
 */
export function allowedHosts(boundHost: string, port: number): Set<string> {
  const names = new Set<string>(LOOPBACK_NAMES);
  if (isWildcard(boundHost)) {
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) names.add(urlHost(i.address.split('%')[0] ?? i.address));
    }
    names.add(hostname());
  } else {
    names.add(urlHost(boundHost));
  }
  return new Set([...names].map((n) => `${n.toLowerCase()}:${port}`));
}
