/* Curve constants for msm.c, included once before the groups. */

/* ---- curve constants in .ptau form (Montgomery, R = 2^256; see scripts/derive-bn254-constants.ts) ---- */
static const u64 G1_B[4] = {0x7a17caa950ad28d7ull, 0x1f6ac17ae15521b9ull, 0x334bea4e696bd284ull, 0x2a1f6744ce179d8eull}; /* 3 */
/* β: a primitive cube root of unity in Fp, with φ(P) = (β·x, y) = [λ]P on G1 (λ as in wide.h's lattice) */
static const u64 G1_BETA[4] = {0x71930c11d782e155ull, 0xa6bb947cffbe3323ull, 0xaa303344d4741444ull, 0x2c3b3f0d26594943ull};
/* the twist's b' = 3/(9 + u) */
static const u64 G2_B[8] = {0x3bf938e377b802a8ull, 0x020b1b273633535dull, 0x26b7edf049755260ull, 0x2514c6324384a86dull,
                            0x38e7ecccd1dcff67ull, 0x65f0b37d93ce0d3eull, 0xd749d0dd22ac00aaull, 0x0141b9ce4a688d4dull};
/* ψ(x, y) = (conj(x)·γ1, conj(y)·γ2) with γ1 = ξ^((q−1)/3), γ2 = ξ^((q−1)/2), ξ = 9 + u */
static const u64 G2_GAMMA1[8] = {0xb5773b104563ab30ull, 0x347f91c8a9aa6454ull, 0x7a007127242e0991ull, 0x1956bcd8118214ecull,
                                 0x6e849f1ea0aa4757ull, 0xaa1c7b6d89f89141ull, 0xb6e713cdfae0ca3aull, 0x26694fbb4e82ebc3ull};
static const u64 G2_GAMMA2[8] = {0xe4bbdd0c2936b629ull, 0xbb30f162e133bacbull, 0x31a9d1b6f9645366ull, 0x253570bea500f8ddull,
                                 0xa1d77ce45ffe77c7ull, 0x07affd117826d1dbull, 0x6d16bd27bb7edc6bull, 0x2c87200285defeccull};
