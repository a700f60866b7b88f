// Authenticated encryption for secrets kept at rest (TOTP secrets): AES-256-GCM with a random
// 12-byte IV per message. Sealed values are `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url), and
// `v1.<keyId>` is bound as additional authenticated data, so a ciphertext cannot be re-labelled
// with another key id. The first key seals; every listed key opens, so keys can be rotated by
// putting a new key first and re-sealing at leisure.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

export type SecretBox = { seal(plaintext: string): string; open(sealed: string): string };

export type EncryptionKey = { id: string; key: Buffer };

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/; // the same rule as api/config.ts; never '.', ',' or ':'
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export function createSecretBox(keys: EncryptionKey[]): SecretBox {
  if (keys.length === 0) throw new Error('Secret box: at least one encryption key is required');
  const byId = new Map<string, KeyObject>();
  for (const { id, key } of keys) {
    if (!KEY_ID.test(id)) throw new Error(`Secret box: key id "${id}" must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'`);
    if (byId.has(id)) throw new Error(`Secret box: duplicate key id "${id}"`);
    if (key.length !== KEY_BYTES) throw new Error(`Secret box: key "${id}" is ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES}`);
    byId.set(id, createSecretKey(Buffer.from(key))); // a copy: later changes to the caller's buffer do not affect us
  }
  const [current] = keys as [EncryptionKey, ...EncryptionKey[]];
  const currentKey = byId.get(current.id) as KeyObject;

  return {
    seal(plaintext: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, currentKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(current.id));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, current.id, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
    },

    open(sealed: string): string {
      const parts = sealed.split('.');
      if (parts.length !== 5) throw new Error('Secret box: not a sealed value (expected v1.<keyId>.<iv>.<ciphertext>.<tag>)');
      const [version, id, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
      if (version !== VERSION) throw new Error(`Secret box: unsupported format version "${version}"`);
      const key = byId.get(id);
      if (!key) throw new Error(`Secret box: unknown key id "${id}" (was the key removed from the configured keys?)`);
      const iv = decodeSegment(ivText, 'IV');
      const ciphertext = decodeSegment(ciphertextText, 'ciphertext');
      const tag = decodeSegment(tagText, 'tag');
      if (iv.length !== IV_BYTES) throw new Error(`Secret box: IV must be ${IV_BYTES} bytes (got ${iv.length})`);
      if (tag.length !== TAG_BYTES) throw new Error(`Secret box: tag must be ${TAG_BYTES} bytes (got ${tag.length})`);
      // authTagLength pins the tag size: GCM would otherwise accept a truncated tag.
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(id));
      decipher.setAuthTag(tag);
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      } catch {
        throw new Error(`Secret box: the sealed value failed authentication (tampered, or not sealed with key "${id}")`);
      }
      return plaintext.toString('utf8');
    },
  };
}

function aad(keyId: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}`, 'utf8');
}

// Node's decoder skips characters it does not know and ignores the spare bits of the last one, so
// only the canonical encoding is accepted: then any edit to the text is an edit to the bytes.
function decodeSegment(text: string, what: string): Buffer {
  const bytes = BASE64URL.test(text) ? Buffer.from(text, 'base64url') : undefined;
  if (!bytes || bytes.toString('base64url') !== text) throw new Error(`Secret box: the ${what} is not canonical base64url`);
  return bytes;
}

/**
 * Keys from an environment value such as `k2:<base64 32 bytes>,k1:<base64 32 bytes>` (the first is
 * current; the rest only decrypt) or a single bare `<base64 32 bytes>` (id `k1`). Standard and
 * URL-safe base64 are both accepted. Errors name the entry but never include key material.
 */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  if (value.trim() === '') throw new Error('Encryption keys: the value is empty (expected id:base64,... or one base64 key)');
  const entries = value.split(',');
  const keys: EncryptionKey[] = [];
  for (const [i, raw] of entries.entries()) {
    const entry = raw.trim();
    const where = entries.length === 1 ? 'the key' : `entry ${i + 1}`;
    if (entry === '') throw new Error(`Encryption keys: ${where} is empty (stray comma?)`);
    const colon = entry.indexOf(':');
    // A bare key is id k1, as api/config.ts reads it.
    const [id, b64] = colon === -1 ? ['k1', entry] : [entry.slice(0, colon).trim(), entry.slice(colon + 1).trim()];
    if (!KEY_ID.test(id)) throw new Error(`Encryption keys: ${where} has a bad key id "${id}" (1-32 characters of A-Z, a-z, 0-9, '_' or '-')`);
    if (keys.some((k) => k.id === id)) throw new Error(`Encryption keys: duplicate key id "${id}" (${where})`);
    if (!BASE64.test(b64)) throw new Error(`Encryption keys: key "${id}" (${where}) is not base64`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`Encryption keys: key "${id}" (${where}) decodes to ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES} (openssl rand -base64 32)`);
    }
    keys.push({ id, key });
  }
  return keys;
}
