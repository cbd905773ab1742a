import { mask } from '../../src/authz/mask';

describe('masks', () => {
  it.each([
    ['PHONE', '13812345678', '138****5678'],
    // The + and country code are part of the first three characters, not set apart.
    ['PHONE', '+85291234567', '+85*****4567'],
    ['PHONE', '+86 138-1234-5678', '+86*******5678'],
    ['PHONE', '12345', '*****'],
    ['EMAIL', 'zhang.wei@example.com', 'z***@example.com'],
    ['EMAIL', '张伟@例子.中国', '张***@例子.中国'],
    ['EMAIL', 'broken', '***'],
    ['ID_NUMBER', '110101199003071234', '110101********1234'],
    ['NAME', '张伟', '张*'],
    ['NAME', '欧阳娜娜', '欧***'],
    ['ADDRESS', '广东省深圳市南山区科技园科苑路15号', '广东省深圳市***'],
    ['ADDRESS', '北京市海淀区中关村大街1号', '北京市***'],
    ['ADDRESS', '1 Main St, Springfield, IL', 'Springfield, IL***'],
    ['REDACT', 'anything', '***'],
  ] as const)('%s %s -> %s', (kind, value, expected) => {
    expect(mask(kind, value)).toBe(expected);
  });

  it('never returns the input unchanged for a value with content', () => {
    for (const kind of ['PHONE', 'EMAIL', 'ID_NUMBER', 'NAME', 'ADDRESS', 'REDACT'] as const) {
      expect(mask(kind, '13812345678@example.com')).not.toBe('13812345678@example.com');
    }
  });
});
