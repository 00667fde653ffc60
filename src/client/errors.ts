/** A refusal or failure as a participant's code sees it, whichever way it talked to the coordinator: a status and a stable code. */
export class ClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}
