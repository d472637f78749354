// Publishing the CRL: one copy in the database (crl_state), re-issued inside every
// revocation's transaction, and otherwise whenever it is a day old, missing, or signed
// by another issuing key. Replicas serve the stored copy (cached in memory by CRL
// number), so every replica answers with the same, monotonically numbered CRL.
import type pg from 'pg';
import type { Queryable } from '../common/tenancy.js';
import { buildCrl } from './pki/crl.js';
import type { CaMaterial } from './pki/material.js';
import { x509 } from './pki/x509.js';
import { type CrlState, lockCrl, readCrlState, revokedUnexpired, writeCrlState } from './repository.js';

export const CRL_VALIDITY_MS = 7 * 86_400_000;
export const CRL_REISSUE_AFTER_MS = 86_400_000;

export type PublishedCrl = CrlState & { der: Buffer };

export function issuerKeyId(ca: CaMaterial): string {
  const ski = ca.issuing.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski?.keyId ?? ca.issuing.serialNumber;
}

export class CrlPublisher {
  private cached?: PublishedCrl;
  private readonly keyId: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ca: CaMaterial,
  ) {
    this.keyId = issuerKeyId(ca);
  }

  private usable(s: CrlState | undefined, now = Date.now()): s is CrlState {
    return (
      !!s &&
      s.issuerKeyId === this.keyId &&
      s.nextUpdate.getTime() > now &&
      now - s.thisUpdate.getTime() < CRL_REISSUE_AFTER_MS
    );
  }

  /** Issue the next CRL in the caller's transaction (a revocation's, so both commit together). */
  async issue(client: Queryable): Promise<PublishedCrl> {
    await lockCrl(client);
    const previous = await readCrlState(client);
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const state: CrlState = {
      crlNumber: (previous?.crlNumber ?? 0) + 1,
      issuerKeyId: this.keyId,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS),
    };
    const der = await buildCrl(this.ca, {
      number: state.crlNumber,
      ...state,
      entries: await revokedUnexpired(client),
    });
    const published = { ...state, der };
    await writeCrlState(client, published);
    return published;
  }

  /** The CRL to serve now. */
  async current(): Promise<PublishedCrl> {
    const head = await readCrlState(this.pool);
    if (this.usable(head)) {
      if (this.cached?.crlNumber === head.crlNumber && this.cached.issuerKeyId === head.issuerKeyId)
        return this.cached;
      const full = await readCrlState(this.pool, true);
      if (full && this.usable(full)) return (this.cached = full);
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await lockCrl(client);
      // another replica may have re-issued while this one waited for the lock
      const again = await readCrlState(client, true);
      const published = this.usable(again) ? again : await this.issue(client);
      await client.query('COMMIT');
      return (this.cached = published);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
