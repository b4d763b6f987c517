/** Accounts: register and log in. Tokens are issued by the transport; this module decides who you are. */
import type { Deps } from '../context.js';
import { ConflictError, UnauthenticatedError } from '../errors.js';
import type { AccountRecord } from '../model.js';
import type { LoginThrottle, RegistrationThrottle } from './login-throttle.js';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function register(
  deps: Deps,
  throttle: RegistrationThrottle,
  input: { email: string; password: string; client: string },
): Promise<AccountRecord> {
  await throttle.attempt(input.client);
  const email = normalizeEmail(input.email);
  if (await deps.meta.findAccountByEmail(email)) throw new ConflictError('An account with this email already exists');
  const account: AccountRecord = {
    accountId: deps.newId(),
    email,
    passwordHash: await deps.hasher.hash(input.password),
    createdAt: deps.clock(),
  };
  // The unique index decides races between two registrations of one email (→ ConflictError).
  await deps.meta.createAccount(account);
  return account;
}

let dummyHash: Promise<string> | undefined;

export async function login(
  deps: Deps,
  throttle: LoginThrottle,
  input: { email: string; password: string; client: string },
): Promise<AccountRecord> {
  const email = normalizeEmail(input.email);
  await throttle.attempt(email, input.client);
  const account = await deps.meta.findAccountByEmail(email);
  // Verify against a dummy hash for unknown emails so both failures take the same time.
  dummyHash ??= deps.hasher.hash('branchat-timing-equaliser');
  const ok = await deps.hasher.verify(input.password, account?.passwordHash ?? (await dummyHash));
  if (!account || !ok) throw new UnauthenticatedError('Wrong email or password');
  await throttle.succeeded(email, input.client);
  return account;
}
