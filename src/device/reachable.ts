// The closure reachable from a system call: the functions and data objects of
// the firmware that a call can reach, found by following the relocations of
// the per-unit relocatable objects (the linked image keeps none). A function
// reaches what the relocations inside its bytes name; a data object reaches
// what its own relocations name, so calls through function-pointer tables
// (proto_ops) are reached through the table. Pointers stored at run time
// (sock->ops, netif->output) leave no relocation: the caller passes the tables
// such a call goes through as extra roots.
//
// Sizes: a symbol's st_size, or for symbols tcc leaves at 0 the distance to
// the next symbol of the section (tcc names string literals too, L.N).
// .text, .data and .rodata count; .bss does not.
import { type ElfFile, type ElfSymbol, SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS, SHT_REL, SHT_RELA, readElf, relocations, symbols } from "../compiler/elf.ts";
import { BespokeError } from "../errors.ts";
import { type ArmBoard, type ComponentName, armObjects } from "./firmware-build.ts";
import { loadFirmwareScenarios } from "./prepare.ts";

export interface ClosureObject {
  /** Names the object in results and errors (its source path). */
  name: string;
  bytes: Uint8Array;
  /** Whether bytes reached in this object count toward the closure's size (the others are still followed). */
  counted: boolean;
}

export interface ReachedPiece {
  object: string;
  section: string;
  /** The symbol at the piece's start, or `section+offset` for an unnamed piece. */
  name: string;
  size: number;
  counted: boolean;
}

export interface Closure {
  /** Bytes of the counted pieces reached: code + data. */
  bytes: number;
  text: number;
  data: number;
  pieces: ReachedPiece[];
}

const STT_SECTION = 3;
const STT_FILE = 4;

interface Piece {
  id: number;
  object: number;
  section: number;
  start: number;
  size: number;
  name: string;
  code: boolean;
}

interface ObjectView {
  index: number;
  elf: ElfFile;
  syms: ElfSymbol[];
  /** The pieces of each section, by start. */
  pieces: Map<number, Piece[]>;
}

function counted(elf: ElfFile, shndx: number): boolean {
  const s = elf.sections[shndx];
  return s !== undefined && (s.flags & SHF_ALLOC) !== 0 && s.type !== SHT_NOBITS;
}

function pieceAt(list: Piece[] | undefined, offset: number): Piece | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length - 1;
  let found: Piece | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.start <= offset) {
      found = list[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The closure of `roots` (global or local symbol names) over `objects`, linked as one program. */
export function reachableClosure(objects: ClosureObject[], roots: string[]): Closure {
  const views: ObjectView[] = [];
  const all: Piece[] = [];
  const globals = new Map<string, { object: number; sym: ElfSymbol }>();

  objects.forEach((o, oi) => {
    const elf = readElf(o.bytes);
    const syms = symbols(elf);
    // a piece per named symbol (tcc names string literals too: L.N)
    const starts = new Map<number, ElfSymbol[]>();
    for (const s of syms) {
      if (s.shndx === 0 || s.shndx >= 0xff00 || s.type === STT_SECTION || s.type === STT_FILE || s.name === "") continue;
      if (s.bind !== 0 && !globals.has(s.name)) globals.set(s.name, { object: oi, sym: s });
      if (!counted(elf, s.shndx)) continue;
      const list = starts.get(s.shndx) ?? [];
      list.push(s);
      starts.set(s.shndx, list);
    }
    const pieces = new Map<number, Piece[]>();
    for (const [shndx, list] of starts) {
      const section = elf.sections[shndx]!;
      const sorted = list.sort((x, y) => x.value - y.value);
      pieces.set(
        shndx,
        sorted.map((sym, i) => {
          const next = sorted[i + 1]?.value ?? section.size;
          const p: Piece = { id: all.length, object: oi, section: shndx, start: sym.value, size: sym.size > 0 ? sym.size : next - sym.value, name: sym.name, code: (section.flags & SHF_EXECINSTR) !== 0 };
          all.push(p);
          return p;
        }),
      );
    }
    views.push({ index: oi, elf, syms, pieces });
  });

  // edges: the piece holding each relocation site -> the piece its symbol names
  const edges: number[][] = all.map(() => []);
  for (const v of views) {
    for (const rs of v.elf.sections) {
      if (rs.type !== SHT_REL && rs.type !== SHT_RELA) continue;
      const from = v.pieces.get(rs.info);
      for (const r of relocations(v.elf, rs)) {
        const src = pieceAt(from, r.offset);
        const s = v.syms[r.symbol];
        if (!src || !s) continue;
        // tcc names every target; a section-relative reference would need the addend decoded per relocation type
        if (s.type === STT_SECTION) throw new BespokeError("UNSUPPORTED_RELOCATION", `reachable closure: ${objects[v.index]!.name} has a relocation against section ${v.elf.sections[s.shndx]?.name ?? s.shndx} (only symbol-relative relocations are followed)`);
        let target: Piece | undefined;
        if (s.shndx === 0) {
          const def = globals.get(s.name);
          if (def) target = pieceAt(views[def.object]!.pieces.get(def.sym.shndx), def.sym.value);
        } else target = pieceAt(v.pieces.get(s.shndx), s.value);
        if (target) edges[src.id]!.push(target.id);
      }
    }
  }

  const seen = new Set<number>();
  const stack: number[] = [];
  for (const root of roots) {
    const def = globals.get(root) ?? views.flatMap((v, object) => v.syms.filter((s) => s.name === root && s.shndx !== 0 && s.shndx < 0xff00).map((sym) => ({ object, sym })))[0];
    const piece = def && pieceAt(views[def.object]!.pieces.get(def.sym.shndx), def.sym.value);
    if (!piece) throw new BespokeError("NO_SYMBOL", `reachable closure: no object defines '${root}' in .text or .data (check the scenario's entry and the root tables)`);
    stack.push(piece.id);
  }
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const t of edges[id]!) if (!seen.has(t)) stack.push(t);
  }

  const pieces: ReachedPiece[] = [...seen]
    .sort((a, b) => a - b)
    .map((id) => {
      const p = all[id]!;
      return { object: objects[p.object]!.name, section: views[p.object]!.elf.sections[p.section]!.name, name: p.name, size: p.size, counted: objects[p.object]!.counted };
    });
  let text = 0;
  let data = 0;
  for (const id of seen) {
    const p = all[id]!;
    if (!objects[p.object]!.counted) continue;
    if (p.code) text += p.size;
    else data += p.size;
  }
  return { bytes: text + data, text, data, pieces };
}

/** The components `generic_bytes` measures (socket layer + lwIP core): only their bytes count. */
const GENERIC: ReadonlySet<ComponentName> = new Set(["kernel", "lwip"]);

/** The closure of `roots` over the arm firmware's units; kernel and lwIP bytes count, the rest (libc, board) is followed but not counted. */
export async function firmwareClosure(roots: string[], board: ArmBoard = "board"): Promise<Closure> {
  const objects = await armObjects(board);
  return reachableClosure(
    objects.map((o) => ({ name: o.source, bytes: o.bytes, counted: GENERIC.has(o.component) })),
    roots,
  );
}

/**
 * The proto_ops table each firmware scenario's socket sends through. sys_socket
 * stores it in the socket (sock->ops) at run time, so no relocation leads from
 * the system call to it: it is a root of the closure beside the entry.
 */
export const SCENARIO_OPS: Readonly<Record<string, string>> = { "udp-sendto": "inet_dgram_ops", "tcp-send": "inet_stream_ops" };

/** The closure reachable from a firmware scenario's entry (firmware/scenarios/NAME.json) for a socket of its kind. */
export async function scenarioClosure(name: string, board: ArmBoard = "board"): Promise<Closure> {
  const scenario = loadFirmwareScenarios()[name];
  const ops = SCENARIO_OPS[name];
  if (!scenario || !ops) throw new BespokeError("UNKNOWN_SCENARIO", `no firmware scenario '${name}' (known: ${Object.keys(SCENARIO_OPS).join(", ")})`);
  return firmwareClosure([scenario.scenario.entry, ops], board);
}
