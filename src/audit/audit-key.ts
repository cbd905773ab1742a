import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { logger } from '../lib/logger';

/**
 * The Ed25519 key that signs audit checkpoints (RFC 8032, through node:crypto). Checkpoint signatures
 * cover a domain-separated message, so using the token key (the default) cannot produce a valid token
 * and a token cannot pass for a checkpoint.
 */
export type AuditSigner = {
  keyId: string;
  sign(message: Buffer): Buffer;
  /** Public keys the verifier trusts, by key id: this key and the configured earlier ones. */
  trusted: Map<string, KeyObject>;
};

const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 22);

/** The signed message for a checkpoint: versioned and bound to tenant, position and hash. */
export const checkpointMessage = (tenantId: string, seq: number, hash: Buffer): Buffer =>
  Buffer.from(`warden.audit-checkpoint.v1\n${tenantId}\n${seq}\n${hash.toString('hex')}`, 'utf8');

function parsePublicKeys(pems: string | undefined): KeyObject[] {
  if (!pems) return [];
  const blocks = pems.replace(/\\n/g, '\n').match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  return blocks.map((pem) => createPublicKey(pem));
}

function loadPrivateKey(config: Config): KeyObject {
  const pem = config.audit.signingKeyPem ?? config.jwt.privateKeyPem;
  if (pem) return createPrivateKey(pem.replace(/\\n/g, '\n'));
  // Kept in the data folder even with PostgreSQL: checkpoints must stay verifiable across restarts.
  const persistent = config.env !== 'test' && !config.dataDir.startsWith('memory://');
  const file = path.resolve(config.dataDir, 'audit-ed25519.pem');
  if (persistent && fs.existsSync(file)) return createPrivateKey(fs.readFileSync(file, 'utf8'));
  const { privateKey } = generateKeyPairSync('ed25519');
  if (persistent) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    logger.warn('created a development audit checkpoint key; set WARDEN_AUDIT_SIGNING_KEY in production', { file });
  }
  return privateKey;
}

export function loadAuditSigner(config: Config): AuditSigner {
  const privateKey = loadPrivateKey(config);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('The audit signing key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const trusted = new Map<string, KeyObject>([[keyId, publicKey]]);
  for (const k of parsePublicKeys(config.audit.trustedKeysPem)) trusted.set(keyIdOf(k), k);
  return { keyId, sign: (message) => sign(null, message, privateKey), trusted };
}

export function verifyCheckpointSignature(trusted: Map<string, KeyObject>, keyId: string, message: Buffer, signature: Buffer): 'ok' | 'unknown-key' | 'bad' {
  const key = trusted.get(keyId);
  if (!key) return 'unknown-key';
  return verify(null, message, key, signature) ? 'ok' : 'bad';
}
