import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type CryptoKey } from 'jose';
import type { Config } from '../config';
import { logger } from '../lib/logger';

export type SigningKeys = { privateKey: CryptoKey; publicKey: CryptoKey; kid: string };

const ALG = 'EdDSA';

async function fromPem(pem: string): Promise<SigningKeys> {
  const privateKey = await importPKCS8(pem, ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  delete jwk.d;
  const publicKey = (await importJWK(jwk, ALG)) as CryptoKey;
  return { privateKey, publicKey, kid: await calculateJwkThumbprint(jwk) };
}

/**
 * The Ed25519 key that signs access tokens: from WARDEN_JWT_PRIVATE_KEY, or (outside production) a
 * development key kept in the data folder, or an ephemeral one for in-memory databases and tests.
 */
export async function loadSigningKeys(config: Config): Promise<SigningKeys> {
  if (config.jwt.privateKeyPem) return fromPem(config.jwt.privateKeyPem.replace(/\\n/g, '\n'));
  const persistent = !config.databaseUrl && config.env !== 'test' && !config.dataDir.startsWith('memory://');
  const file = path.resolve(config.dataDir, 'jwt-ed25519.pem');
  if (persistent && fs.existsSync(file)) return fromPem(fs.readFileSync(file, 'utf8'));
  const { privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const pem = await exportPKCS8(privateKey);
  if (persistent) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, pem, { mode: 0o600 });
    logger.warn('created a development token-signing key; set WARDEN_JWT_PRIVATE_KEY in production', { file });
  }
  return fromPem(pem);
}
