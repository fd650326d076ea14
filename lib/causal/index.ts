// Causal reads (DESIGN §4): a session's vector clock, and each group's store read through it.
export { VectorClock } from './vector-clock'
export { CausalSession, readModes, type CausalOptions, type ReadMode } from './causal-session'
export { CausalStore, type ReadCounts } from './causal-store'
