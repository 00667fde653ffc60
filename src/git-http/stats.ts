/** Counters of the git server's work, for operators and for tests that check what a request cost. */
export class GitServerStats {
  /** Objects compressed into a pack (a cached pack's or one made for a single request). */
  objectsEncoded = 0;
  /** Clones answered with a cached pack that was already built. */
  packsFromCache = 0;
  /** Cached packs built from nothing. */
  cacheBuilds = 0;
  /** Cached packs made from the previous one plus the objects of the commits since. */
  cacheExtensions = 0;
  /** Packs made for one request (fetches with haves, older tips, or a cache that is off or full). */
  packsPerRequest = 0;
  /** Upload-packs given up because their client went away. */
  abandoned = 0;
  /** Upload-packs refused with 503 GIT_BUSY. */
  refusedBusy = 0;
  /** Upload-packs in progress now. */
  activeUploadPacks = 0;
}
