import type { Gender } from './models';

/**
 * Provider gender values, compared lower-cased without spaces, hyphens or
 * underscores, onto the common enum. Providers let customers edit these
 * lists, so anything else stays unmapped (null) beside its raw value.
 */
const GENDERS: Record<string, Gender> = {
  male: 'MALE',
  man: 'MALE',
  female: 'FEMALE',
  woman: 'FEMALE',
  nonbinary: 'NON_BINARY',
  diverse: 'OTHER',
  other: 'OTHER',
  prefernottosay: 'PREFER_NOT_TO_DISCLOSE',
  prefernottodisclose: 'PREFER_NOT_TO_DISCLOSE',
  declinetoanswer: 'PREFER_NOT_TO_DISCLOSE',
};

/** A provider's gender value → the common enum, or null when unmapped. */
export function mapGender(raw: string | null | undefined): Gender | null {
  return GENDERS[(raw ?? '').toLowerCase().replace(/[\s_-]+/g, '')] ?? null;
}
