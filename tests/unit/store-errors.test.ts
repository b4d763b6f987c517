/**
 * translateStoreError: which MongoDB failures are "unavailable, try again" (503 + Retry-After) and which are
 * left alone (a bug or a constraint: 500 or the domain's own answer). The same errors through the API, injected
 * by the wire-protocol double, are in tests/faults/mongo-errors.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { DriverException } from '@mikro-orm/core';
import { MongoServerError, MongoWriteConcernError } from 'mongodb';
import { UnavailableError } from '../../src/domain/errors.js';
import { isMongoTransient, translateStoreError } from '../../src/stores/errors.js';

const server = (fields: Record<string, unknown>) => new MongoServerError({ errmsg: 'x', ok: 0, ...fields });

describe('translateStoreError: MongoDB server errors', () => {
  test('retryable codes (shutdown, step-down, not primary) are UnavailableError, also wrapped by MikroORM', () => {
    for (const [code, codeName] of [
      [91, 'ShutdownInProgress'],
      [11600, 'InterruptedAtShutdown'],
      [189, 'PrimarySteppedDown'],
      [10107, 'NotWritablePrimary'],
      [13435, 'NotPrimaryNoSecondaryOk'],
      [11602, 'InterruptedDueToReplStateChange'],
      [13436, 'NotPrimaryOrSecondary'],
    ] as const) {
      const e = server({ code, codeName });
      const translated = translateStoreError(e, 'content store');
      expect({ code, unavailable: translated instanceof UnavailableError }).toEqual({ code, unavailable: true });
      expect((translated as UnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect(translateStoreError(new DriverException(e), 'content store')).toBeInstanceOf(UnavailableError);
      expect(translateStoreError(new Error('wrapped', { cause: e }), 'content store')).toBeInstanceOf(UnavailableError);
    }
  });

  test('retryable labels make any code transient; a retryable write-concern error too', () => {
    for (const label of ['RetryableWriteError', 'TransientTransactionError', 'ResetPool', 'SystemOverloadedError'])
      expect(isMongoTransient(server({ code: 4242, codeName: 'Whatever', errorLabels: [label] }))).toBe(true);
    const wce = new MongoWriteConcernError({
      writeConcernError: { code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down' },
    } as never);
    expect(translateStoreError(wce, 'content store')).toBeInstanceOf(UnavailableError);
  });

  test('everything else is left alone: duplicate keys, bad values, other labels, numeric codes of non-MongoDB errors', () => {
    for (const e of [
      server({ code: 11000, codeName: 'DuplicateKey' }),
      server({ code: 2, codeName: 'BadValue' }),
      server({ code: 40, codeName: 'ConflictingUpdateOperators', errorLabels: ['NoWritesPerformed'] }),
      Object.assign(new Error('not mongo'), { code: 91 }),
      Object.assign(new Error('pg unique'), { code: '23505' }),
    ])
      expect(translateStoreError(e, 'content store')).toBe(e);
  });
});
