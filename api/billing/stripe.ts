// The Stripe client, pinned to one API version, behind one resilience policy: a 10-second
// timeout, two retries with jittered backoff on network errors and 5xx/429, and a circuit breaker
// that stops calling a failing Stripe for 30 seconds. A Stripe outage makes billing pages say
// "try again", and never touches sign-in or teaching.
import { ConsecutiveBreaker, circuitBreaker, ExponentialBackoff, handleWhen, retry, TimeoutStrategy, timeout, wrap } from 'cockatiel';
import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { lazy } from '../lazy.ts';

export const STRIPE_API_VERSION = '2026-10-28.endive';

/** `client()` loads the Stripe library on first use (api/lazy.ts); `call` runs one Stripe request
 * under the policy. */
export type Billing = { client: () => Promise<Stripe>; call: <T>(fn: (stripe: Stripe) => Promise<T>) => Promise<T> };

function retryable(error: unknown): boolean {
  const e = error as { type?: string; statusCode?: number };
  return e?.type === 'StripeConnectionError' || e?.type === 'StripeAPIError' || e?.type === 'StripeRateLimitError' || (e?.statusCode ?? 0) >= 500;
}

export function createBilling(config: Config): Billing | undefined {
  if (!config.stripe.secretKey) return undefined;
  const base = config.stripe.apiBase ? new URL(config.stripe.apiBase) : undefined;
  const secretKey = config.stripe.secretKey;
  const client = lazy(async () => {
    const { default: StripeClient } = await import('stripe');
    return new StripeClient(secretKey, {
      apiVersion: STRIPE_API_VERSION as never,
      maxNetworkRetries: 0, // retries are the policy's job, with the caller's idempotency keys
      timeout: 10_000,
      ...(base
        ? {
            host: base.hostname,
            port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
            protocol: base.protocol.replace(':', '') as 'http' | 'https',
          }
        : {}),
      appInfo: { name: 'Edify' },
    });
  });
  const policy = wrap(
    retry(handleWhen(retryable), { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }) }),
    circuitBreaker(handleWhen(retryable), { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
    timeout(12_000, TimeoutStrategy.Aggressive),
  );
  return {
    client,
    call: async (fn) => {
      try {
        const stripe = await client();
        return await policy.execute(() => fn(stripe));
      } catch (error) {
        if (retryable(error) || (error as Error)?.name === 'BrokenCircuitError' || (error as Error)?.name === 'TaskCancelledError') {
          throw new AppError('unavailable', 'Billing is temporarily unavailable (Stripe did not answer). Teaching is not affected; try again in a minute.', {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

export function requireBilling(billing: Billing | undefined): Billing {
  if (!billing) throw new AppError('unavailable', 'Billing is not set up on this server (STRIPE_SECRET_KEY is missing).');
  return billing;
}
