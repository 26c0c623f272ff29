import { describe, expect, it } from 'vitest';
import { mapGender } from '../subgraphs/hris/gender';

describe('mapGender', () => {
  it('maps the usual provider spellings onto the common enum', () => {
    expect(mapGender('Male')).toBe('MALE');
    expect(mapGender('female')).toBe('FEMALE');
    expect(mapGender('Non-binary')).toBe('NON_BINARY');
    expect(mapGender('Nonbinary')).toBe('NON_BINARY');
    expect(mapGender('diverse')).toBe('OTHER');
    expect(mapGender('Prefer not to say')).toBe('PREFER_NOT_TO_DISCLOSE');
  });

  it('leaves customer-defined and empty values unmapped', () => {
    expect(mapGender('Two-Spirit')).toBeNull();
    expect(mapGender('')).toBeNull();
    expect(mapGender(null)).toBeNull();
  });
});
