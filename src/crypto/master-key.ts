import fs from 'node:fs';
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { logger } from '../lib/logger';

/** A master key and its id: a fingerprint stored beside each wrapped data key, so we know which key wrapped it. */
export type MasterKey = { id: string; key: Buffer };

export const masterKey = (key: Buffer): MasterKey => ({
  id: createHmac('sha256', key).update('warden.master-key-id.v1').digest('hex').slice(0, 16),
  key,
});

/** The current master key (wraps new data keys) and earlier ones (only unwrap, until keys:rotate re-wraps). */
export class MasterKeys {
  readonly all: MasterKey[];
  constructor(
    readonly current: MasterKey,
    readonly previous: MasterKey[] = [],
  ) {
    this.all = [current, ...previous.filter((p) => p.id !== current.id)];
  }

  byId(id: string): MasterKey | undefined {
    return this.all.find((k) => k.id === id);
  }

  static of(current: Buffer, previous: Buffer[] = []): MasterKeys {
    return new MasterKeys(masterKey(current), previous.map(masterKey));
  }
}

/**
 * The master keys from WARDEN_MASTER_KEY (required in production, see src/config.ts). Outside production
 * without one: an ephemeral key for tests and in-memory databases, else a local development key kept in
 * WARDEN_DATA_DIR/master.key, created on first use (and said so in the log).
 */
export function loadMasterKeys(config: Config): MasterKeys {
  const { current, previous } = config.masterKey;
  if (current) return MasterKeys.of(current, previous);
  if (config.env === 'production') throw new Error('WARDEN_MASTER_KEY is required when NODE_ENV=production');
  const ephemeral = config.env === 'test' || (!config.databaseUrl && config.dataDir.startsWith('memory://'));
  if (ephemeral) return MasterKeys.of(randomBytes(32), previous);
  if (config.dataDir.startsWith('memory://')) {
    throw new Error('Set WARDEN_MASTER_KEY, or WARDEN_DATA_DIR to a folder for a development master key: the database outlives memory://');
  }
  const file = path.resolve(config.dataDir, 'master.key');
  if (fs.existsSync(file)) {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a base64 32-byte key`);
    return MasterKeys.of(key, previous);
  }
  const key = randomBytes(32);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn('created a local development master key for customer-data encryption; set WARDEN_MASTER_KEY in production', { file });
  return MasterKeys.of(key, previous);
}
