// ISO 8601 date-times that PostgreSQL can store: its timestamps start at year 1, so ISO
// year 0000 (which Date.parse and zod accept) is refused here with the field's name
// instead of failing in the database.
import { z } from 'zod';

const YEAR_ZERO = /^0000/;

/** Whether a string Date.parse accepts is also a timestamp PostgreSQL stores. */
export const isStorableDateTime = (v: string): boolean => !Number.isNaN(Date.parse(v)) && !YEAR_ZERO.test(v);

export const isoDateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
  .refine((v) => !YEAR_ZERO.test(v), { message: 'must be in year 0001 or later' });
