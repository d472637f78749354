// ISO 8601 date-times that PostgreSQL can store: its timestamps start at year 1, so ISO
// year 0000 (which Date.parse and zod accept) is refused here with the field's name
// instead of failing in the database; so are UTC offsets beyond ±15:59, PostgreSQL's
// limit (ISO and zod allow up to ±23:59).
import { z } from 'zod';

const YEAR_ZERO = /^0000/;
const OFFSET = /([+-])(\d{2}):?(\d{2})$/;
const MAX_OFFSET_HOURS = 15;

/** Whether the UTC offset at the end of an ISO date-time, if any, is one PostgreSQL takes. */
function storableOffset(v: string): boolean {
  const m = OFFSET.exec(v);
  return !m || Number(m[2]) <= MAX_OFFSET_HOURS;
}

/** Whether a string Date.parse accepts is also a timestamp PostgreSQL stores. */
export const isStorableDateTime = (v: string): boolean =>
  !Number.isNaN(Date.parse(v)) && !YEAR_ZERO.test(v) && storableOffset(v);

export const isoDateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
  .refine((v) => !YEAR_ZERO.test(v), { message: 'must be in year 0001 or later' })
  .refine(storableOffset, { message: 'must have a UTC offset between -15:59 and +15:59' });
