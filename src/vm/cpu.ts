// The ARMv5TE A32 interpreter. One hot loop (`run`) decodes by switching on
// instruction bits, keeps the register file in an Int32Array, the flags in
// separate ints (N is `nf < 0`, Z is `zf === 0`, C and V are 0/1), and reads
// RAM through typed views of the WebAssembly.Memory; nothing is allocated per
// instruction. Thumb, VFP/coprocessor, exception-mode and undefined encodings
// stop the CPU with a precise fault (pc, encoding, reason).
import {
  CYCLES_BASE,
  CYCLES_BRANCH,
  CYCLES_DOUBLE,
  CYCLES_LOAD_PC,
  CYCLES_MUL,
  CYCLES_MUL_LONG,
  CYCLES_PC_WRITE,
  CYCLES_REG_SHIFT,
  CYCLES_SVC,
  CYCLES_SWAP,
} from "./cycles.ts";
import type { VmMemory } from "./memory.ts";
import type { FaultReason, Stop, SvcHandler, VmFault } from "./types.ts";

const YIELD: Stop = { kind: "yield" };
const TWO32 = 4294967296;

const PC_DESTINATION = "result written to pc (unpredictable)";

/** CPSR mode bits reported by MRS: user mode, ARM state. */
const USER_MODE = 0x10;

// Results of the 64-bit multiply helpers (module scope: no allocation).
let mulLo = 0;
let mulHi = 0;

/** Unsigned 32x32 -> 64 multiply into mulLo/mulHi (exact in doubles via 16-bit halves). */
function umul64(a: number, b: number): void {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const lo = a0 * b0 + (mid % 65536) * 65536;
  const carry = lo >= TWO32 ? 1 : 0;
  mulLo = lo | 0;
  mulHi = (a1 * b1 + Math.floor(mid / 65536) + carry) | 0;
}

/** Signed 32x32 -> 64 multiply into mulLo/mulHi. */
function smul64(a: number, b: number): void {
  umul64(a, b);
  let hi = mulHi;
  if (a < 0) hi -= b;
  if (b < 0) hi -= a;
  mulHi = hi | 0;
}

/** mulLo/mulHi += hi:lo */
function add64(lo: number, hi: number): void {
  const sum = (mulLo >>> 0) + (lo >>> 0);
  mulLo = sum | 0;
  mulHi = (mulHi + hi + (sum >= TWO32 ? 1 : 0)) | 0;
}

function saturate(x: number): number {
  return x > 0x7fffffff ? 0x7fffffff : x < -0x80000000 ? -0x80000000 : x;
}

function hex(n: number): string {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

export class Cpu {
  /** r0-r15; r15 holds pc+8 while an instruction executes. */
  readonly r = new Int32Array(16);
  /** Address of the next instruction to execute. */
  pc = 0;
  nf = 0;
  zf = 1;
  cf = 0;
  vf = 0;
  qf = 0;
  instructions = 0;
  cycles = 0;
  /** A device or the svc handler sets this to stop once the current instruction retires. */
  pendingStop: Stop | null = null;

  constructor(
    readonly mem: VmMemory,
    private readonly svcHandler: SvcHandler,
  ) {}

  /** The CPSR as MRS reads it: N Z C V Q flags and user mode. */
  get cpsr(): number {
    return (((this.nf >>> 31) << 31) | ((this.zf === 0 ? 1 : 0) << 30) | (this.cf << 29) | (this.vf << 28) | (this.qf << 27) | USER_MODE) >>> 0;
  }

  set cpsr(value: number) {
    this.nf = value & 0x80000000 ? -1 : 0;
    this.zf = value & 0x40000000 ? 0 : 1;
    this.cf = (value >>> 29) & 1;
    this.vf = (value >>> 28) & 1;
    this.qf = (value >>> 27) & 1;
  }

  /**
   * Execute at most `steps` instructions. Returns `yield` when they are used
   * up; the state is kept, so `run` can be called again to continue.
   */
  run(steps: number): Stop {
    const r = this.r;
    const mem = this.mem;
    const u8 = mem.u8;
    const i8 = mem.i8;
    const u16 = mem.u16;
    const i16 = mem.i16;
    const m32 = mem.i32;
    const lo = mem.ramLo;
    const span = mem.ramHi - mem.ramLo;
    let nf = this.nf;
    let zf = this.zf;
    let cf = this.cf;
    let vf = this.vf;
    let pc = this.pc;
    let icount = this.instructions;
    let cyc = this.cycles;
    const limit = icount + steps;
    let stop: Stop | null = null;
    let fault: FaultReason | null = null;
    let detail = "";
    let faultAddress: number | null = null;
    let instr = 0;

    main: for (;;) {
      if (icount >= limit) {
        stop = YIELD;
        break;
      }
      if ((pc - lo) >>> 0 >= span) {
        instr = 0;
        fault = "bad-access";
        faultAddress = pc;
        detail = "instruction fetch outside RAM";
        break;
      }
      instr = m32[pc >>> 2]!;
      const cond = instr >>> 28;
      if (cond !== 14) {
        let pass: boolean;
        switch (cond) {
          case 0: pass = zf === 0; break;
          case 1: pass = zf !== 0; break;
          case 2: pass = cf !== 0; break;
          case 3: pass = cf === 0; break;
          case 4: pass = nf < 0; break;
          case 5: pass = nf >= 0; break;
          case 6: pass = vf !== 0; break;
          case 7: pass = vf === 0; break;
          case 8: pass = cf !== 0 && zf !== 0; break;
          case 9: pass = cf === 0 || zf === 0; break;
          case 10: pass = nf >>> 31 === vf; break;
          case 11: pass = nf >>> 31 !== vf; break;
          case 12: pass = zf !== 0 && nf >>> 31 === vf; break;
          case 13: pass = zf === 0 || nf >>> 31 !== vf; break;
          default: {
            // cond 15: the unconditional space. PLD is a hint; BLX(imm) enters Thumb.
            if ((instr & 0x0d70f000) === 0x0550f000) {
              pc += 4;
              icount++;
              cyc += CYCLES_BASE;
              continue main;
            }
            if ((instr & 0x0e000000) === 0x0a000000) {
              fault = "unsupported-state";
              detail = "BLX to Thumb code (Thumb is not supported)";
            } else {
              fault = "undefined-instruction";
              detail = "unconditional-space encoding";
            }
            break main;
          }
        }
        if (!pass) {
          pc += 4;
          icount++;
          cyc += CYCLES_BASE;
          continue;
        }
      }
      r[15] = pc + 8;
      let npc = pc + 4;
      const op1 = (instr >>> 25) & 7;

      if (op1 <= 1) {
        let op2 = 0;
        let sc = cf;
        if (op1 === 1) {
          if ((instr & 0x01900000) === 0x01000000) {
            // MSR immediate (flags only in user mode), or an undefined encoding (MOVW/MOVT are v6T2).
            if ((instr & 0x0fb0f000) !== 0x0320f000 || instr & 0x00400000) {
              fault = "undefined-instruction";
              detail = "MOVW/MOVT or MSR SPSR (not ARMv5TE user mode)";
              break main;
            }
            if (instr & 0x00080000) {
              const rot = (instr >>> 7) & 30;
              const imm = instr & 0xff;
              const v = rot ? (imm >>> rot) | (imm << (32 - rot)) : imm;
              nf = v & 0x80000000 ? -1 : 0;
              zf = v & 0x40000000 ? 0 : 1;
              cf = (v >>> 29) & 1;
              vf = (v >>> 28) & 1;
              this.qf = (v >>> 27) & 1;
            }
            pc = npc;
            icount++;
            cyc += CYCLES_BASE;
            continue;
          }
          const rot = (instr >>> 7) & 30;
          const imm = instr & 0xff;
          if (rot) {
            op2 = (imm >>> rot) | (imm << (32 - rot));
            sc = op2 >>> 31;
          } else op2 = imm;
          cyc += CYCLES_BASE;
        } else if ((instr & 0x90) === 0x90) {
          // Multiplies, swap, and the halfword/signed/doubleword loads and stores.
          const sh = (instr >>> 5) & 3;
          if (sh === 0) {
            if ((instr & 0x0fc000f0) === 0x00000090) {
              // MUL / MLA
              const rd = (instr >>> 16) & 15;
              let res = Math.imul(r[instr & 15]!, r[(instr >>> 8) & 15]!);
              if (instr & 0x00200000) res = (res + r[(instr >>> 12) & 15]!) | 0;
              if (rd === 15) {
                fault = "undefined-instruction";
                detail = PC_DESTINATION;
                break main;
              }
              r[rd] = res;
              if (instr & 0x00100000) {
                nf = res;
                zf = res;
              }
              cyc += CYCLES_MUL;
            } else if ((instr & 0x0f8000f0) === 0x00800090) {
              // UMULL / UMLAL / SMULL / SMLAL
              const rdhi = (instr >>> 16) & 15;
              const rdlo = (instr >>> 12) & 15;
              if (rdhi === 15 || rdlo === 15 || rdhi === rdlo) {
                fault = "undefined-instruction";
                detail = "long multiply with pc or RdHi == RdLo";
                break main;
              }
              if (instr & 0x00400000) smul64(r[instr & 15]!, r[(instr >>> 8) & 15]!);
              else umul64(r[instr & 15]!, r[(instr >>> 8) & 15]!);
              if (instr & 0x00200000) add64(r[rdlo]!, r[rdhi]!);
              r[rdlo] = mulLo;
              r[rdhi] = mulHi;
              if (instr & 0x00100000) {
                nf = mulHi;
                zf = mulHi | mulLo;
              }
              cyc += CYCLES_MUL_LONG;
            } else if ((instr & 0x0fb00ff0) === 0x01000090) {
              // SWP / SWPB
              const rn = (instr >>> 16) & 15;
              const rd = (instr >>> 12) & 15;
              const rm = instr & 15;
              const a = r[rn]!;
              if (rn === 15 || rd === 15 || rm === 15) {
                fault = "undefined-instruction";
                detail = "SWP with pc";
                break main;
              }
              if ((a - lo) >>> 0 >= span || (!(instr & 0x00400000) && a & 3)) {
                fault = (a - lo) >>> 0 >= span ? "bad-access" : "unaligned-access";
                faultAddress = a;
                detail = "SWP";
                break main;
              }
              if (instr & 0x00400000) {
                const old = u8[a]!;
                u8[a] = r[rm]!;
                r[rd] = old;
              } else {
                const old = m32[a >>> 2]!;
                m32[a >>> 2] = r[rm]!;
                r[rd] = old;
              }
              cyc += CYCLES_SWAP;
            } else {
              fault = "undefined-instruction";
              detail = "multiply/synchronization encoding outside ARMv5TE";
              break main;
            }
            pc = npc;
            icount++;
            continue;
          }
          // LDRH / STRH / LDRSB / LDRSH / LDRD / STRD
          const p = instr & 0x01000000;
          const w = instr & 0x00200000;
          const load = instr & 0x00100000;
          const rn = (instr >>> 16) & 15;
          const rt = (instr >>> 12) & 15;
          if (!p && w) {
            fault = "undefined-instruction";
            detail = "unprivileged halfword access (ARMv6T2)";
            break main;
          }
          const offset = instr & 0x00400000 ? ((instr >>> 4) & 0xf0) | (instr & 15) : r[instr & 15]!;
          const base = r[rn]!;
          const moved = instr & 0x00800000 ? (base + offset) | 0 : (base - offset) | 0;
          const a = p ? moved : base;
          if (load && sh !== 0) {
            // LDRH (1), LDRSB (2), LDRSH (3)
            if (rt === 15) {
              fault = "undefined-instruction";
              detail = "halfword/signed load into pc";
              break main;
            }
            let v: number;
            if ((a - lo) >>> 0 < span && (sh === 2 || (a & 1) === 0)) {
              v = sh === 1 ? u16[a >>> 1]! : sh === 2 ? i8[a]! : i16[a >>> 1]!;
            } else {
              fault = (a - lo) >>> 0 >= span ? "bad-access" : "unaligned-access";
              faultAddress = a;
              detail = sh === 2 ? "LDRSB" : sh === 1 ? "LDRH" : "LDRSH";
              break main;
            }
            if (!p || w) r[rn] = moved;
            r[rt] = v;
          } else if (sh === 1) {
            // STRH
            if ((a - lo) >>> 0 < span && (a & 1) === 0) u16[a >>> 1] = r[rt]!;
            else {
              fault = (a - lo) >>> 0 >= span ? "bad-access" : "unaligned-access";
              faultAddress = a;
              detail = "STRH";
              break main;
            }
            if (!p || w) r[rn] = moved;
          } else {
            // LDRD (sh 2) / STRD (sh 3): Rt even, not r14; word alignment suffices (as on ARMv6+ and qemu).
            if (rt & 1 || rt === 14) {
              fault = "undefined-instruction";
              detail = "LDRD/STRD with an odd register or r14";
              break main;
            }
            if ((a - lo) >>> 0 >= span - 4 || a & 3) {
              fault = (a - lo) >>> 0 >= span - 4 ? "bad-access" : "unaligned-access";
              faultAddress = a;
              detail = sh === 2 ? "LDRD" : "STRD";
              break main;
            }
            if (sh === 2) {
              const v0 = m32[a >>> 2]!;
              const v1 = m32[(a >>> 2) + 1]!;
              if (!p || w) r[rn] = moved;
              r[rt] = v0;
              r[rt + 1] = v1;
            } else {
              m32[a >>> 2] = r[rt]!;
              m32[(a >>> 2) + 1] = r[rt + 1]!;
              if (!p || w) r[rn] = moved;
            }
            cyc += CYCLES_DOUBLE - CYCLES_BASE;
          }
          pc = npc;
          icount++;
          cyc += CYCLES_BASE;
          continue;
        } else if ((instr & 0x01900000) === 0x01000000) {
          // The miscellaneous space: MRS, MSR, BX, BLX, CLZ, saturating add/sub, DSP multiplies.
          const op = (instr >>> 4) & 15;
          if (op === 0) {
            if ((instr & 0x0fff0fff) === 0x010f0000) {
              if ((instr & 0xf000) === 0xf000) {
                fault = "undefined-instruction";
                detail = PC_DESTINATION;
                break main;
              }
              this.nf = nf;
              this.zf = zf;
              this.cf = cf;
              this.vf = vf;
              r[(instr >>> 12) & 15] = this.cpsr;
            } else if ((instr & 0x0ff0fff0) === 0x0120f000) {
              if (instr & 0x00080000) {
                const v = r[instr & 15]!;
                nf = v & 0x80000000 ? -1 : 0;
                zf = v & 0x40000000 ? 0 : 1;
                cf = (v >>> 29) & 1;
                vf = (v >>> 28) & 1;
                this.qf = (v >>> 27) & 1;
              }
            } else {
              fault = "undefined-instruction";
              detail = "MRS/MSR of SPSR (no exception modes)";
              break main;
            }
            cyc += CYCLES_BASE;
          } else if (op === 1 || op === 3) {
            if ((instr & 0x0fffffd0) === 0x012fff10) {
              // BX / BLX register
              const target = r[instr & 15]!;
              if (target & 1) {
                fault = "unsupported-state";
                detail = `${op === 3 ? "BLX" : "BX"} to Thumb code at ${hex(target & ~1)} (Thumb is not supported)`;
                break main;
              }
              if (op === 3) r[14] = pc + 4;
              npc = target & ~3;
              cyc += CYCLES_BRANCH;
            } else if (op === 1 && (instr & 0x0fff0ff0) === 0x016f0f10) {
              if ((instr & 0xf000) === 0xf000) {
                fault = "undefined-instruction";
                detail = PC_DESTINATION;
                break main;
              }
              r[(instr >>> 12) & 15] = Math.clz32(r[instr & 15]!);
              cyc += CYCLES_BASE;
            } else {
              fault = "undefined-instruction";
              detail = "miscellaneous-space encoding";
              break main;
            }
          } else if (op === 5 && (instr & 0x0f900ff0) === 0x01000050) {
            // QADD / QSUB / QDADD / QDSUB
            if ((instr & 0xf000) === 0xf000) {
              fault = "undefined-instruction";
              detail = PC_DESTINATION;
              break main;
            }
            const rm = r[instr & 15]!;
            let rn = r[(instr >>> 16) & 15]!;
            const kind = (instr >>> 21) & 3;
            if (kind & 2) {
              const d = saturate(rn * 2);
              if (d !== rn * 2) this.qf = 1;
              rn = d;
            }
            const exact = kind & 1 ? rm - rn : rm + rn;
            const res = saturate(exact);
            if (res !== exact) this.qf = 1;
            r[(instr >>> 12) & 15] = res;
            cyc += CYCLES_BASE;
          } else if ((op & 9) === 8) {
            // SMLAxy / SMLAWy / SMULWy / SMLALxy / SMULxy
            const kind = (instr >>> 21) & 3;
            const rd = (instr >>> 16) & 15;
            const rn = (instr >>> 12) & 15;
            if (rd === 15 || (kind === 2 && rn === 15)) {
              fault = "undefined-instruction";
              detail = PC_DESTINATION;
              break main;
            }
            const rmv = r[instr & 15]!;
            const rsv = r[(instr >>> 8) & 15]!;
            const y = instr & 0x40 ? rsv >> 16 : (rsv << 16) >> 16;
            if (kind === 1) {
              const prod = Math.floor((rmv * y) / 65536) | 0;
              if (instr & 0x20) r[rd] = prod;
              else {
                const acc = r[rn]!;
                const res = (prod + acc) | 0;
                if (((prod ^ res) & (acc ^ res)) < 0) this.qf = 1;
                r[rd] = res;
              }
            } else {
              const x = instr & 0x20 ? rmv >> 16 : (rmv << 16) >> 16;
              const prod = x * y;
              if (kind === 3) r[rd] = prod | 0;
              else if (kind === 0) {
                const acc = r[rn]!;
                const res = (prod + acc) | 0;
                if (((prod ^ res) & (acc ^ res)) < 0) this.qf = 1;
                r[rd] = res;
              } else {
                mulLo = r[rn]!;
                mulHi = r[rd]!;
                add64(prod | 0, prod < 0 ? -1 : 0);
                r[rn] = mulLo;
                r[rd] = mulHi;
              }
            }
            cyc += CYCLES_MUL;
          } else {
            fault = "undefined-instruction";
            detail = op === 7 ? "BKPT" : "miscellaneous-space encoding";
            break main;
          }
          pc = npc;
          icount++;
          continue;
        } else {
          // Register operand with an immediate or register-specified shift.
          const rm = instr & 15;
          let v = r[rm]!;
          const type = (instr >>> 5) & 3;
          if (instr & 0x10) {
            if (rm === 15) v = (v + 4) | 0;
            const amt = r[(instr >>> 8) & 15]! & 0xff;
            cyc += CYCLES_BASE + CYCLES_REG_SHIFT;
            if (amt === 0) op2 = v;
            else if (type === 0) {
              if (amt < 32) {
                op2 = v << amt;
                sc = (v >>> (32 - amt)) & 1;
              } else {
                op2 = 0;
                sc = amt === 32 ? v & 1 : 0;
              }
            } else if (type === 1) {
              if (amt < 32) {
                op2 = v >>> amt;
                sc = (v >>> (amt - 1)) & 1;
              } else {
                op2 = 0;
                sc = amt === 32 ? v >>> 31 : 0;
              }
            } else if (type === 2) {
              if (amt < 32) {
                op2 = v >> amt;
                sc = (v >> (amt - 1)) & 1;
              } else {
                op2 = v >> 31;
                sc = v >>> 31;
              }
            } else {
              const k = amt & 31;
              if (k === 0) {
                op2 = v;
                sc = v >>> 31;
              } else {
                op2 = (v >>> k) | (v << (32 - k));
                sc = (v >>> (k - 1)) & 1;
              }
            }
          } else {
            const amt = (instr >>> 7) & 31;
            cyc += CYCLES_BASE;
            if (type === 0) {
              if (amt === 0) op2 = v;
              else {
                op2 = v << amt;
                sc = (v >>> (32 - amt)) & 1;
              }
            } else if (type === 1) {
              if (amt === 0) {
                op2 = 0;
                sc = v >>> 31;
              } else {
                op2 = v >>> amt;
                sc = (v >>> (amt - 1)) & 1;
              }
            } else if (type === 2) {
              if (amt === 0) {
                op2 = v >> 31;
                sc = v >>> 31;
              } else {
                op2 = v >> amt;
                sc = (v >> (amt - 1)) & 1;
              }
            } else if (amt === 0) {
              op2 = (cf << 31) | (v >>> 1);
              sc = v & 1;
            } else {
              op2 = (v >>> amt) | (v << (32 - amt));
              sc = (v >>> (amt - 1)) & 1;
            }
          }
        }

        // Data processing.
        const rn = (instr >>> 16) & 15;
        const rd = (instr >>> 12) & 15;
        const s = instr & 0x00100000;
        let a = r[rn]!;
        if (rn === 15 && (instr & 0x02000010) === 0x10) a = (a + 4) | 0;
        let res = 0;
        switch ((instr >>> 21) & 15) {
          case 0: res = a & op2; break;
          case 1: res = a ^ op2; break;
          case 2:
            res = (a - op2) | 0;
            if (s) {
              cf = a >>> 0 >= op2 >>> 0 ? 1 : 0;
              vf = ((a ^ op2) & (a ^ res)) >>> 31;
            }
            break;
          case 3:
            res = (op2 - a) | 0;
            if (s) {
              cf = op2 >>> 0 >= a >>> 0 ? 1 : 0;
              vf = ((op2 ^ a) & (op2 ^ res)) >>> 31;
            }
            break;
          case 4:
            res = (a + op2) | 0;
            if (s) {
              cf = (a >>> 0) + (op2 >>> 0) >= TWO32 ? 1 : 0;
              vf = ((a ^ res) & (op2 ^ res)) >>> 31;
            }
            break;
          case 5: {
            const c = cf;
            res = (a + op2 + c) | 0;
            if (s) {
              cf = (a >>> 0) + (op2 >>> 0) + c >= TWO32 ? 1 : 0;
              vf = ((a ^ res) & (op2 ^ res)) >>> 31;
            }
            break;
          }
          case 6: {
            const borrow = 1 - cf;
            res = (a - op2 - borrow) | 0;
            if (s) {
              cf = (a >>> 0) - (op2 >>> 0) - borrow >= 0 ? 1 : 0;
              vf = ((a ^ op2) & (a ^ res)) >>> 31;
            }
            break;
          }
          case 7: {
            const borrow = 1 - cf;
            res = (op2 - a - borrow) | 0;
            if (s) {
              cf = (op2 >>> 0) - (a >>> 0) - borrow >= 0 ? 1 : 0;
              vf = ((op2 ^ a) & (op2 ^ res)) >>> 31;
            }
            break;
          }
          case 8:
            res = a & op2;
            nf = res;
            zf = res;
            cf = sc;
            pc = npc;
            icount++;
            continue;
          case 9:
            res = a ^ op2;
            nf = res;
            zf = res;
            cf = sc;
            pc = npc;
            icount++;
            continue;
          case 10:
            res = (a - op2) | 0;
            nf = res;
            zf = res;
            cf = a >>> 0 >= op2 >>> 0 ? 1 : 0;
            vf = ((a ^ op2) & (a ^ res)) >>> 31;
            pc = npc;
            icount++;
            continue;
          case 11:
            res = (a + op2) | 0;
            nf = res;
            zf = res;
            cf = (a >>> 0) + (op2 >>> 0) >= TWO32 ? 1 : 0;
            vf = ((a ^ res) & (op2 ^ res)) >>> 31;
            pc = npc;
            icount++;
            continue;
          case 12: res = a | op2; break;
          case 13: res = op2; break;
          case 14: res = a & ~op2; break;
          default: res = ~op2; break;
        }
        if (s) {
          nf = res;
          zf = res;
          const op = (instr >>> 21) & 15;
          if (op < 2 || op >= 12) cf = sc;
        }
        if (rd === 15) {
          if (s) {
            fault = "unsupported-state";
            detail = "flag-setting write to pc (needs an SPSR; there are no exception modes)";
            break main;
          }
          if (res & 3) {
            fault = "unsupported-state";
            detail = res & 1 ? `jump to Thumb code at ${hex(res & ~1)} (Thumb is not supported)` : `jump to unaligned pc ${hex(res)}`;
            break main;
          }
          npc = res;
          cyc += CYCLES_PC_WRITE;
        } else r[rd] = res;
        pc = npc;
        icount++;
        continue;
      }

      switch (op1) {
        case 2:
        case 3: {
          // LDR / STR / LDRB / STRB
          let offset: number;
          if (op1 === 2) offset = instr & 0xfff;
          else {
            if (instr & 0x10) {
              fault = "undefined-instruction";
              detail = (instr & 0x0ff000f0) === 0x07f000f0 ? "permanently undefined (UDF)" : "media instruction (ARMv6)";
              break main;
            }
            const v = r[instr & 15]!;
            const amt = (instr >>> 7) & 31;
            switch ((instr >>> 5) & 3) {
              case 0: offset = v << amt; break;
              case 1: offset = amt === 0 ? 0 : v >>> amt; break;
              case 2: offset = amt === 0 ? v >> 31 : v >> amt; break;
              default: offset = amt === 0 ? (cf << 31) | (v >>> 1) : (v >>> amt) | (v << (32 - amt)); break;
            }
          }
          const p = instr & 0x01000000;
          const rn = (instr >>> 16) & 15;
          const rt = (instr >>> 12) & 15;
          const base = r[rn]!;
          const moved = instr & 0x00800000 ? (base + offset) | 0 : (base - offset) | 0;
          const a = p ? moved : base;
          const wb = !p || instr & 0x00200000;
          if (instr & 0x00100000) {
            let v: number;
            if (instr & 0x00400000) {
              if ((a - lo) >>> 0 < span) v = u8[a]!;
              else {
                fault = "bad-access";
                faultAddress = a;
                detail = "LDRB";
                break main;
              }
            } else if ((a - lo) >>> 0 < span && (a & 3) === 0) v = m32[a >>> 2]!;
            else if (a & 3) {
              fault = "unaligned-access";
              faultAddress = a;
              detail = "LDR";
              break main;
            } else {
              this.sync(pc, icount, cyc);
              const m = mem.mmioRead(a);
              if (m === null) {
                fault = "bad-access";
                faultAddress = a;
                detail = "LDR";
                break main;
              }
              v = m;
            }
            if (wb) r[rn] = moved;
            if (rt === 15) {
              if (v & 3) {
                fault = "unsupported-state";
                detail = v & 1 ? `load of a Thumb address ${hex(v & ~1)} into pc (Thumb is not supported)` : `load of unaligned pc ${hex(v)}`;
                break main;
              }
              npc = v;
              cyc += CYCLES_LOAD_PC;
            } else r[rt] = v;
          } else {
            const v = r[rt]!;
            if (instr & 0x00400000) {
              if ((a - lo) >>> 0 < span) u8[a] = v;
              else {
                fault = "bad-access";
                faultAddress = a;
                detail = "STRB";
                break main;
              }
            } else if ((a - lo) >>> 0 < span && (a & 3) === 0) m32[a >>> 2] = v;
            else if (a & 3) {
              fault = "unaligned-access";
              faultAddress = a;
              detail = "STR";
              break main;
            } else {
              this.sync(pc, icount, cyc);
              if (!mem.mmioWrite(a, v)) {
                fault = "bad-access";
                faultAddress = a;
                detail = "STR";
                break main;
              }
              if (this.pendingStop) {
                if (wb) r[rn] = moved;
                pc = npc;
                icount++;
                cyc += CYCLES_BASE;
                stop = this.pendingStop;
                this.pendingStop = null;
                break main;
              }
            }
            if (wb) r[rn] = moved;
          }
          cyc += CYCLES_BASE;
          break;
        }
        case 4: {
          // LDM / STM, all four addressing modes
          if (instr & 0x00400000) {
            fault = "unsupported-state";
            detail = "LDM/STM with ^ (user bank or exception return)";
            break main;
          }
          const list = instr & 0xffff;
          if (list === 0) {
            fault = "undefined-instruction";
            detail = "LDM/STM with an empty register list";
            break main;
          }
          let n = list - ((list >>> 1) & 0x5555);
          n = (n & 0x3333) + ((n >>> 2) & 0x3333);
          n = (n + (n >>> 4)) & 0x0f0f;
          n = (n + (n >>> 8)) & 0x1f;
          const rn = (instr >>> 16) & 15;
          const base = r[rn]!;
          const up = instr & 0x00800000;
          let a = up ? (instr & 0x01000000 ? base + 4 : base) : instr & 0x01000000 ? base - 4 * n : base - 4 * n + 4;
          a |= 0;
          if ((a - lo) >>> 0 > span - 4 * n || a & 3) {
            fault = a & 3 ? "unaligned-access" : "bad-access";
            faultAddress = a;
            detail = instr & 0x00100000 ? "LDM" : "STM";
            break main;
          }
          let wi = a >>> 2;
          if (instr & 0x00100000) {
            if (instr & 0x00200000) r[rn] = up ? base + 4 * n : base - 4 * n;
            for (let i = 0; i < 15; i++) if (list & (1 << i)) r[i] = m32[wi++]!;
            if (list & 0x8000) {
              const v = m32[wi]!;
              if (v & 3) {
                fault = "unsupported-state";
                detail = v & 1 ? `LDM of a Thumb address ${hex(v & ~1)} into pc (Thumb is not supported)` : `LDM of unaligned pc ${hex(v)}`;
                break main;
              }
              npc = v;
              cyc += CYCLES_LOAD_PC;
            }
          } else {
            for (let i = 0; i < 16; i++) if (list & (1 << i)) m32[wi++] = r[i]!;
            if (instr & 0x00200000) r[rn] = up ? base + 4 * n : base - 4 * n;
          }
          cyc += CYCLES_BASE + n;
          break;
        }
        case 5: {
          // B / BL
          if (instr & 0x01000000) r[14] = pc + 4;
          npc = (pc + 8 + ((instr << 8) >> 6)) | 0;
          cyc += CYCLES_BRANCH;
          break;
        }
        case 7:
          if (instr & 0x01000000) {
            // SVC: the personality handles it with the registers as they are.
            this.sync(pc, icount, cyc);
            this.nf = nf;
            this.zf = zf;
            this.cf = cf;
            this.vf = vf;
            const s = this.svcHandler.svc(r, instr & 0xffffff);
            icount++;
            cyc += CYCLES_SVC;
            pc = npc;
            if (s) {
              if (s.kind === "unsupported") {
                pc -= 4;
                icount--;
                cyc -= CYCLES_SVC;
                fault = "unsupported-syscall";
                detail = s.detail;
                break main;
              }
              stop = s;
              break main;
            }
            continue;
          }
          fault = "undefined-instruction";
          detail = "coprocessor instruction (VFP/coprocessors are not supported)";
          break main;
        default:
          fault = "undefined-instruction";
          detail = "coprocessor load/store (VFP/coprocessors are not supported)";
          break main;
      }
      pc = npc;
      icount++;
    }

    this.pc = pc;
    this.nf = nf;
    this.zf = zf;
    this.cf = cf;
    this.vf = vf;
    this.instructions = icount;
    this.cycles = cyc;
    r[15] = pc;
    if (fault) return { kind: "fault", fault: this.describeFault(fault, pc, instr, faultAddress, detail) };
    return stop ?? YIELD;
  }

  /** Store the loop's counters so devices (cycle counter, timer) read current values. */
  private sync(pc: number, icount: number, cyc: number): void {
    this.pc = pc;
    this.instructions = icount;
    this.cycles = cyc;
  }

  private describeFault(reason: FaultReason, pc: number, instruction: number, address: number | null, detail: string): VmFault {
    const where = `at pc ${hex(pc)} (instruction ${hex(instruction)})`;
    const what = address === null ? detail : `${detail} of ${hex(address)}`;
    const fault: VmFault = { reason, pc: pc >>> 0, instruction: instruction >>> 0, message: `${reason} ${where}: ${what}` };
    if (address !== null) fault.address = address >>> 0;
    return fault;
  }
}
