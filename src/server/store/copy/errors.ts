/** The copy refused or stopped; the message says why and what to do. Never holds the URL's password. */
export class StoreCopyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreCopyError';
  }
}
