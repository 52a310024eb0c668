// Probes that make a C compiler check our layouts: `_Static_assert`s on
// sizeof/_Alignof/offsetof per struct and member, and, for bit-fields (which
// offsetof cannot name), initialized objects whose bytes show where each
// bit-field lands, read back from the compiled ELF object.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { type Declaration, type ExternalDecl, NodeKind, type Program } from "../../src/c/ast.ts";
import { Abi } from "../../src/c/abi.ts";
import { printProgram } from "../../src/c/printer.ts";
import { type Field, type RecordDef, TypeKind } from "../../src/c/types.ts";
import { readElf, sectionData, symbols } from "../../src/compiler/elf.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import { TARGET_INFO, type Target } from "../../src/compiler/targets.ts";

const run = promisify(execFile);

export interface Probe {
  /** C text to append to the translation unit. */
  text: string;
  /** What assertion `L<n>` checks, by n. */
  checks: { what: string; def: RecordDef }[];
  /** Bit-field probes: symbol -> expected bytes. */
  bitProbes: { symbol: string; what: string; def: RecordDef; expected: Uint8Array }[];
}

/** Records defined at file scope (so a probe appended to the unit can name them). */
function fileScopeRecords(program: Program): RecordDef[] {
  const out: RecordDef[] = [];
  for (const d of program.decls) {
    if (d.kind !== NodeKind.Declaration) continue;
    for (const def of d.defines) if ("union" in def && def.fields !== null) out.push(def);
  }
  return out;
}

function typeExpr(def: RecordDef): string | null {
  if (def.tag !== null) return `${def.union ? "union" : "struct"} ${def.tag}`;
  return def.typedefName;
}

/** Named members with their offsets, through anonymous members. */
function flatFields(fields: Field[], base: number): { f: Field; offset: number }[] {
  const out: { f: Field; offset: number }[] = [];
  for (const f of fields) {
    if (f.anonymous && f.type.kind === TypeKind.Record) out.push(...flatFields(f.type.def.fields ?? [], base + f.offset));
    else if (f.name !== null) out.push({ f, offset: base + f.offset });
  }
  return out;
}

export function layoutProbe(program: Program): Probe {
  const abi = new Abi(program.target);
  const lines: string[] = [];
  const checks: Probe["checks"] = [];
  const bitProbes: Probe["bitProbes"] = [];
  const check = (def: RecordDef, cond: string, what: string): void => {
    lines.push(`_Static_assert(${cond}, "L${checks.length}");`);
    checks.push({ what, def });
  };
  for (const def of fileScopeRecords(program)) {
    const t = typeExpr(def);
    if (t === null || def.layout === null) continue;
    check(def, `sizeof(${t}) == ${def.layout.size}`, `sizeof(${t}) == ${def.layout.size}`);
    check(def, `_Alignof(${t}) == ${def.layout.align}`, `_Alignof(${t}) == ${def.layout.align}`);
    for (const { f, offset } of flatFields(def.fields ?? [], 0)) {
      if (f.bitWidth === null) {
        check(def, `__builtin_offsetof(${t}, ${f.name}) == ${offset}`, `offsetof(${t}, ${f.name}) == ${offset}`);
        continue;
      }
      const size = def.layout.size;
      const expected = new Uint8Array(size);
      const bits = f.type.kind === TypeKind.Bool ? 1 : f.bitWidth;
      for (let b = 0; b < bits; b++) {
        const at = offset * 8 + f.bitOffset + b;
        expected[at >> 3]! |= 1 << (at & 7);
      }
      const symbol = `__probe_bits_${bitProbes.length}`;
      const value = f.type.kind === TypeKind.Bool ? "1" : "-1";
      lines.push(`union ${symbol}_u { ${t} s; unsigned char b[${size}]; } ${symbol} = { .s = { .${f.name} = ${value} } };`);
      bitProbes.push({ symbol, def, what: `${t}.${f.name}: ${f.bitWidth} bits at byte ${offset} bit ${f.bitOffset} (size ${abi.sizeOf(f.type)})`, expected });
    }
  }
  return { text: "\n" + lines.join("\n") + "\n", checks, bitProbes };
}

/** Records whose layout differs between tcc and a gcc by design (we follow tcc, which builds the device code). */
export type KnownDifference = (def: RecordDef) => boolean;

/** Problems a compiled probe shows: failed assertions and misplaced bit-fields. */
export function probeFailures(probe: Probe, diagnostics: string, object: Uint8Array | null, known: KnownDifference = () => false): string[] {
  const failures = new Set<string>();
  for (const m of diagnostics.matchAll(/L(\d+)/g)) {
    const c = probe.checks[Number(m[1])]!;
    if (!known(c.def)) failures.add(`compiler disagrees: ${c.what}`);
  }
  if (object && probe.bitProbes.length) {
    const elf = readElf(object);
    const syms = new Map(symbols(elf).map((s) => [s.name, s]));
    for (const p of probe.bitProbes) {
      const s = syms.get(p.symbol);
      const sec = s ? elf.sections[s.shndx] : undefined;
      if (known(p.def)) continue;
      if (!s || !sec) {
        failures.add(`bit-field probe ${p.symbol} missing from the object (${p.what})`);
        continue;
      }
      const bytes = sectionData(elf, sec).subarray(s.value, s.value + p.expected.length);
      if (Buffer.compare(Buffer.from(bytes), Buffer.from(p.expected)) !== 0) {
        failures.add(`bit-field ${p.what}: compiler sets bytes ${Buffer.from(bytes).toString("hex")}, we expect ${Buffer.from(p.expected).toString("hex")}`);
      }
    }
  }
  return [...failures];
}

/**
 * Check a probe with tcc-wasm, compiling `unitText + probe`; a unit tcc cannot
 * compile for this target (e.g. x86 inline assembly on arm) is checked
 * through its printed declarations instead.
 */
export async function checkWithTcc(cc: Compiler, unitText: string, program: Program, probe: Probe): Promise<string[]> {
  let r = await cc.compile({ files: { "probe.c": unitText + probe.text }, entry: "probe.c", options: ["-w"] });
  if (!r.ok && r.diagnostics.some((d) => d.severity === "error" && !/L\d+/.test(d.message))) {
    r = await cc.compile({ files: { "probe.c": printProgram(declarationsOnly(program)) + probe.text }, entry: "probe.c", options: ["-w"] });
  }
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (!r.ok && !errors.some((d) => /L\d+/.test(d.message))) return [`tcc cannot compile the probe: ${errors.map((d) => `${d.line}: ${d.message}`).join("; ")}`];
  return probeFailures(probe, errors.map((d) => d.message).join("\n"), r.ok ? r.object : null);
}

/** The program's declarations only (function bodies dropped), for compilers that do not share tcc's builtins. */
export function declarationsOnly(program: Program): Program {
  const decls: ExternalDecl[] = program.decls.filter((d) => d.kind !== NodeKind.TopAsm).map((d) => {
    // initializers do not change layouts, and some (long double on i386) tcc-wasm cannot evaluate
    if (d.kind === NodeKind.Declaration) return { ...d, declarators: d.declarators.map((x) => ({ ...x, init: null })) };
    if (d.kind !== NodeKind.FunctionDef) return d;
    const decl: Declaration = {
      kind: NodeKind.Declaration,
      pos: d.pos,
      storage: d.storage,
      inline: false,
      threadLocal: false,
      baseType: d.baseType,
      defines: d.defines,
      attrs: d.attrs,
      declarators: [{ pos: d.pos, sym: d.sym, type: d.type, init: null, attrs: [] }],
      extension: false,
    };
    return decl;
  });
  return { ...program, decls };
}

const GCC: Partial<Record<Target, string>> = { x86_64: "gcc" };

/**
 * Where gcc lays out differently from tcc by design: gcc for ARM (EABI and
 * AArch64) lets a zero-width bit-field raise the alignment of a packed struct,
 * tcc (and so our layout) does not; and tcc's MS bit-field mode.
 */
export function gccKnownDifference(target: Target): KnownDifference {
  // tcc's `#pragma comment(option, "-mms-bitfields")` has no gcc equivalent in printed C
  const ms: KnownDifference = (def) => def.msBitfields === true;
  if (target !== "arm" && target !== "arm64") return ms;
  return (def) => ms(def) || ((def.packed || def.pragmaPack !== 0) && (def.fields ?? []).some((f) => f.bitWidth === 0));
}

/** Check a probe with Debian's gcc for the target (the printed declarations + probe); null if there is no such gcc. */
export async function checkWithGcc(program: Program, probe: Probe, known: KnownDifference = () => false): Promise<string[] | null> {
  const triplet = TARGET_INFO[program.target].gccTriplet;
  const gcc = GCC[program.target] ?? (triplet ? `${triplet}-gcc` : null);
  if (!gcc) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-probe-"));
  try {
    const src = path.join(dir, "probe.c");
    const obj = path.join(dir, "probe.o");
    fs.writeFileSync(src, printProgram(declarationsOnly(program)) + probe.text);
    try {
      // glibc headers preprocessed for tcc typedef _FloatN, which gcc has as keywords
      const floatN = ["_Float32", "_Float32x", "_Float64", "_Float64x", "_Float128"].map((n) => `-D${n}=__bespoke${n}`);
      // only bit-field probes need an object file to read back
      const mode = probe.bitProbes.length ? ["-c", "-o", obj] : ["-fsyntax-only"];
      await run(gcc, ["-std=gnu11", "-w", ...floatN, ...mode, src]);
    } catch (e) {
      const stderr = String((e as { stderr?: string }).stderr ?? e);
      if (!/L\d+/.test(stderr)) return [`${gcc} cannot compile the probe: ${stderr.split("\n").slice(0, 4).join(" | ")}`];
      return probeFailures(probe, stderr.split("\n").filter((l) => /static assertion failed/.test(l)).join("\n"), null, known);
    }
    return probeFailures(probe, "", probe.bitProbes.length ? new Uint8Array(fs.readFileSync(obj)) : null, known);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
