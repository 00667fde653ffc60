/** The body of every HTTP error this project answers: {"error":{"code","message"}}, with a stable code. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
