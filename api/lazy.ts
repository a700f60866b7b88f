// A module loaded on first use, not at startup: an API process that never sees Stripe, SAML,
// S3, PDFs or a QR code does not carry them (their code and heap cost tens of MB each; see
// docs/performance.md, P9). The first caller waits for the import; later callers share it. A
// failed import is not remembered, so the next call tries again.
import { createRequire } from 'node:module';

export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}

/** The same for a synchronous caller (a zod refinement): the CommonJS build, required on first use. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= createRequire(import.meta.url)(id) as T;
    return loaded;
  };
}
