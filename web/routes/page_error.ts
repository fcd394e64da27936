// A page failure with the HTTP status and the title and message the error page shows.
export class PageError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}
