/** What a caught value says: an Error's message, anything else (a thrown string, a rejection reason) as text. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
