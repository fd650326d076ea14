// What lib/fs needs of causal reads (lib/causal, wired by lib/client): records carry the
// clock of their last writer, and reading one takes that clock in before what it refers to is
// read, so that no read shows an effect before its cause (DESIGN §4).
export interface Causality {
  /** token is this mount's clock now, to store with a record it writes */
  token(): string
  /** dependsOn takes in the clock a record was written with */
  dependsOn(token: string): void
  /** catchUp takes in a clock from elsewhere and waits (briefly) until this mount's nearest replicas cover it */
  catchUp(token: string): Promise<boolean>
}

/** the xattr that reads as this mount's clock and, written on another mount, makes it catch up */
export const CLOCK_XATTR = 'meridian.clock'
