// Layout report: every struct/union of a parsed program with its target size,
// alignment and member offsets (what `bespoke layout` prints, like pahole).
import type { Program } from "./ast.ts";
import { Abi } from "./abi.ts";
import type { Field, RecordDef } from "./types.ts";

export interface FieldLayout {
  name: string;
  offset: number;
  size: number;
  bitOffset?: number;
  bitWidth?: number;
}

export interface StructLayout {
  name: string;
  kind: "struct" | "union";
  size: number;
  align: number;
  fields: FieldLayout[];
}

export interface LayoutReport {
  structs: StructLayout[];
}

/** Name of a record in reports: its tag, else its typedef name, else its position. */
export function recordDisplayName(def: RecordDef): string {
  return def.tag ?? def.typedefName ?? `<anonymous at ${def.pos.file}:${def.pos.line}:${def.pos.column}>`;
}

/** Name of a member in reports; anonymous struct/union members are "<anonymous>". */
export function fieldDisplayName(f: Field): string {
  return f.name ?? "<anonymous>";
}

/** Layouts of the complete structs/unions of `program`, in order of definition. */
export function programLayouts(program: Program): StructLayout[] {
  const abi = new Abi(program.target);
  const out: StructLayout[] = [];
  for (const def of program.records) {
    if (def.fields === null || def.layout === null) continue;
    out.push({
      name: recordDisplayName(def),
      kind: def.union ? "union" : "struct",
      size: def.layout.size,
      align: def.layout.align,
      fields: def.fields.map((f) => {
        const fl: FieldLayout = { name: fieldDisplayName(f), offset: f.offset, size: Math.max(0, abi.sizeOf(f.type)) };
        if (f.bitWidth !== null) {
          fl.bitOffset = f.bitOffset;
          fl.bitWidth = f.bitWidth;
        }
        return fl;
      }),
    });
  }
  return out;
}

/**
 * Merge the layouts of several translation units: a struct seen in many units
 * (from a shared header) is reported once; same-named structs with different
 * layouts are all kept.
 */
export function mergeLayouts(lists: StructLayout[][]): LayoutReport {
  const seen = new Set<string>();
  const structs: StructLayout[] = [];
  for (const list of lists) {
    for (const s of list) {
      const key = JSON.stringify(s);
      if (seen.has(key)) continue;
      seen.add(key);
      structs.push(s);
    }
  }
  return { structs };
}

/** Human-readable report, pahole style. */
export function formatLayouts(report: LayoutReport): string {
  const lines: string[] = [];
  for (const s of report.structs) {
    lines.push(`${s.kind} ${s.name} {`);
    for (const f of s.fields) {
      const bits = f.bitWidth !== undefined ? `:${f.bitWidth}` : "";
      const where = f.bitWidth !== undefined ? `${f.offset}:${f.bitOffset}` : `${f.offset}`;
      lines.push(`    ${(f.name + bits).padEnd(32)} /* ${where.padStart(6)} ${String(f.size).padStart(5)} */`);
    }
    lines.push(`    /* size: ${s.size}, align: ${s.align} */`);
    lines.push("};", "");
  }
  return lines.join("\n");
}
