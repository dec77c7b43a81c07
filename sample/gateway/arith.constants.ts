/** Injection token of the gateway's `ClamatorClient` for the arith service. */
export const ARITH_CLIENT = 'ARITH';
