import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { loadMasterKeys } from '../../src/crypto/master-key';
import { idNumberCheckChar, isValidIdNumber } from '../../src/lib/id-number';
import { setLogLevel } from '../../src/lib/logger';

const future = `110101${new Date().getUTCFullYear() + 1}0101123`;

describe('resident identity numbers (GB 11643-1999)', () => {
  it.each(['110101198501021234', '11010519880214302X', '440305199106304522'])('accepts %s', (id) => {
    expect(isValidIdNumber(id)).toBe(true);
  });

  it.each([
    ['a wrong check character', '110101198501021235'],
    ['an impossible birth date', '110101198502301234'],
    ['a birth date in the future', future + idNumberCheckChar(future)],
    ['a lower-case x (callers upper-case first)', '11010519880214302x'],
    ['17 digits', '11010119850102123'],
    ['letters', '11010119850102ABCD'],
  ])('refuses %s', (_why, id) => {
    expect(isValidIdNumber(id)).toBe(false);
  });

  it('computes the ISO 7064 MOD 11-2 check character', () => {
    expect(idNumberCheckChar('11010519880214302')).toBe('X');
  });
});

describe('master key configuration', () => {
  beforeAll(() => setLogLevel('silent'));
  const key = Buffer.alloc(32, 7).toString('base64');

  it('stops a production start without WARDEN_MASTER_KEY, with a clear message', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', WARDEN_JWT_PRIVATE_KEY: 'pem' })).toThrow(/WARDEN_MASTER_KEY is required when NODE_ENV=production.*openssl rand -base64 32/);
    expect(loadConfig({ NODE_ENV: 'production', WARDEN_JWT_PRIVATE_KEY: 'pem', WARDEN_MASTER_KEY: key }).masterKey.current).toEqual(Buffer.alloc(32, 7));
  });

  it.each([['too short', Buffer.alloc(16).toString('base64')], ['not base64', 'not a key!'], ['too long', Buffer.alloc(33).toString('base64')]])(
    'refuses a master key that is %s',
    (_why, value) => {
      expect(() => loadConfig({ WARDEN_MASTER_KEY: value })).toThrow(/WARDEN_MASTER_KEY: must be base64 of exactly 32 bytes/);
      expect(() => loadConfig({ WARDEN_MASTER_KEY: key, WARDEN_MASTER_KEY_PREVIOUS: value })).toThrow(/WARDEN_MASTER_KEY_PREVIOUS/);
    },
  );

  it('creates a local development key in the data folder once, says so, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-mk-'));
    const warnings: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (warnings.push(String(chunk)), true));
    setLogLevel('warn');
    try {
      const config = loadConfig({ NODE_ENV: 'development', WARDEN_DATA_DIR: dir });
      const first = loadMasterKeys(config);
      const second = loadMasterKeys(config);
      expect(first.current.id).toBe(second.current.id);
      expect(fs.statSync(path.join(dir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(warnings.filter((w) => w.includes('created a local development master key'))).toHaveLength(1);
    } finally {
      spy.mockRestore();
      setLogLevel('silent');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the configured current key and accepts previous ones for unwrapping', () => {
    const previous = Buffer.alloc(32, 9).toString('base64');
    const masters = loadMasterKeys(loadConfig({ WARDEN_MASTER_KEY: key, WARDEN_MASTER_KEY_PREVIOUS: ` ${previous} ` }));
    expect(masters.all.map((k) => k.key)).toEqual([Buffer.alloc(32, 7), Buffer.alloc(32, 9)]);
    expect(masters.byId(masters.previous[0].id)?.key).toEqual(Buffer.alloc(32, 9));
  });
});
