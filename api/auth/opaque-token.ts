// Single-use secrets sent to people or clients (refresh tokens, session cookies, invitation,
// reset and confirmation links): 256 random bits, stored only as a SHA-256 hash. A plain hash is
// enough because the values are random, not chosen by people.
import { createHash, randomBytes } from 'node:crypto';

export const newOpaqueToken = (): string => randomBytes(32).toString('base64url');
export const hashOpaqueToken = (token: string): string => createHash('sha256').update(token).digest('hex');
