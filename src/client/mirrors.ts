/**
 * The mirrors' side of the coordinator's API, typed by its routes (hc<AppType>): a mirror registers and sends its
 * signed statements (BLS-authenticated, so unsigned requests); anyone reads how the mirrors stand; an admin admits
 * and retires mirrors (signed with the admin key).
 */
import { hc } from "hono/client";
import type * as v from "valibot";
import type { AppType } from "../api/app.ts";
import { CeremonyInfoSchema, EventsSchema, MirrorsStatusSchema, StatementAnswerSchema, type CeremonyInfo, type MirrorRegistration, type MirrorsStatus, type MirrorStatement } from "../api/schemas.ts";
import type { RequestKey } from "../auth/sign.ts";
import { ClientError } from "./errors.ts";
import { read } from "./http.ts";
import { ceremonyFetch, DEFAULT_RETRY, type RetryPolicy } from "./transport.ts";

export class MirrorsClient {
  private readonly open: ReturnType<typeof hc<AppType>>;
  private readonly signed: ReturnType<typeof hc<AppType>> | null;
  private idOnce: Promise<string> | null = null;

  constructor(url: string, adminKey: RequestKey | null = null, retry: RetryPolicy = DEFAULT_RETRY) {
    const base = url.replace(/\/+$/, "");
    this.open = hc<AppType>(base, { fetch: ceremonyFetch(null, retry) });
    this.signed = adminKey ? hc<AppType>(base, { fetch: ceremonyFetch({ key: adminKey, ceremony: () => this.ceremonyId() }, retry) }) : null;
  }

  private ceremonyId(): Promise<string> {
    this.idOnce ??= this.ceremony().then((info) => info.ceremonyId);
    this.idOnce.catch(() => (this.idOnce = null));
    return this.idOnce;
  }

  async ceremony(): Promise<CeremonyInfo> {
    return read(await this.open.v1.ceremony.$get(), CeremonyInfoSchema);
  }

  async register(json: MirrorRegistration): Promise<v.InferOutput<typeof EventsSchema>> {
    return read(await this.open.v1.mirrors.register.$post({ json }), EventsSchema);
  }

  async submit(json: MirrorStatement): Promise<{ certified: boolean }> {
    return read(await this.open.v1.mirrors.statements.$post({ json }), StatementAnswerSchema);
  }

  async status(): Promise<MirrorsStatus> {
    return read(await this.open.v1.mirrors.$get(), MirrorsStatusSchema);
  }

  async admin(action: "admit" | "retire", mirror: string, reason = ""): Promise<v.InferOutput<typeof EventsSchema>> {
    if (!this.signed) throw new ClientError(0, "NO_KEY", "admitting or retiring a mirror needs an admin key");
    const json = { mirror, reason };
    const a = this.signed.v1.admin.mirrors;
    return read(await (action === "admit" ? a.admit.$post({ json }) : a.retire.$post({ json })), EventsSchema);
  }
}
