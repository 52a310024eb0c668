// The C abstract syntax tree: one enum of node kinds, one interface per kind.
// Every node carries its ORIGINAL source position (file/line/column taken from
// the preprocessor's line markers), every expression its C type (types.ts).
//
// How to get one:
//   const cc = await createCompiler({ target });            // src/compiler/node.ts
//   const pp = await cc.preprocess({ files, entry, includeDirs, defines });
//   const { program, diagnostics } = parseProgram(pp.text, { target });   // parser.ts
//   // program.decls: the external declarations in source order;
//   // program.records: every struct/union (RecordDef.layout = target layout);
//   // printProgram(program, { lineMarkers }) (printer.ts) gives compilable C back;
//   // serializeProgram/deserializeProgram (serialize.ts) a compact binary form
//   //   (build.mjs generates its codec from these declarations: codecgen.mjs);
//   // new Abi(program.target) (abi.ts): sizeOf/alignOf/conversions of the target.
// Node-side corpora (corpus.ts): preprocessLwipCore, SystemPreprocessor (C over
// the Debian C library headers of a target), preprocessWithHeaders.
// Parse errors are diagnostics with positions (`program` is null then); the
// parser never throws on bad C.
//
// Conventions the specializer relies on:
// - Ident.sym is the declaration the name resolves to (Symbol objects are
//   shared: compare by identity). Enum constants are Symbols with `value`.
// - No implicit conversion nodes: Binary/Assign carry `opType`, the type the
//   operation is computed in (after the usual arithmetic conversions, or the
//   pointer type for pointer arithmetic); `type` is the result type.
// - Member.path lists the fields walked (more than one through anonymous members).
// - Bit-fields type as tcc types them: a Member naming a PCC-layout 64-bit
//   bit-field of at most 32 bits is int/unsigned int; as an operand a bit-field
//   promotes to int (signed 64-bit for a 64-bit one) whatever its signedness,
//   which opType and type show; a postfix ++/-- on one has the type of the
//   loaded value (int or 64-bit, the bit-field's signedness).
// - Type objects are shared and immutable (see types.ts); records and enums
//   are one RecordDef/EnumDef each, referenced by identity.
//
// Stability: the specializer builds on these declarations. Change them only
// additively (new kinds, new optional fields).
import type { SourcePosition } from "../errors.ts";
import type { Target } from "../compiler/targets.ts";
import type { CType, EnumDef, Field, FunctionType, RecordDef } from "./types.ts";

export type { SourcePosition };

export enum NodeKind {
  // expressions
  IntLit,
  FloatLit,
  StringLit,
  Ident,
  Unary,
  Postfix,
  Binary,
  Assign,
  Conditional,
  Comma,
  Call,
  Index,
  Member,
  Cast,
  SizeofExpr,
  SizeofType,
  AlignofExpr,
  AlignofType,
  CompoundLiteral,
  StmtExpr,
  Generic,
  LabelAddr,
  Builtin,
  InitList,
  // statements
  Compound,
  ExprStmt,
  Empty,
  If,
  While,
  DoWhile,
  For,
  Switch,
  Case,
  Default,
  Label,
  Goto,
  ComputedGoto,
  Break,
  Continue,
  Return,
  Asm,
  // declarations
  Declaration,
  FunctionDef,
  StaticAssert,
  TopAsm,
}

interface NodeBase {
  pos: SourcePosition;
}

interface ExprBase extends NodeBase {
  type: CType;
}

export interface IntLit extends ExprBase {
  kind: NodeKind.IntLit;
  value: bigint;
  /** How it was written (`0x10u`, `'a'`), for printing; absent for synthesized literals. */
  text?: string;
}

export interface FloatLit extends ExprBase {
  kind: NodeKind.FloatLit;
  value: number;
  text?: string;
}

export type StringPrefix = "" | "L" | "u" | "U" | "u8";

export interface StringLit extends ExprBase {
  kind: NodeKind.StringLit;
  /** Code units (bytes for "" and u8, else wide units), without the terminating NUL. */
  units: number[];
  prefix: StringPrefix;
}

export interface Ident extends ExprBase {
  kind: NodeKind.Ident;
  name: string;
  sym: Symbol;
}

export type UnaryOp = "-" | "+" | "!" | "~" | "*" | "&" | "++" | "--" | "__real__" | "__imag__";

export interface Unary extends ExprBase {
  kind: NodeKind.Unary;
  op: UnaryOp;
  operand: Expr;
}

export interface Postfix extends ExprBase {
  kind: NodeKind.Postfix;
  op: "++" | "--";
  operand: Expr;
}

export type BinaryOp = "*" | "/" | "%" | "+" | "-" | "<<" | ">>" | "<" | ">" | "<=" | ">=" | "==" | "!=" | "&" | "^" | "|" | "&&" | "||";

export interface Binary extends ExprBase {
  kind: NodeKind.Binary;
  op: BinaryOp;
  left: Expr;
  right: Expr;
  /** Type the operation is computed in (see header). */
  opType: CType;
}

export type AssignOp = "=" | "*=" | "/=" | "%=" | "+=" | "-=" | "<<=" | ">>=" | "&=" | "^=" | "|=";

export interface Assign extends ExprBase {
  kind: NodeKind.Assign;
  op: AssignOp;
  target: Expr;
  value: Expr;
  opType: CType;
}

export interface Conditional extends ExprBase {
  kind: NodeKind.Conditional;
  cond: Expr;
  /** null for GNU `a ?: b`. */
  then: Expr | null;
  else: Expr;
}

export interface Comma extends ExprBase {
  kind: NodeKind.Comma;
  left: Expr;
  right: Expr;
}

export interface Call extends ExprBase {
  kind: NodeKind.Call;
  callee: Expr;
  args: Expr[];
  /** The function type called through (after pointer deref). */
  fnType: FunctionType;
}

export interface Index extends ExprBase {
  kind: NodeKind.Index;
  base: Expr;
  index: Expr;
}

export interface Member extends ExprBase {
  kind: NodeKind.Member;
  base: Expr;
  name: string;
  arrow: boolean;
  /** Fields walked, outermost first (several through anonymous members). */
  path: Field[];
}

export interface Cast extends ExprBase {
  kind: NodeKind.Cast;
  operand: Expr;
}

export interface SizeofExpr extends ExprBase {
  kind: NodeKind.SizeofExpr;
  operand: Expr;
}

export interface SizeofType extends ExprBase {
  kind: NodeKind.SizeofType;
  of: CType;
}

export interface AlignofExpr extends ExprBase {
  kind: NodeKind.AlignofExpr;
  operand: Expr;
}

export interface AlignofType extends ExprBase {
  kind: NodeKind.AlignofType;
  of: CType;
  /** Spelling: `_Alignof`, `__alignof__`... */
  keyword: string;
}

export interface CompoundLiteral extends ExprBase {
  kind: NodeKind.CompoundLiteral;
  init: InitList;
}

export interface StmtExpr extends ExprBase {
  kind: NodeKind.StmtExpr;
  body: Compound;
}

export interface GenericAssoc {
  /** null for `default`. */
  type: CType | null;
  expr: Expr;
}

export interface Generic extends ExprBase {
  kind: NodeKind.Generic;
  control: Expr;
  assocs: GenericAssoc[];
  /** Index into assocs of the association chosen. */
  selected: number;
}

export interface LabelAddr extends ExprBase {
  kind: NodeKind.LabelAddr;
  label: string;
}

/** Compiler builtins that take types or need special typing. */
export type BuiltinName =
  | "__builtin_expect"
  | "__builtin_constant_p"
  | "__builtin_types_compatible_p"
  | "__builtin_choose_expr"
  | "__builtin_frame_address"
  | "__builtin_return_address"
  | "__builtin_va_arg_types"
  | "__builtin_va_start"
  | "__builtin_va_arg"
  | "__builtin_va_end"
  | "__builtin_va_copy"
  | "__builtin_offsetof";

export interface Builtin extends ExprBase {
  kind: NodeKind.Builtin;
  name: BuiltinName;
  args: Expr[];
  typeArgs: CType[];
  /** `__builtin_offsetof` member designator, as written (`a.b[2]`). */
  designator?: string;
}

export type Designator = { kind: "field"; name: string; path: Field[] } | { kind: "index"; index: Expr; end: Expr | null };

export interface InitItem {
  designators: Designator[];
  value: Initializer;
}

export interface InitList extends ExprBase {
  kind: NodeKind.InitList;
  items: InitItem[];
}

export type Initializer = Expr;

export type Expr =
  | IntLit
  | FloatLit
  | StringLit
  | Ident
  | Unary
  | Postfix
  | Binary
  | Assign
  | Conditional
  | Comma
  | Call
  | Index
  | Member
  | Cast
  | SizeofExpr
  | SizeofType
  | AlignofExpr
  | AlignofType
  | CompoundLiteral
  | StmtExpr
  | Generic
  | LabelAddr
  | Builtin
  | InitList;

export interface Compound extends NodeBase {
  kind: NodeKind.Compound;
  items: BlockItem[];
}

export interface ExprStmt extends NodeBase {
  kind: NodeKind.ExprStmt;
  expr: Expr;
}

export interface Empty extends NodeBase {
  kind: NodeKind.Empty;
}

export interface If extends NodeBase {
  kind: NodeKind.If;
  cond: Expr;
  then: Stmt;
  else: Stmt | null;
}

export interface While extends NodeBase {
  kind: NodeKind.While;
  cond: Expr;
  body: Stmt;
}

export interface DoWhile extends NodeBase {
  kind: NodeKind.DoWhile;
  body: Stmt;
  cond: Expr;
}

export interface For extends NodeBase {
  kind: NodeKind.For;
  init: Declaration | Expr | null;
  cond: Expr | null;
  step: Expr | null;
  body: Stmt;
}

export interface Switch extends NodeBase {
  kind: NodeKind.Switch;
  expr: Expr;
  body: Stmt;
}

export interface Case extends NodeBase {
  kind: NodeKind.Case;
  value: Expr;
  /** Upper bound of a GNU case range `case 1 ... 5:`. */
  high: Expr | null;
  /** Constant values (evaluated at parse time). */
  low: bigint;
  highValue: bigint;
  body: Stmt;
}

export interface Default extends NodeBase {
  kind: NodeKind.Default;
  body: Stmt;
}

export interface Label extends NodeBase {
  kind: NodeKind.Label;
  name: string;
  attrs: Attribute[];
  body: Stmt;
}

export interface Goto extends NodeBase {
  kind: NodeKind.Goto;
  label: string;
}

export interface ComputedGoto extends NodeBase {
  kind: NodeKind.ComputedGoto;
  target: Expr;
}

export interface Break extends NodeBase {
  kind: NodeKind.Break;
}

export interface Continue extends NodeBase {
  kind: NodeKind.Continue;
}

export interface Return extends NodeBase {
  kind: NodeKind.Return;
  value: Expr | null;
}

export interface AsmOperand {
  /** `[name]` symbolic operand name, or null. */
  name: string | null;
  constraint: string;
  expr: Expr;
}

export interface Asm extends NodeBase {
  kind: NodeKind.Asm;
  /** Qualifiers as written: volatile, inline, goto. */
  qualifiers: string[];
  template: string;
  outputs: AsmOperand[];
  inputs: AsmOperand[];
  clobbers: string[];
  labels: string[];
}

export type Stmt =
  | Compound
  | ExprStmt
  | Empty
  | If
  | While
  | DoWhile
  | For
  | Switch
  | Case
  | Default
  | Label
  | Goto
  | ComputedGoto
  | Break
  | Continue
  | Return
  | Asm;

export type BlockItem = Stmt | Declaration | StaticAssert;

export type StorageClass = "typedef" | "extern" | "static" | "auto" | "register" | null;

/** `__attribute__((name(args)))`, kept as written so the printer can re-emit it. */
export interface Attribute {
  name: string;
  /** Arguments: expressions, or identifiers/keywords as bare strings. */
  args: (Expr | string)[];
}

export enum SymbolKind {
  Object,
  Function,
  Typedef,
  EnumConst,
}

/** A declared name. One object per entity, shared by every reference. */
export interface Symbol {
  id: number;
  kind: SymbolKind;
  name: string;
  type: CType;
  storage: StorageClass;
  /** File scope (external or internal linkage, or a static local with `global` true). */
  global: boolean;
  /** A definition has been seen (function body, initialized or tentative object). */
  defined: boolean;
  /** Value of an enum constant. */
  value?: bigint;
  attrs: Attribute[];
  /** `asm("name")` label. */
  asmLabel?: string;
  inline: boolean;
  threadLocal: boolean;
  /** Declared by the compiler's predefined environment (tcc builtins), not by the program. */
  builtin: boolean;
  pos: SourcePosition;
}

export interface Declarator {
  pos: SourcePosition;
  sym: Symbol;
  /** The declared type of this declarator. */
  type: CType;
  init: Initializer | null;
  attrs: Attribute[];
}

export interface Declaration extends NodeBase {
  kind: NodeKind.Declaration;
  storage: StorageClass;
  inline: boolean;
  threadLocal: boolean;
  /** The type named by the declaration specifiers (shared base of all declarators). */
  baseType: CType;
  /** Tagged types whose body `{...}` is written in these specifiers. */
  defines: (RecordDef | EnumDef)[];
  /** Attributes of the specifiers. */
  attrs: Attribute[];
  declarators: Declarator[];
  /** `__extension__` was written before the declaration. */
  extension: boolean;
}

export interface FunctionDef extends NodeBase {
  kind: NodeKind.FunctionDef;
  sym: Symbol;
  type: FunctionType;
  storage: StorageClass;
  inline: boolean;
  baseType: CType;
  defines: (RecordDef | EnumDef)[];
  attrs: Attribute[];
  /** Parameter objects, in order (unnamed parameters get a symbol with name ""). */
  params: Symbol[];
  body: Compound;
}

export interface StaticAssert extends NodeBase {
  kind: NodeKind.StaticAssert;
  cond: Expr;
  message: string | null;
}

/** Top-level `asm("...");`. */
export interface TopAsm extends NodeBase {
  kind: NodeKind.TopAsm;
  template: string;
}

export type ExternalDecl = Declaration | FunctionDef | StaticAssert | TopAsm;

export interface Program {
  target: Target;
  decls: ExternalDecl[];
  /** Every struct/union of the program (incl. headers), in order of first appearance. */
  records: RecordDef[];
  enums: EnumDef[];
}

export type Node = Expr | Stmt | ExternalDecl;

export type Severity = "error" | "warning";

export interface CDiagnostic {
  severity: Severity;
  message: string;
  pos: SourcePosition;
}
