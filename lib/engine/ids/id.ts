// Container ids: 64 lowercase hex digits (32 random bytes), as Docker's
// stringid.GenerateRandomID; the short form is the first 12.
import { randomBytes } from 'node:crypto';

export const ID_RE = /^[0-9a-f]{64}$/;

export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker skips ids that are all digits in their short form: they could be read as numbers.
    if (!/^\d{12}$/.test(id.slice(0, 12))) return id;
  }
}

export const shortId = (id: string): string => id.slice(0, 12);
