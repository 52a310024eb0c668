// Random A32 instruction sequences (data processing with every operand form,
// multiplies, loads/stores over a scratch buffer) and a harness that runs a
// batch of them in one small static ELF: for each sequence it fills the buffer
// from a seed, loads r0-r11 and the flags, runs the sequence, then records
// r0-r11, the CPSR and the buffer; at the end one write(1, ...) dumps all
// records. Run the same ELF under qemu-arm and the VM and compare records.
//
// Register conventions keep every sequence defined on ARMv5TE and ARMv7
// alike: results go to r0-r9; r10 is a small word-multiple index, r11 the
// buffer pointer (moved only by word-multiple writebacks); r12, sp and lr
// belong to the harness.

export const BUFFER_BYTES = 1024;
/** r0-r11, CPSR, buffer. */
export const RECORD_BYTES = 13 * 4 + BUFFER_BYTES;
export const BASE_ADDRESS = 0x10000;
/** ELF header and one program header. */
const ELF_HEADERS = 52 + 32;
const FLAGS_MASK = 0xf8000000;

export interface Sequence {
  /** r0-r11 and the initial CPSR flags (bits 31-27). */
  init: number[];
  seed: number;
  instructions: number[];
}


export function generateSequence(rand: () => number): Sequence {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const interesting = [0, 1, 2, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x80000001, 0x8000, 0xffff, 0x7fff, 0x10000];
  const value = () => (rand() < 0.3 ? pick(interesting) : Math.floor(rand() * 4294967296)) | 0;
  const init: number[] = [];
  for (let i = 0; i < 10; i++) init.push(value());
  init.push(int(3) * 4); // r10: index 0, 4 or 8
  init.push(0); // r11: filled in by the harness (buffer middle)
  init.push((int(32) << 27) | 0);
  const count = 1 + int(6);
  const instructions: number[] = [];
  for (let i = 0; i < count; i++) instructions.push(randomInstruction(rand));
  return { init, seed: Math.floor(rand() * 4294967296) >>> 0, instructions };
}

function randomInstruction(rand: () => number): number {
  const int = (n: number) => Math.floor(rand() * n);
  const cond = rand() < 0.6 ? 14 : int(15);
  const c = cond << 28;
  const dest = () => int(10);
  const src = () => int(12);
  const kind = rand();
  if (kind < 0.45) {
    // Data processing.
    const op = int(16);
    const compare = op >= 8 && op <= 11;
    const s = compare ? 1 : int(2);
    const rd = compare ? 0 : dest();
    const form = int(3);
    const head = c | (op << 21) | (s << 20) | (rd << 12);
    // MOV and MVN have no Rn: the field must be zero (strict decoders reject others).
    const move = op === 13 || op === 15;
    if (form === 0) {
      const rn = move ? 0 : rand() < 0.05 ? 15 : src();
      return (head | (1 << 25) | (rn << 16) | (int(16) << 8) | int(256)) >>> 0;
    }
    if (form === 1) {
      const rn = move ? 0 : rand() < 0.05 ? 15 : src();
      const rm = rand() < 0.05 ? 15 : src();
      return (head | (rn << 16) | (int(32) << 7) | (int(4) << 5) | rm) >>> 0;
    }
    // Register-specified shift: r10 sometimes, so amounts 0/4/8 happen, otherwise any source register.
    const rs = rand() < 0.3 ? 10 : src();
    return (head | ((move ? 0 : src()) << 16) | (rs << 8) | (int(4) << 5) | 0x10 | src()) >>> 0;
  }
  if (kind < 0.6) {
    // Multiplies, saturating arithmetic, CLZ.
    const which = int(5);
    if (which === 0) {
      // MUL / MLA (Rd != Rm, as ARMv5 requires; MUL has no Rn)
      const rm = src();
      let rd = dest();
      while (rd === rm) rd = dest();
      const accumulate = int(2);
      return (c | (accumulate << 21) | (int(2) << 20) | (rd << 16) | ((accumulate ? src() : 0) << 12) | (src() << 8) | 0x90 | rm) >>> 0;
    }
    if (which === 1) {
      // UMULL / UMLAL / SMULL / SMLAL (RdHi, RdLo, Rm distinct)
      const rm = src();
      const regs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((r) => r !== rm);
      const hi = regs.splice(int(regs.length), 1)[0]!;
      const lo = regs[int(regs.length)]!;
      return (c | (1 << 23) | (int(2) << 22) | (int(2) << 21) | (int(2) << 20) | (hi << 16) | (lo << 12) | (src() << 8) | 0x90 | rm) >>> 0;
    }
    if (which === 2) {
      // SMLAxy (0) / SMLAWy, SMULWy (1) / SMLALxy (2) / SMULxy (3); Rn is zero where it is unused.
      const op = int(4);
      const x = int(2);
      const rd = dest();
      let rn = src();
      if (op === 3 || (op === 1 && x === 1)) rn = 0;
      if (op === 2) while (rn === rd || rn > 9) rn = dest();
      return (c | 0x01000080 | (op << 21) | (rd << 16) | (rn << 12) | (src() << 8) | (int(2) << 6) | (x << 5) | src()) >>> 0;
    }
    // QADD / QSUB / QDADD / QDSUB, CLZ
    if (which === 3) return (c | 0x01000050 | (int(4) << 21) | (src() << 16) | (dest() << 12) | src()) >>> 0;
    return (c | 0x016f0f10 | (dest() << 12) | src()) >>> 0;
  }
  // Loads and stores relative to r11.
  const which = int(5);
  const rt = dest();
  const up = int(2);
  const load = int(2);
  // pre-indexed without writeback, pre-indexed with writeback, or post-indexed.
  const mode = int(3);
  const p = mode === 2 ? 0 : 1;
  const w = mode === 1 ? 1 : 0;
  const moves = mode !== 0;
  if (which === 0) {
    // LDR/STR/LDRB/STRB, immediate or r10-scaled register offset.
    const byte = int(2);
    const head = c | (1 << 26) | (p << 24) | (up << 23) | (byte << 22) | (w << 21) | (load << 20) | (11 << 16) | (rt << 12);
    if (rand() < 0.5) {
      const offset = moves || !byte ? int(9) * 4 : int(36);
      return (head | offset) >>> 0;
    }
    const shift = int(3);
    return (head | (1 << 25) | (shift << 7) | 10) >>> 0;
  }
  if (which === 1) {
    // LDRH / STRH / LDRSB / LDRSH
    const sh = load ? 1 + int(3) : 1;
    const mode2 = int(3);
    const p2 = mode2 === 2 ? 0 : 1;
    const w2 = mode2 === 1 ? 1 : 0;
    const head = c | (p2 << 24) | (up << 23) | (w2 << 21) | (load << 20) | (11 << 16) | (rt << 12) | 0x90 | (sh << 5);
    if (rand() < 0.5) {
      const offset = mode2 !== 0 ? int(9) * 4 : sh === 2 ? int(36) : int(18) * 2;
      return (head | (1 << 22) | ((offset >> 4) << 8) | (offset & 15)) >>> 0;
    }
    return (head | 10) >>> 0;
  }
  if (which === 2) {
    // LDRD / STRD
    const pair = int(5) * 2;
    const sh = load ? 2 : 3;
    const head = c | (p << 24) | (up << 23) | (w << 21) | (11 << 16) | (pair << 12) | 0x90 | (sh << 5);
    if (rand() < 0.5) {
      const offset = int(9) * 4;
      return (head | (1 << 22) | ((offset >> 4) << 8) | (offset & 15)) >>> 0;
    }
    return (head | 10) >>> 0;
  }
  if (which === 3) {
    // LDM / STM, any mode, with or without writeback; never r11 in the list.
    let list = 0;
    while (list === 0) list = int(1024);
    return (c | (4 << 25) | (int(2) << 24) | (up << 23) | (int(2) << 21) | (load << 20) | (11 << 16) | list) >>> 0;
  }
  // SWP / SWPB at r11
  const rm = int(11);
  return (c | 0x01000090 | (int(2) << 22) | (11 << 16) | (rt << 12) | rm) >>> 0;
}

/** A word-literal load that needs no literal pool: ldr rX, [pc]; b over; .word value */
function loadImmediate(rx: number, value: number): number[] {
  return [(0xe59f0000 | (rx << 12)) >>> 0, 0xea000000, value >>> 0];
}

/** A static ELF32 ARM executable running `sequences`, writing RECORD_BYTES per sequence to stdout. */
export function batchElf(sequences: Sequence[]): Uint8Array {
  const code: number[] = [];
  // Data follows the code; addresses are fixed up once the code size is known.
  // Data follows the code: the literal words of these loads are patched once the code size is known.
  const tableFixups: number[] = [];
  const resultFixups: number[] = [];
  const bufferFixups: number[] = [];
  const emitLoad = (rx: number, fixups: number[]) => {
    fixups.push(code.length + 2);
    code.push(...loadImmediate(rx, 0));
  };

  sequences.forEach((seq) => {
    // Fill the buffer: r1 = seed; 256 times { r1 = r2 * r1 + r3; *r0++ = r1 }
    emitLoad(0, bufferFixups);
    code.push(...loadImmediate(1, seq.seed), ...loadImmediate(2, 1103515245), ...loadImmediate(3, 12345));
    code.push(0xe3a04c01); // mov r4, #256
    code.push(0xe0213192); // mla r1, r2, r1, r3
    code.push(0xe4801004); // str r1, [r0], #4
    code.push(0xe2544001); // subs r4, r4, #1
    code.push(0x1afffffb); // bne (back 3 instructions)
    // Registers and flags.
    emitLoad(12, tableFixups);
    code.push(0xe89c0fff); // ldmia r12, {r0-r11}
    code.push(0xe59cc030); // ldr r12, [r12, #48]
    code.push(0xe128f00c); // msr cpsr_f, r12
    code.push(...seq.instructions);
    // Record r0-r11, CPSR, buffer.
    emitLoad(13, resultFixups);
    code.push(0xe88d0fff); // stmia sp, {r0-r11}
    code.push(0xe10f0000); // mrs r0, cpsr
    code.push(0xe58d0030); // str r0, [sp, #48]
    emitLoad(1, bufferFixups);
    code.push(0xe28d2034); // add r2, sp, #52
    code.push(0xe3a03c01); // mov r3, #256
    code.push(0xe4914004); // ldr r4, [r1], #4
    code.push(0xe4824004); // str r4, [r2], #4
    code.push(0xe2533001); // subs r3, r3, #1
    code.push(0x1afffffb); // bne (back 3 instructions)
  });
  // write(1, results, n * RECORD_BYTES); exit_group(0)
  code.push(0xe3a00001); // mov r0, #1
  code.push(...loadImmediate(1, 0));
  const writeFixup = code.length - 1;
  code.push(...loadImmediate(2, sequences.length * RECORD_BYTES));
  code.push(0xe3a07004); // mov r7, #4
  code.push(0xef000000); // svc 0
  code.push(0xe3a00000); // mov r0, #0
  code.push(0xe3a070f8); // mov r7, #248
  code.push(0xef000000); // svc 0

  const codeAddress = BASE_ADDRESS + ELF_HEADERS;
  const tableAddress = codeAddress + code.length * 4;
  const bufferAddress = (tableAddress + sequences.length * 13 * 4 + 63) & ~63;
  const resultAddress = bufferAddress + BUFFER_BYTES;
  tableFixups.forEach((at, i) => (code[at] = tableAddress + i * 13 * 4));
  resultFixups.forEach((at, i) => (code[at] = resultAddress + i * RECORD_BYTES));
  code[writeFixup] = resultAddress;
  for (const at of bufferFixups) code[at] = bufferAddress;

  const out = staticElf(code, bufferAddress - codeAddress, resultAddress + sequences.length * RECORD_BYTES - codeAddress);
  const v = new DataView(out.buffer);
  sequences.forEach((seq, i) => {
    seq.init.forEach((w, k) => v.setUint32(tableAddress - BASE_ADDRESS + (i * 13 + k) * 4, (k === 11 ? bufferAddress + BUFFER_BYTES / 2 : w) >>> 0, true));
  });
  return out;
}

/**
 * A static ELF32 ARM executable of one RWX segment at BASE_ADDRESS: the
 * headers, then `code` (entry at its first word), zero-filled to `fileBytes`
 * after the headers, and `memBytes` in memory.
 */
export function staticElf(code: number[], fileBytes: number, memBytes: number): Uint8Array {
  const out = new Uint8Array(ELF_HEADERS + Math.max(fileBytes, code.length * 4));
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 40, true); // EM_ARM
  v.setUint32(20, 1, true);
  v.setUint32(24, BASE_ADDRESS + ELF_HEADERS, true);
  v.setUint32(28, 52, true); // phoff
  v.setUint32(36, 0x05000000, true); // EABI5
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint16(46, 40, true);
  v.setUint32(52, 1, true); // PT_LOAD
  v.setUint32(56, 0, true);
  v.setUint32(60, BASE_ADDRESS, true);
  v.setUint32(64, BASE_ADDRESS, true);
  v.setUint32(68, out.length, true);
  v.setUint32(72, Math.max(out.length, ELF_HEADERS + memBytes), true);
  v.setUint32(76, 7, true); // RWX
  v.setUint32(80, 0x1000, true);
  code.forEach((w, i) => v.setUint32(ELF_HEADERS + i * 4, w >>> 0, true));
  return out;
}

/** Differences between two record dumps, one line per mismatching sequence. */
export function compareRecords(sequences: Sequence[], expected: Uint8Array, actual: Uint8Array): string[] {
  const problems: string[] = [];
  if (expected.length !== sequences.length * RECORD_BYTES) return [`oracle wrote ${expected.length} bytes, not ${sequences.length * RECORD_BYTES}`];
  if (actual.length !== expected.length) return [`VM wrote ${actual.length} bytes, oracle ${expected.length}`];
  const e = new DataView(expected.buffer, expected.byteOffset);
  const a = new DataView(actual.buffer, actual.byteOffset);
  sequences.forEach((seq, i) => {
    const base = i * RECORD_BYTES;
    const diffs: string[] = [];
    for (let r = 0; r < 12; r++) {
      const x = e.getUint32(base + r * 4, true);
      const y = a.getUint32(base + r * 4, true);
      if (x !== y) diffs.push(`r${r} ${hex(x)} != ${hex(y)}`);
    }
    const fx = e.getUint32(base + 48, true) & FLAGS_MASK;
    const fy = a.getUint32(base + 48, true) & FLAGS_MASK;
    if (fx !== fy) diffs.push(`flags ${hex(fx)} != ${hex(fy)}`);
    for (let k = 52; k < RECORD_BYTES; k++) {
      if (expected[base + k] !== actual[base + k]) {
        diffs.push(`buffer byte ${k - 52}`);
        break;
      }
    }
    if (diffs.length) problems.push(`sequence ${i} [${seq.instructions.map(hex).join(" ")}] init [${seq.init.map(hex).join(" ")}]: ${diffs.join(", ")} (qemu != vm)`);
  });
  return problems;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
