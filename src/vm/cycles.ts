// Estimated cycles per instruction class, SA-1100 (StrongARM) -like. The CPU
// adds these as it retires instructions; the counts are deterministic, so
// they compare runs, not wall-clock time. Sources: the SA-1100 developer's
// manual timing tables, simplified (no load-use interlocks, no cache misses).
//
// | class                                         | cycles          |
// |-----------------------------------------------|-----------------|
// | condition failed (any instruction)            | 1               |
// | data processing, immediate or immediate shift | 1               |
// | data processing, register-specified shift     | +1              |
// | data processing writing pc                    | +2              |
// | MUL / MLA                                     | 2               |
// | long multiplies (UMULL, SMLAL, ...)           | 3               |
// | DSP halfword multiplies (SMULxy, SMLAxy, ...) | 2               |
// | LDR / LDRB / LDRH / LDRSx, STR...             | 1               |
// | load to pc                                    | +3              |
// | LDRD / STRD                                   | 2               |
// | LDM / STM                                     | 1 + registers   |
// | LDM with pc in the list                       | +3              |
// | SWP / SWPB                                    | 2               |
// | B, BL, BX, BLX (taken)                        | 2               |
// | SVC                                           | 3               |
// | CLZ, MRS, MSR, PLD                            | 1               |
export const CYCLES_BASE = 1;
export const CYCLES_REG_SHIFT = 1;
export const CYCLES_PC_WRITE = 2;
export const CYCLES_MUL = 2;
export const CYCLES_MUL_LONG = 3;
export const CYCLES_LOAD_PC = 3;
export const CYCLES_DOUBLE = 2;
export const CYCLES_SWAP = 2;
export const CYCLES_BRANCH = 2;
export const CYCLES_SVC = 3;
