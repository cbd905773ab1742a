import { randomBytes } from 'node:crypto';
import { blindIndex } from '../../src/crypto/blind-index';
import { CiphertextError, keyVersionOf, openField, sealField, type FieldLocation } from '../../src/crypto/envelope';
import { DataKey, unwrapDataKey, wrapDataKey } from '../../src/crypto/keyring';
import { MasterKeys } from '../../src/crypto/master-key';

const TENANT = '3f2c7a4e-8d1b-4c55-9a0e-1b2c3d4e5f60';
const ROW = '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';
const at: FieldLocation = { tenantId: TENANT, table: 'customers', column: 'phone', rowId: ROW };
const raw1 = randomBytes(32);
const v1 = new DataKey(1, raw1);
const keys = (...ks: DataKey[]) => (v: number) => ks.find((k) => k.version === v);

describe('field envelope (AES-256-GCM, versioned format, AAD)', () => {
  it('round-trips and records the key version, with a fresh IV every time', () => {
    const a = sealField(v1, '13812345678', at);
    const b = sealField(v1, '13812345678', at);
    expect(a.equals(b)).toBe(false);
    expect(keyVersionOf(a)).toBe(1);
    expect(a[0]).toBe(1);
    expect(a.includes(Buffer.from('13812345678'))).toBe(false);
    expect(openField(keys(v1), a, at)).toBe('13812345678');
    expect(openField(keys(v1), sealField(v1, '北京市东城区王府井大街88号', at), at)).toBe('北京市东城区王府井大街88号');
  });

  it.each([
    ['another row', { ...at, rowId: '00000000-0000-4000-8000-000000000000' }],
    ['another column', { ...at, column: 'email' }],
    ['another table', { ...at, table: 'customer_contacts' }],
    ['another tenant', { ...at, tenantId: '00000000-0000-4000-8000-000000000001' }],
  ])('refuses a ciphertext moved to %s', (_name, other) => {
    expect(() => openField(keys(v1), sealField(v1, '13812345678', at), other)).toThrow(CiphertextError);
  });

  it('refuses a ciphertext with any byte changed, including the recorded key version', () => {
    const sealed = sealField(v1, '13812345678', at);
    // Versions 0 and 257 hold the same key material as 1: only the authenticated header tells them apart.
    const ring = keys(v1, new DataKey(0, raw1), new DataKey(257, raw1));
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i] ^= 0x01;
      expect(() => openField(ring, bad, at)).toThrow(CiphertextError);
    }
    expect(() => openField(keys(v1), sealed.subarray(0, 20), at)).toThrow(CiphertextError);
  });

  it('opens with the version the ciphertext names, and refuses an unknown version', () => {
    const v2 = new DataKey(2, randomBytes(32));
    const old = sealField(v1, 'a@example.com', at);
    const fresh = sealField(v2, 'a@example.com', at);
    expect(openField(keys(v1, v2), old, at)).toBe('a@example.com');
    expect(openField(keys(v1, v2), fresh, at)).toBe('a@example.com');
    expect(() => openField(keys(v1), fresh, at)).toThrow(/no data key version 2/);
  });
});

describe('data keys wrapped by the master key', () => {
  const raw = randomBytes(32);
  const oldMaster = MasterKeys.of(randomBytes(32));

  it('unwraps only for its own tenant and version, under a configured master key', () => {
    const wrapped = { version: 3, ...wrapDataKey(oldMaster, TENANT, 3, raw) };
    expect(wrapped.wrappedKey.includes(raw)).toBe(false);
    expect(unwrapDataKey(oldMaster, TENANT, wrapped).equals(raw)).toBe(true);
    expect(() => unwrapDataKey(oldMaster, '00000000-0000-4000-8000-000000000001', wrapped)).toThrow(CiphertextError);
    expect(() => unwrapDataKey(oldMaster, TENANT, { ...wrapped, version: 4 })).toThrow(CiphertextError);
    const rotated = MasterKeys.of(randomBytes(32), [oldMaster.current.key]);
    expect(unwrapDataKey(rotated, TENANT, wrapped).equals(raw)).toBe(true);
    expect(() => unwrapDataKey(MasterKeys.of(randomBytes(32)), TENANT, wrapped)).toThrow(/not configured/);
  });

  it('derives distinct keys for encryption and for each blind-index domain', () => {
    const k = new DataKey(1, raw);
    expect(k.encKey.equals(raw)).toBe(false);
    expect(k.blindKey('phone').equals(k.blindKey('email'))).toBe(false);
    expect(k.blindKey('phone').equals(k.encKey)).toBe(false);
  });
});

describe('blind index', () => {
  it('matches normalised equal values under one key, and nothing under another', () => {
    const k = new DataKey(1, randomBytes(32));
    expect(blindIndex(k, 'phone', '138 1234-5678').equals(blindIndex(k, 'phone', '13812345678'))).toBe(true);
    expect(blindIndex(k, 'email', ' Zhang.Wei@Example.com').equals(blindIndex(k, 'email', 'zhang.wei@example.com'))).toBe(true);
    expect(blindIndex(k, 'phone', '13812345678').equals(blindIndex(k, 'phone', '13812345679'))).toBe(false);
    expect(blindIndex(k, 'phone', '13812345678').equals(blindIndex(new DataKey(1, randomBytes(32)), 'phone', '13812345678'))).toBe(false);
    expect(blindIndex(k, 'phone', '13812345678')).toHaveLength(32);
  });
});
