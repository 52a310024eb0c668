// Parser: tokens -> typed AST (ast.ts). Recursive descent over C11 plus the
// GNU extensions embedded code uses; types are computed while parsing (as in
// chibicc), because C needs them to parse (typedef names, sizeof in array
// bounds). Typedef names are resolved by scope. Errors stop the parse with one
// diagnostic carrying the original position; this module never throws on bad C.
import type { Target } from "../compiler/targets.ts";
import { Abi, enumConstantType, enumUnderlying } from "./abi.ts";
import {
  type Asm,
  type AsmOperand,
  type Attribute,
  type BlockItem,
  type Builtin,
  type BuiltinName,
  type CDiagnostic,
  type Compound,
  type Declaration,
  type Declarator,
  type Designator,
  type Expr,
  type ExternalDecl,
  type FunctionDef,
  type InitItem,
  type InitList,
  NodeKind,
  type Program,
  type SourcePosition,
  type StaticAssert,
  type Stmt,
  type StorageClass,
  type StringPrefix,
  type Symbol,
  SymbolKind,
  type AssignOp,
  type BinaryOp,
} from "./ast.ts";
import { evalConst } from "./consteval.ts";
import { TokKind, type Token, tokenize } from "./lexer.ts";
import {
  type ArrayType,
  type CallingConvention,
  type CType,
  type EnumDef,
  type Field,
  type FunctionType,
  type IntType,
  type ParamType,
  Q_ATOMIC,
  Q_CONST,
  Q_RESTRICT,
  Q_VOLATILE,
  type RecordDef,
  TypeKind,
  arrayOf,
  boolType,
  charType,
  compatible,
  conventionAttribute,
  decay,
  doubleType,
  findField,
  floatType,
  int128Type,
  intType,
  isArithmetic,
  isComplete,
  isInteger,
  isScalar,
  ldoubleType,
  llongType,
  longType,
  pointerTo,
  qualify,
  scharType,
  shortType,
  ucharType,
  uint128Type,
  uintType,
  ullongType,
  ulongType,
  unqualified,
  ushortType,
  voidType,
  withQuals,
} from "./types.ts";

export interface ParseOptions {
  target: Target;
  /** File name for positions before the first line marker. */
  file?: string;
}

export interface ParseResult {
  /** null when there were errors. */
  program: Program | null;
  diagnostics: CDiagnostic[];
}

/** Parse preprocessed C (tcc-wasm `preprocess` output for `target`) into a typed program. */
export function parseProgram(text: string, options: ParseOptions): ParseResult {
  const lex = tokenize(text, options.file ?? "<input>");
  if (lex.diagnostics.some((d) => d.severity === "error")) return { program: null, diagnostics: lex.diagnostics };
  const parser = new Parser(lex.tokens, options.target);
  try {
    parser.parsePrelude();
    const program = parser.parseTranslationUnit();
    return { program, diagnostics: [...lex.diagnostics, ...parser.warnings] };
  } catch (e) {
    if (e instanceof ParseError) return { program: null, diagnostics: [...lex.diagnostics, ...parser.warnings, { severity: "error", message: e.message, pos: e.pos }] };
    if (e instanceof RangeError) {
      return { program: null, diagnostics: [{ severity: "error", message: "input nested too deeply to parse", pos: parser.currentPos() }] };
    }
    throw e;
  }
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly pos: SourcePosition,
  ) {
    super(message);
  }
}

/** The declarations tcc predefines for each target (tccpp.c tcc_predefs), parsed before the program. */
function prelude(target: Target, abi: Abi): string {
  const size = abi.info.pointerSize === 8 ? "unsigned long" : "unsigned int";
  const vaList: Record<Target, string> = {
    x86_64:
      "typedef struct{unsigned gp_offset,fp_offset;union{unsigned overflow_offset;char*overflow_arg_area;};char*reg_save_area;}__builtin_va_list[1];" +
      "void*__va_arg(__builtin_va_list ap,int arg_type,int size,int align);",
    arm: "typedef char*__builtin_va_list;",
    i386: "typedef char*__builtin_va_list;",
    riscv64: "typedef char*__builtin_va_list;",
    arm64: "typedef struct{void*__stack,*__gr_top,*__vr_top;int __gr_offs,__vr_offs;}__builtin_va_list;",
  };
  const fns = [
    `void*__builtin_memcpy(void*,const void*,${size});`,
    `void*__builtin_memmove(void*,const void*,${size});`,
    `void*__builtin_memset(void*,int,${size});`,
    `int __builtin_memcmp(const void*,const void*,${size});`,
    `${size} __builtin_strlen(const char*);`,
    "char*__builtin_strcpy(char*,const char*);",
    `char*__builtin_strncpy(char*,const char*,${size});`,
    "int __builtin_strcmp(const char*,const char*);",
    `int __builtin_strncmp(const char*,const char*,${size});`,
    "char*__builtin_strcat(char*,const char*);",
    "char*__builtin_strchr(const char*,int);",
    "char*__builtin_strdup(const char*);",
    `void*__builtin_malloc(${size});`,
    `void*__builtin_realloc(void*,${size});`,
    `void*__builtin_calloc(${size},${size});`,
    `void*__builtin_memalign(${size},${size});`,
    "void __builtin_free(void*);",
    "void __builtin_abort(void);",
    target === "i386" || target === "x86_64" ? `void*__builtin_alloca(${size});` : "",
  ];
  return vaList[target] + fns.join("");
}

const TYPE_KEYWORDS = new Set([
  "void", "char", "short", "int", "long", "float", "double", "signed", "__signed", "__signed__", "unsigned", "_Bool", "_Complex", "__complex__",
  "struct", "union", "enum", "typeof", "__typeof", "__typeof__", "__int128", "__int128_t", "__uint128_t", "_Atomic",
]);
const QUALIFIERS = new Map<string, number>([
  ["const", Q_CONST], ["__const", Q_CONST], ["__const__", Q_CONST],
  ["volatile", Q_VOLATILE], ["__volatile", Q_VOLATILE], ["__volatile__", Q_VOLATILE],
  ["restrict", Q_RESTRICT], ["__restrict", Q_RESTRICT], ["__restrict__", Q_RESTRICT],
]);
const STORAGE = new Set(["typedef", "extern", "static", "auto", "register"]);
const SPEC_KEYWORDS = new Set([
  ...TYPE_KEYWORDS, ...QUALIFIERS.keys(), ...STORAGE,
  "inline", "__inline", "__inline__", "_Noreturn", "_Alignas", "_Thread_local", "__thread", "__attribute__", "__attribute", "__extension__",
]);
const KEYWORDS = new Set([
  ...SPEC_KEYWORDS, "if", "else", "while", "do", "for", "switch", "case", "default", "break", "continue", "return", "goto", "sizeof",
  "_Alignof", "__alignof__", "__alignof", "_Static_assert", "_Generic", "asm", "__asm", "__asm__",
]);
const ASSIGN_OPS = new Set(["=", "*=", "/=", "%=", "+=", "-=", "<<=", ">>=", "&=", "^=", "|="]);
const BINARY_PREC: Record<string, number> = {
  "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
};
const BUILTINS = new Set<BuiltinName>([
  "__builtin_expect", "__builtin_constant_p", "__builtin_types_compatible_p", "__builtin_choose_expr", "__builtin_frame_address",
  "__builtin_return_address", "__builtin_va_arg_types", "__builtin_va_start", "__builtin_va_arg", "__builtin_va_end", "__builtin_va_copy", "__builtin_offsetof",
]);
const MAX_DEPTH = 400;
/** Flag bit beside the pack value in Parser.packAt. */
const MS_BITFIELDS = 0x100;

interface Scope {
  names: Map<string, Symbol>;
  tags: Map<string, RecordDef | EnumDef>;
}

interface Specs {
  type: CType;
  storage: StorageClass;
  inline: boolean;
  threadLocal: boolean;
  attrs: Attribute[];
  /** The calling convention the specifiers' attributes name (i386; null: `cdecl`). */
  convention: CallingConvention | null | undefined;
  alignAs: number;
  extension: boolean;
}

interface DeclaratorResult {
  name: string | null;
  pos: SourcePosition;
  type: CType;
  attrs: Attribute[];
  asmLabel?: string;
}

const isTagDef = (d: RecordDef | EnumDef): d is RecordDef => "union" in d;

/**
 * `type` with `convention` (undefined: unchanged) on its outermost function
 * type, reached through pointers and arrays, as GCC applies a calling
 * convention written anywhere in a declaration; unchanged when there is no
 * function type (GCC ignores the attribute then). Derived types rebuilt lose
 * their typedef spelling: the typedef names the type without the convention.
 */
function withConvention(type: CType, convention: CallingConvention | null | undefined): CType {
  if (convention === undefined) return type;
  const strip = <T extends CType>(t: T): T => {
    const u = { ...t };
    delete u.typedefName;
    return u;
  };
  switch (type.kind) {
    case TypeKind.Function: {
      if ((type.convention ?? null) === convention) return type;
      const f = strip(type);
      if (convention === null) delete f.convention;
      else f.convention = convention;
      return f;
    }
    case TypeKind.Pointer: {
      const to = withConvention(type.to, convention);
      return to === type.to ? type : { ...strip(type), to };
    }
    case TypeKind.Array: {
      const of = withConvention(type.of, convention);
      return of === type.of ? type : { ...strip(type), of };
    }
    default:
      return type;
  }
}

class Parser {
  readonly abi: Abi;
  readonly warnings: CDiagnostic[] = [];
  private tokens: Token[];
  /** #pragma pack value in force at each token index, plus MS_BITFIELDS when tcc's MS bit-field mode is on. */
  private packAt: Int32Array;
  private i = 0;
  private scopes: Scope[] = [{ names: new Map(), tags: new Map() }];
  /** Objects and functions first declared `extern` in a block (no file-scope declaration yet), by name: later declarations with linkage name the same entity. */
  private blockExterns = new Map<string, Symbol>();
  private records: RecordDef[] = [];
  private enums: EnumDef[] = [];
  private nextId = 1;
  private inPrelude = false;
  private depth = 0;
  /** Tag definitions completed since the current external declaration began. */
  private defined: (RecordDef | EnumDef)[] = [];
  private currentFunction: Symbol | null = null;
  private funcNameSym: Symbol | null = null;
  private typedefTypes = new Map<Symbol, { of: CType; spelled: CType }>();

  constructor(
    tokens: Token[],
    readonly target: Target,
  ) {
    this.abi = new Abi(target);
    const kept: Token[] = [];
    const packs = new Int32Array(tokens.length);
    const stack: number[] = [];
    let pack = 0;
    let ms = 0;
    for (const t of tokens) {
      if (t.kind === TokKind.Pragma) {
        pack = this.applyPragma(t, pack, stack);
        const option = /^comment\s*\(\s*option\s*,\s*"(-mno-ms-bitfields|-mms-bitfields)"\s*\)/.exec(t.text);
        if (option) ms = option[1] === "-mms-bitfields" ? MS_BITFIELDS : 0;
        continue;
      }
      packs[kept.length] = pack | ms;
      kept.push(t);
    }
    this.tokens = kept;
    this.packAt = packs;
  }

  currentPos(): SourcePosition {
    return this.tok().pos;
  }

  private applyPragma(t: Token, pack: number, stack: number[]): number {
    const m = /^pack\s*\(\s*(.*?)\s*\)\s*$/.exec(t.text);
    if (!m) return pack;
    const args = m[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (args.length === 0) return 0;
    if (args[0] === "push") {
      stack.push(pack);
      return args[1] !== undefined ? this.packValue(args[1], t) : pack;
    }
    if (args[0] === "pop") return stack.pop() ?? 0;
    return this.packValue(args[0]!, t);
  }

  private packValue(s: string, t: Token): number {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 16 || (n & (n - 1)) !== 0) {
      this.warnings.push({ severity: "warning", message: `ignoring #pragma pack with invalid value '${s}'`, pos: t.pos });
      return 0;
    }
    return n;
  }

  // ---- token helpers ----

  private tok(): Token {
    return this.tokens[this.i]!;
  }

  private peek(k = 1): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== TokKind.Eof) this.i++;
    return t;
  }

  private is(text: string): boolean {
    const t = this.tokens[this.i]!;
    return t.text === text && (t.kind === TokKind.Punct || t.kind === TokKind.Ident);
  }

  private accept(text: string): boolean {
    if (this.is(text)) {
      this.i++;
      return true;
    }
    return false;
  }

  private expect(text: string): Token {
    if (!this.is(text)) throw this.error(`expected '${text}' before ${this.describe(this.tok())}`);
    return this.next();
  }

  private describe(t: Token): string {
    return t.kind === TokKind.Eof ? "end of input" : `'${t.text}'`;
  }

  private error(message: string, pos: SourcePosition = this.tok().pos): ParseError {
    return new ParseError(message, pos);
  }

  private warn(message: string, pos: SourcePosition): void {
    this.warnings.push({ severity: "warning", message, pos });
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw this.error("input nested too deeply to parse");
  }

  private leave(): void {
    this.depth--;
  }

  private ident(): Token {
    const t = this.tok();
    if (t.kind !== TokKind.Ident || KEYWORDS.has(t.text)) throw this.error(`expected an identifier before ${this.describe(t)}`);
    return this.next();
  }

  // ---- scopes ----

  private pushScope(): void {
    this.scopes.push({ names: new Map(), tags: new Map() });
  }

  private popScope(): void {
    this.scopes.pop();
  }

  private lookup(name: string): Symbol | undefined {
    for (let k = this.scopes.length - 1; k >= 0; k--) {
      const s = this.scopes[k]!.names.get(name);
      if (s) return s;
    }
    return undefined;
  }

  private lookupTag(name: string): RecordDef | EnumDef | undefined {
    for (let k = this.scopes.length - 1; k >= 0; k--) {
      const s = this.scopes[k]!.tags.get(name);
      if (s) return s;
    }
    return undefined;
  }

  private isTypedefName(t: Token): boolean {
    if (t.kind !== TokKind.Ident || KEYWORDS.has(t.text)) return false;
    return this.lookup(t.text)?.kind === SymbolKind.Typedef;
  }

  private startsDeclaration(t: Token = this.tok()): boolean {
    if (t.kind !== TokKind.Ident) return false;
    return SPEC_KEYWORDS.has(t.text) || this.isTypedefName(t);
  }

  /** The type a typedef name denotes, spelled with that name (one object per typedef). */
  private typedefType(sym: Symbol): CType {
    const cached = this.typedefTypes.get(sym);
    if (cached && cached.of === sym.type) return cached.spelled;
    const spelled: CType = { ...sym.type, typedefName: sym.name };
    this.typedefTypes.set(sym, { of: sym.type, spelled });
    return spelled;
  }

  private newSymbol(kind: SymbolKind, name: string, type: CType, pos: SourcePosition, storage: StorageClass): Symbol {
    return {
      id: this.nextId++,
      kind,
      name,
      type,
      storage,
      global: this.scopes.length === 1,
      defined: false,
      attrs: [],
      inline: false,
      threadLocal: false,
      builtin: this.inPrelude,
      pos,
    };
  }

  /** Declare (or merge with a compatible earlier declaration of) an ordinary identifier in the current scope. */
  private declare(kind: SymbolKind, name: string, type: CType, pos: SourcePosition, storage: StorageClass): Symbol {
    const scope = this.scopes[this.scopes.length - 1]!;
    const fileScope = this.scopes.length === 1;
    const linked = storage === "extern" || (kind === SymbolKind.Function && !fileScope);
    let prev = scope.names.get(name) ?? (linked ? this.scopes[0]!.names.get(name) : undefined);
    const blockExtern = !prev && (fileScope || linked) && storage !== "static" ? this.blockExterns.get(name) : undefined;
    if (blockExtern && blockExtern.kind === kind) {
      prev = blockExtern;
      // declared at file scope now: the file's object
      if (fileScope) {
        blockExtern.global = true;
        this.blockExterns.delete(name);
      }
    }
    if (prev && (kind === SymbolKind.Function || kind === SymbolKind.Object) && prev.kind === kind && (prev.global || storage === "extern" || prev === blockExtern)) {
      if (!compatible(prev.type, type, true) && !(prev.builtin && kind === SymbolKind.Function)) {
        throw this.error(`conflicting types for '${name}'`, pos);
      }
      if (betterType(type, prev.type)) prev.type = type;
      if (prev.builtin) prev.builtin = this.inPrelude;
      if (storage === "static") prev.storage = "static";
      // a block-scope extern declaration of a file-scope object names it in this block, hiding an outer local of the same name
      scope.names.set(name, prev);
      return prev;
    }
    if (prev && scope.names.get(name) === prev) {
      if (kind === SymbolKind.Typedef && prev.kind === SymbolKind.Typedef && compatible(prev.type, type)) return prev;
      throw this.error(`redeclaration of '${name}'`, pos);
    }
    const sym = this.newSymbol(kind, name, type, pos, storage);
    scope.names.set(name, sym);
    if (!fileScope && linked && (kind === SymbolKind.Function || kind === SymbolKind.Object)) this.blockExterns.set(name, sym);
    return sym;
  }

  // ---- translation unit ----

  parsePrelude(): void {
    const saved = { tokens: this.tokens, packAt: this.packAt, i: this.i };
    const pre = tokenize(prelude(this.target, this.abi), "<builtin>");
    this.tokens = pre.tokens;
    this.packAt = new Int32Array(pre.tokens.length);
    this.i = 0;
    this.inPrelude = true;
    while (this.tok().kind !== TokKind.Eof) this.externalDeclaration();
    this.inPrelude = false;
    this.records = [];
    this.enums = [];
    this.tokens = saved.tokens;
    this.packAt = saved.packAt;
    this.i = saved.i;
  }

  parseTranslationUnit(): Program {
    const decls: ExternalDecl[] = [];
    while (this.tok().kind !== TokKind.Eof) {
      if (this.accept(";")) continue;
      decls.push(this.externalDeclaration());
    }
    return { target: this.target, decls, records: this.records, enums: this.enums };
  }

  private externalDeclaration(): ExternalDecl {
    const pos = this.tok().pos;
    this.defined = [];
    if (this.is("_Static_assert")) return this.staticAssert();
    if ((this.is("asm") || this.is("__asm") || this.is("__asm__")) && this.peek().text === "(") {
      this.next();
      this.expect("(");
      const template = this.stringText();
      this.expect(")");
      this.expect(";");
      return { kind: NodeKind.TopAsm, pos, template };
    }
    const extension = this.acceptExtension();
    if (!this.startsDeclaration()) {
      const t = this.tok();
      if (t.kind === TokKind.Ident && !KEYWORDS.has(t.text) && (this.peek().text === "(" || this.peek().text === "," || this.peek().text === ";")) {
        throw this.error(`unknown type name or missing declaration specifiers before '${t.text}' (implicit int is not supported)`);
      }
      throw this.error(`expected a declaration before ${this.describe(t)}`);
    }
    const specs = this.declSpecifiers(true);
    specs.extension ||= extension;
    if (this.accept(";")) return this.declarationNode(pos, specs, []);
    const first = this.declarator(specs.type, "no");
    if (first.type.kind === TypeKind.Function && this.isFunctionBodyStart()) return this.functionDefinition(pos, specs, first);
    return this.finishDeclaration(pos, specs, first);
  }

  private acceptExtension(): boolean {
    let seen = false;
    while (this.accept("__extension__")) seen = true;
    return seen;
  }

  private isFunctionBodyStart(): boolean {
    if (this.is("{")) return true;
    // K&R parameter declarations: `int f(a, b) int a; char b; {`
    if (this.startsDeclaration() && this.scopes.length === 1) {
      throw this.error("old-style (K&R) function definitions are not supported; write a prototype-style definition");
    }
    return false;
  }

  private declarationNode(pos: SourcePosition, specs: Specs, declarators: Declarator[]): Declaration {
    return {
      kind: NodeKind.Declaration,
      pos,
      storage: specs.storage,
      inline: specs.inline,
      threadLocal: specs.threadLocal,
      baseType: specs.type,
      defines: this.takeDefined(),
      attrs: specs.attrs,
      declarators,
      extension: specs.extension,
    };
  }

  private takeDefined(): (RecordDef | EnumDef)[] {
    const d = this.defined;
    this.defined = [];
    return d;
  }

  /** After the first declarator: initializers, further declarators, `;`. */
  private finishDeclaration(pos: SourcePosition, specs: Specs, first: DeclaratorResult): Declaration {
    const declarators: Declarator[] = [];
    let d = first;
    for (;;) {
      declarators.push(this.initDeclarator(specs, d));
      if (!this.accept(",")) break;
      d = this.declarator(specs.type, "no");
    }
    this.expect(";");
    return this.declarationNode(pos, specs, declarators);
  }

  private initDeclarator(specs: Specs, d: DeclaratorResult): Declarator {
    if (d.name === null) throw this.error("declaration needs a name", d.pos);
    const split = this.splitConvention([...d.attrs, ...this.attributes()], specs.convention);
    const attrs = split.attrs;
    const storage = specs.storage;
    let type = withConvention(d.type, split.convention);
    if (specs.alignAs && storage !== "typedef") type = { ...type, alignAttr: Math.max(specs.alignAs, type.alignAttr ?? 0) };
    const aligned = this.alignedAttr(attrs);
    if (storage === "typedef") {
      if (aligned) type = { ...type, alignAttr: aligned };
      if (attrs.some((a) => a.name === "packed" || a.name === "__packed__") && type.kind === TypeKind.Record) type.def.packed = true;
      const sym = this.declare(SymbolKind.Typedef, d.name, type, d.pos, storage);
      sym.attrs = attrs;
      nameAnonymousTag(type, d.name);
      if (this.is("=")) throw this.error(`typedef '${d.name}' is initialized`);
      return { pos: d.pos, sym, type, init: null, attrs };
    }
    const kind = type.kind === TypeKind.Function ? SymbolKind.Function : SymbolKind.Object;
    if (kind === SymbolKind.Object && type.kind === TypeKind.Void) throw this.error(`variable '${d.name}' declared void`, d.pos);
    const sym = this.declare(kind, d.name, type, d.pos, storage);
    sym.attrs = [...sym.attrs, ...attrs];
    if (d.asmLabel !== undefined) sym.asmLabel = d.asmLabel;
    sym.inline ||= specs.inline;
    sym.threadLocal ||= specs.threadLocal;
    let init: Expr | null = null;
    if (this.accept("=")) {
      if (kind === SymbolKind.Function) throw this.error(`function '${d.name}' is initialized like a variable`, d.pos);
      init = this.initializer(type);
      if (type.kind === TypeKind.Array && type.length === null) {
        type = { ...type, length: initArrayLength(type, init) };
        sym.type = type;
      }
      sym.defined = true;
    } else if (kind === SymbolKind.Object && storage !== "extern") {
      sym.defined = true;
      if (!sym.global && !isComplete(type) && storage !== "static") throw this.error(`storage size of '${d.name}' isn't known`, d.pos);
    }
    return { pos: d.pos, sym, type, init, attrs };
  }

  private functionDefinition(pos: SourcePosition, specs: Specs, d: DeclaratorResult): FunctionDef {
    if (d.name === null) throw this.error("function definition needs a name", d.pos);
    const split = this.splitConvention(d.attrs, specs.convention);
    const fnType = withConvention(d.type, split.convention) as FunctionType;
    const attrs = split.attrs;
    const sym = this.declare(SymbolKind.Function, d.name, fnType, d.pos, specs.storage);
    sym.type = fnType;
    sym.defined = true;
    sym.attrs = [...sym.attrs, ...attrs, ...specs.attrs];
    sym.inline ||= specs.inline;
    if (d.asmLabel !== undefined) sym.asmLabel = d.asmLabel;
    const defines = this.takeDefined();
    this.pushScope();
    const params: Symbol[] = [];
    for (const p of fnType.params) {
      const ps = this.newSymbol(SymbolKind.Object, p.name ?? "", p.type, d.pos, null);
      ps.defined = true;
      if (p.name) this.scopes[this.scopes.length - 1]!.names.set(p.name, ps);
      params.push(ps);
    }
    const savedFn = this.currentFunction;
    const savedFuncName = this.funcNameSym;
    this.currentFunction = sym;
    this.funcNameSym = null;
    const body = this.compound(false);
    this.currentFunction = savedFn;
    this.funcNameSym = savedFuncName;
    this.popScope();
    return {
      kind: NodeKind.FunctionDef,
      pos,
      sym,
      type: fnType,
      storage: specs.storage,
      inline: specs.inline,
      baseType: specs.type,
      defines: [...defines, ...this.takeDefined()],
      attrs: specs.attrs,
      params,
      body,
    };
  }

  private staticAssert(): StaticAssert {
    const pos = this.next().pos;
    this.expect("(");
    const cond = this.assignExpr();
    let message: string | null = null;
    if (this.accept(",")) message = this.stringText();
    this.expect(")");
    this.expect(";");
    const v = this.constValue(cond);
    if (v === 0n) throw this.error(`static assertion failed${message !== null ? `: "${message}"` : ""}`, pos);
    return { kind: NodeKind.StaticAssert, pos, cond, message };
  }

  // ---- declaration specifiers ----

  private declSpecifiers(allowStorage: boolean): Specs {
    const pos = this.tok().pos;
    let storage: StorageClass = null;
    let quals = 0;
    let inline = false;
    let threadLocal = false;
    let extension = false;
    let alignAs = 0;
    const attrs: Attribute[] = [];
    let base: CType | null = null;
    const counts: Record<string, number> = {};
    let typeKeywords = 0;
    let sawAny = false;
    for (;;) {
      const t = this.tok();
      if (t.kind !== TokKind.Ident) break;
      const w = t.text;
      if (STORAGE.has(w)) {
        if (!allowStorage) throw this.error(`storage class '${w}' not allowed here`);
        if (storage !== null) throw this.error("multiple storage classes in declaration specifiers");
        storage = w as StorageClass;
        this.next();
      } else if (QUALIFIERS.has(w)) {
        quals |= QUALIFIERS.get(w)!;
        this.next();
      } else if (w === "inline" || w === "__inline" || w === "__inline__") {
        inline = true;
        this.next();
      } else if (w === "_Noreturn") {
        attrs.push({ name: "noreturn", args: [] });
        this.next();
      } else if (w === "_Thread_local" || w === "__thread") {
        threadLocal = true;
        this.next();
      } else if (w === "__extension__") {
        extension = true;
        this.next();
      } else if (w === "__attribute__" || w === "__attribute") {
        attrs.push(...this.attributes());
        continue;
      } else if (w === "_Alignas") {
        this.next();
        this.expect("(");
        let n: number;
        if (this.startsDeclaration()) n = this.abi.alignOf(this.typeName());
        else n = Number(this.constValue(this.conditionalExpr()) ?? 0n);
        this.expect(")");
        if (n > alignAs) alignAs = n;
      } else if (w === "_Atomic" && this.peek().text === "(") {
        if (base || typeKeywords > 0) throw this.error("two or more data types in declaration specifiers");
        this.next();
        this.next();
        base = withQuals(this.typeName(), Q_ATOMIC);
        this.expect(")");
      } else if (w === "_Atomic") {
        quals |= Q_ATOMIC;
        this.next();
      } else if (w === "struct" || w === "union") {
        if (base || typeKeywords > 0) throw this.error("two or more data types in declaration specifiers");
        base = this.recordSpecifier();
      } else if (w === "enum") {
        if (base || typeKeywords > 0) throw this.error("two or more data types in declaration specifiers");
        base = this.enumSpecifier();
      } else if (w === "typeof" || w === "__typeof" || w === "__typeof__") {
        if (base || typeKeywords > 0) throw this.error("two or more data types in declaration specifiers");
        this.next();
        this.expect("(");
        base = this.startsDeclaration() ? this.typeName() : this.expr().type;
        this.expect(")");
      } else if (TYPE_KEYWORDS.has(w)) {
        if (base) throw this.error("two or more data types in declaration specifiers");
        const k = normalizeTypeKeyword(w);
        counts[k] = (counts[k] ?? 0) + 1;
        typeKeywords++;
        this.next();
      } else if (!base && typeKeywords === 0 && this.isTypedefName(t)) {
        // a typedef name is a type specifier only where no other type specifier was seen
        base = this.typedefType(this.lookup(w)!);
        this.next();
      } else {
        break;
      }
      sawAny = true;
    }
    if (!sawAny) throw this.error(`expected declaration specifiers before ${this.describe(this.tok())}`);
    let type = base ?? this.combineTypeKeywords(counts, pos);
    if (quals) type = qualify(type, quals);
    const split = this.splitConvention(attrs);
    return { type, storage, inline, threadLocal, attrs: split.attrs, convention: split.convention, alignAs, extension };
  }

  private combineTypeKeywords(c: Record<string, number>, pos: SourcePosition): CType {
    const has = (k: string): number => c[k] ?? 0;
    const keys = Object.keys(c);
    if (keys.length === 0) {
      this.warn("type defaults to 'int'", pos);
      return intType;
    }
    if (has("_Complex")) throw this.error("complex types are not supported", pos);
    if (has("signed") && has("unsigned")) throw this.error("both 'signed' and 'unsigned' in declaration specifiers", pos);
    const unsigned = has("unsigned") > 0;
    const only = (...allowed: string[]): boolean => keys.every((k) => allowed.includes(k));
    if (has("void")) {
      if (!only("void") || has("void") > 1) throw this.error("invalid combination with 'void'", pos);
      return voidType;
    }
    if (has("_Bool")) {
      if (!only("_Bool")) throw this.error("invalid combination with '_Bool'", pos);
      return boolType;
    }
    if (has("float")) {
      if (!only("float")) throw this.error("invalid combination with 'float'", pos);
      return floatType;
    }
    if (has("double")) {
      if (!only("double", "long") || has("long") > 1) throw this.error("invalid combination with 'double'", pos);
      return has("long") ? ldoubleType : doubleType;
    }
    if (has("char")) {
      if (!only("char", "signed", "unsigned") || has("char") > 1) throw this.error("invalid combination with 'char'", pos);
      return has("signed") ? scharType : unsigned ? ucharType : plainChar(this.abi);
    }
    if (has("__int128")) {
      if (!only("__int128", "signed", "unsigned")) throw this.error("invalid combination with '__int128'", pos);
      return unsigned ? uint128Type : int128Type;
    }
    if (has("short")) {
      if (!only("short", "int", "signed", "unsigned") || has("short") > 1) throw this.error("invalid combination with 'short'", pos);
      return unsigned ? ushortType : shortType;
    }
    if (has("long")) {
      if (!only("long", "int", "signed", "unsigned") || has("long") > 2) throw this.error("invalid combination with 'long'", pos);
      if (has("long") === 2) return unsigned ? ullongType : llongType;
      return unsigned ? ulongType : longType;
    }
    if (!only("int", "signed", "unsigned") || has("int") > 1) throw this.error("invalid combination of type specifiers", pos);
    return unsigned ? uintType : intType;
  }

  // ---- attributes ----

  /** Zero or more `__attribute__((...))`. */
  private attributes(): Attribute[] {
    const out: Attribute[] = [];
    while (this.is("__attribute__") || this.is("__attribute")) {
      this.next();
      this.expect("(");
      this.expect("(");
      while (!this.is(")")) {
        if (this.accept(",")) continue;
        const t = this.next();
        if (t.kind !== TokKind.Ident) throw this.error(`expected an attribute name before ${this.describe(t)}`, t.pos);
        const name = t.text.startsWith("__") && t.text.endsWith("__") && t.text.length > 4 ? t.text.slice(2, -2) : t.text;
        const args: (Expr | string)[] = [];
        if (this.accept("(")) {
          while (!this.is(")")) {
            const a = this.tok();
            if (a.kind === TokKind.Ident && (this.peek().text === "," || this.peek().text === ")") && this.lookup(a.text)?.kind !== SymbolKind.EnumConst) {
              args.push(this.next().text);
            } else {
              args.push(this.assignExpr());
            }
            if (!this.accept(",")) break;
          }
          this.expect(")");
        }
        out.push({ name, args });
      }
      this.expect(")");
      this.expect(")");
    }
    return out;
  }

  /**
   * On i386, the calling convention named by `attrs` after `outer` (null:
   * `cdecl`; undefined: none) and the other attributes: the convention goes
   * into the function type (withConvention). Elsewhere GCC ignores these
   * attributes; they stay as written.
   */
  private splitConvention(attrs: Attribute[], outer?: CallingConvention | null): { convention: CallingConvention | null | undefined; attrs: Attribute[] } {
    if (this.target !== "i386") return { convention: outer, attrs };
    let convention = outer;
    const rest: Attribute[] = [];
    for (const a of attrs) {
      const c = this.conventionOf(a);
      if (c === undefined) {
        rest.push(a);
        continue;
      }
      if (convention !== undefined && convention !== c) {
        throw this.error(`calling conventions '${convention === null ? "cdecl" : conventionAttribute(convention)}' and '${c === null ? "cdecl" : conventionAttribute(c)}' are not compatible`);
      }
      convention = c;
    }
    return { convention, attrs: rest.length === attrs.length ? attrs : rest };
  }

  /** The calling convention an attribute names (null: cdecl), undefined if it names none. */
  private conventionOf(a: Attribute): CallingConvention | null | undefined {
    switch (a.name) {
      case "cdecl":
        return null;
      case "stdcall":
      case "fastcall":
      case "thiscall":
        return a.name;
      case "regparm": {
        const arg = a.args[0];
        const n = arg === undefined || typeof arg === "string" || a.args.length !== 1 ? null : this.constValue(arg);
        if (n === null) throw this.error("the 'regparm' attribute takes one integer constant");
        if (n < 0n || n > 3n) throw this.error(`argument to 'regparm' attribute is ${n}, not 0 to 3`);
        return n === 0n ? null : (`regparm${n}` as CallingConvention);
      }
      default:
        return undefined;
    }
  }

  private alignedAttr(attrs: Attribute[]): number {
    let a = 0;
    for (const at of attrs) {
      if (at.name !== "aligned") continue;
      const v = at.args[0];
      let n: number;
      if (v === undefined) n = this.abi.info.maxAlign;
      else if (typeof v === "string") throw this.error(`requested alignment '${v}' is not an integer constant`);
      else n = Number(this.constValue(v) ?? -1n);
      if (n <= 0 || (n & (n - 1)) !== 0) throw this.error("requested alignment is not a positive power of 2");
      if (n > a) a = n;
    }
    return a;
  }

  private skipAsmLabel(): string | undefined {
    if (this.is("asm") || this.is("__asm") || this.is("__asm__")) {
      this.next();
      this.expect("(");
      const s = this.stringText();
      this.expect(")");
      return s;
    }
    return undefined;
  }

  // ---- struct / union / enum ----

  private recordSpecifier(): CType {
    const kw = this.next();
    const union = kw.text === "union";
    const attrs = this.attributes();
    let tag: string | null = null;
    let tagPos = kw.pos;
    if (this.tok().kind === TokKind.Ident && !KEYWORDS.has(this.tok().text)) {
      const t = this.next();
      tag = t.text;
      tagPos = t.pos;
    }
    // attributes after the tag belong to the record only if its body follows; else to the declaration
    const beforeAttrs = this.i;
    const tagAttrs = this.attributes();
    if (this.is("{")) attrs.push(...tagAttrs);
    else this.i = beforeAttrs;
    if (!this.is("{")) {
      if (tag === null) throw this.error(`expected '{' or a tag after '${kw.text}'`);
      const declOnly = this.is(";");
      let def = declOnly ? this.scopes[this.scopes.length - 1]!.tags.get(tag) : this.lookupTag(tag);
      if (!def) {
        def = this.newRecord(tag, union, tagPos);
        this.scopes[this.scopes.length - 1]!.tags.set(tag, def);
      }
      if (!isTagDef(def) || def.union !== union) throw this.error(`'${tag}' defined as the wrong kind of tag`, tagPos);
      return { kind: TypeKind.Record, def, quals: 0 };
    }
    let def: RecordDef;
    const existing = tag !== null ? this.scopes[this.scopes.length - 1]!.tags.get(tag) : undefined;
    if (existing) {
      if (!isTagDef(existing) || existing.union !== union) throw this.error(`'${tag}' defined as the wrong kind of tag`, tagPos);
      if (existing.fields !== null) throw this.error(`redefinition of '${kw.text} ${tag}'`, tagPos);
      def = existing;
      def.pos = tagPos;
    } else {
      def = this.newRecord(tag, union, tagPos);
      if (tag !== null) this.scopes[this.scopes.length - 1]!.tags.set(tag, def);
    }
    this.expect("{");
    const fields = this.fieldList(def);
    const closeIndex = this.i;
    this.expect("}");
    attrs.push(...this.attributes());
    def.attrs = attrs;
    def.packed = attrs.some((a) => a.name === "packed");
    def.alignAttr = this.alignedAttr(attrs);
    const packState = this.packAt[closeIndex] ?? 0;
    def.pragmaPack = packState & ~MS_BITFIELDS;
    if (packState & MS_BITFIELDS) def.msBitfields = true;
    def.fields = fields;
    this.abi.layoutRecord(def);
    if (!this.inPrelude) this.defined.push(def);
    return { kind: TypeKind.Record, def, quals: 0 };
  }

  private newRecord(tag: string | null, union: boolean, pos: SourcePosition): RecordDef {
    const def: RecordDef = {
      id: this.nextId++,
      tag,
      union,
      fields: null,
      layout: null,
      packed: false,
      alignAttr: 0,
      pragmaPack: 0,
      typedefName: null,
      attrs: [],
      pos,
    };
    if (!this.inPrelude) this.records.push(def);
    return def;
  }

  private fieldList(def: RecordDef): Field[] {
    const fields: Field[] = [];
    const names = new Set<string>();
    const addName = (name: string, pos: SourcePosition): void => {
      if (names.has(name)) throw this.error(`duplicate member '${name}'`, pos);
      names.add(name);
    };
    while (!this.is("}")) {
      if (this.accept(";")) continue;
      if (this.is("_Static_assert")) {
        this.staticAssert();
        continue;
      }
      const pos = this.tok().pos;
      this.acceptExtension();
      const specs = this.declSpecifiers(false);
      if (this.is(";")) {
        // anonymous struct/union member (C11)
        this.next();
        if (specs.type.kind !== TypeKind.Record) {
          this.warn("declaration does not declare anything", pos);
          continue;
        }
        for (const n of allFieldNames(specs.type.def)) addName(n, pos);
        fields.push(this.makeField(null, specs.type, null, specs.attrs, specs.alignAs, pos, true));
        continue;
      }
      for (;;) {
        let name: string | null = null;
        let type = specs.type;
        let fpos = this.tok().pos;
        let attrs = [...specs.attrs];
        if (!this.is(":")) {
          const d = this.declarator(specs.type, "no");
          name = d.name;
          type = d.type;
          fpos = d.pos;
          attrs.push(...d.attrs);
        }
        let width: number | null = null;
        if (this.accept(":")) {
          const wpos = this.tok().pos;
          const w = this.constValue(this.conditionalExpr());
          if (w === null) throw this.error("bit-field width is not an integer constant", wpos);
          if (!isInteger(type)) throw this.error(`bit-field '${name ?? "<anonymous>"}' has invalid type`, wpos);
          const max = BigInt(this.abi.sizeOf(type) * 8);
          if (w < 0n || w > max) throw this.error(`width of bit-field '${name ?? "<anonymous>"}' (${w} bits) exceeds its type or is negative`, wpos);
          if (w === 0n && name !== null) throw this.error(`zero width for bit-field '${name}'`, wpos);
          width = Number(w);
        }
        const split = this.splitConvention([...attrs, ...this.attributes()], specs.convention);
        attrs = split.attrs;
        type = withConvention(type, split.convention);
        if (name === null && width === null) throw this.error("expected a member name", fpos);
        if (name !== null) addName(name, fpos);
        if (type.kind === TypeKind.Function) throw this.error(`field '${name}' declared as a function`, fpos);
        if (type.kind === TypeKind.Void) throw this.error(`field '${name}' declared void`, fpos);
        fields.push(this.makeField(name, type, width, attrs, specs.alignAs, fpos, false));
        if (!this.accept(",")) break;
      }
      this.expect(";");
    }
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k]!;
      if (!isComplete(f.type)) {
        const flexible = f.type.kind === TypeKind.Array && f.type.length === null && k === fields.length - 1 && !def.union;
        if (!flexible) throw this.error(`field '${f.name ?? "<anonymous>"}' has incomplete type`, f.pos);
      }
    }
    return fields;
  }

  private makeField(name: string | null, type: CType, bitWidth: number | null, attrs: Attribute[], alignAs: number, pos: SourcePosition, anonymous: boolean): Field {
    return {
      name,
      type,
      bitWidth,
      offset: 0,
      bitOffset: 0,
      anonymous,
      alignAttr: Math.max(alignAs, this.alignedAttr(attrs)),
      packed: attrs.some((a) => a.name === "packed"),
      attrs,
      pos,
    };
  }

  private enumSpecifier(): CType {
    const kw = this.next();
    this.attributes();
    let tag: string | null = null;
    let tagPos = kw.pos;
    if (this.tok().kind === TokKind.Ident && !KEYWORDS.has(this.tok().text)) {
      const t = this.next();
      tag = t.text;
      tagPos = t.pos;
    }
    this.attributes();
    if (!this.is("{")) {
      if (tag === null) throw this.error("expected '{' or a tag after 'enum'");
      let def = this.lookupTag(tag);
      if (!def) {
        def = this.newEnum(tag, tagPos);
        this.scopes[this.scopes.length - 1]!.tags.set(tag, def);
      }
      if (isTagDef(def)) throw this.error(`'${tag}' defined as the wrong kind of tag`, tagPos);
      return { kind: TypeKind.Enum, def, quals: 0 };
    }
    let def: EnumDef;
    const existing = tag !== null ? this.scopes[this.scopes.length - 1]!.tags.get(tag) : undefined;
    if (existing) {
      if (isTagDef(existing)) throw this.error(`'${tag}' defined as the wrong kind of tag`, tagPos);
      if (existing.constants !== null) throw this.error(`redefinition of 'enum ${tag}'`, tagPos);
      def = existing;
    } else {
      def = this.newEnum(tag, tagPos);
      if (tag !== null) this.scopes[this.scopes.length - 1]!.tags.set(tag, def);
    }
    this.expect("{");
    const constants: NonNullable<EnumDef["constants"]> = [];
    const syms: Symbol[] = [];
    let value = 0n;
    let min = 0n;
    let max = 0n;
    while (!this.is("}")) {
      const t = this.ident();
      this.attributes();
      if (this.accept("=")) {
        const v = this.constValue(this.conditionalExpr());
        if (v === null) throw this.error(`enumerator value for '${t.text}' is not an integer constant`, t.pos);
        value = v;
      }
      const sym = this.declare(SymbolKind.EnumConst, t.text, intType, t.pos, null);
      sym.value = value;
      sym.defined = true;
      syms.push(sym);
      constants.push({ name: t.text, value, pos: t.pos });
      if (value < min) min = value;
      if (value > max) max = value;
      value++;
      if (!this.accept(",")) break;
    }
    this.expect("}");
    this.attributes();
    def.constants = constants;
    def.underlying = enumUnderlying(min, max, this.abi);
    for (const s of syms) s.type = enumConstantType(s.value!, def.underlying);
    if (!this.inPrelude) this.defined.push(def);
    return { kind: TypeKind.Enum, def, quals: 0 };
  }

  private newEnum(tag: string | null, pos: SourcePosition): EnumDef {
    const def: EnumDef = { id: this.nextId++, tag, constants: null, underlying: uintType, typedefName: null, pos };
    if (!this.inPrelude) this.enums.push(def);
    return def;
  }

  // ---- declarators ----

  /**
   * A declarator over `base`. `abstract`: "no" (a name is required), "maybe"
   * (parameters), "yes" (type names).
   */
  private declarator(base: CType, abstract: "no" | "maybe" | "yes"): DeclaratorResult {
    this.enter();
    const attrs: Attribute[] = this.attributes();
    let type = base;
    while (this.is("*") || this.is("^")) {
      if (this.tok().text === "^") throw this.error("blocks ('^') are not supported");
      this.next();
      type = pointerTo(type);
      let q = 0;
      for (;;) {
        const w = this.tok().text;
        if (this.tok().kind === TokKind.Ident && QUALIFIERS.has(w)) {
          q |= QUALIFIERS.get(w)!;
          this.next();
        } else if (w === "_Atomic" && this.tok().kind === TokKind.Ident) {
          q |= Q_ATOMIC;
          this.next();
        } else if (w === "__attribute__" || w === "__attribute") {
          attrs.push(...this.attributes());
        } else break;
      }
      if (q) type = withQuals(type, q);
    }
    attrs.push(...this.attributes());
    const pos = this.tok().pos;
    if (this.is("(") && this.isNestedDeclarator()) {
      // `( declarator ) suffix`: parse the suffix first, then the inner declarator over it
      this.next();
      const start = this.i;
      this.skipBalanced();
      const suffixed = this.typeSuffix(type, attrs);
      const end = this.i;
      this.i = start;
      // a calling convention at the start of the parentheses is the suffix's: `int (__attribute__((fastcall)) *f(void))(int)`
      const lead = this.splitConvention(this.attributes());
      attrs.push(...lead.attrs);
      const inner = this.declarator(withConvention(suffixed, lead.convention), abstract);
      this.expect(")");
      this.i = end;
      this.leave();
      return { ...inner, attrs: [...attrs, ...inner.attrs] };
    }
    let name: string | null = null;
    const t = this.tok();
    if (t.kind === TokKind.Ident && !KEYWORDS.has(t.text) && abstract !== "yes") {
      name = this.next().text;
    } else if (abstract === "no") {
      throw this.error(`expected an identifier or '(' before ${this.describe(t)}`);
    }
    type = this.typeSuffix(type, attrs);
    const asmLabel = this.skipAsmLabel();
    attrs.push(...this.attributes());
    this.leave();
    return asmLabel !== undefined ? { name, pos, type, attrs, asmLabel } : { name, pos, type, attrs };
  }

  /** At '(' in a declarator: a parenthesized declarator rather than a parameter list? */
  private isNestedDeclarator(): boolean {
    const t = this.peek();
    if (t.text === "*" || t.text === "(" || t.text === "[" || t.text === "^") return t.kind === TokKind.Punct;
    if (t.text === "__attribute__" || t.text === "__attribute") return true;
    if (t.kind === TokKind.Ident && !KEYWORDS.has(t.text) && !this.isTypedefName(t)) return true;
    return false;
  }

  /** Skip to just after the ')' matching an already consumed '('. */
  private skipBalanced(): void {
    let level = 1;
    while (level > 0) {
      const t = this.next();
      if (t.kind === TokKind.Eof) throw this.error("unbalanced parentheses in declarator", t.pos);
      if (t.kind !== TokKind.Punct) continue;
      if (t.text === "(") level++;
      else if (t.text === ")") level--;
    }
  }

  private typeSuffix(type: CType, attrs: Attribute[]): CType {
    if (this.is("(")) {
      this.next();
      const fn = this.paramList(type);
      attrs.push(...this.attributes());
      return this.typeSuffixAfterFunction(fn);
    }
    if (this.is("[")) {
      this.next();
      let q = 0;
      let isStatic = false;
      for (;;) {
        const w = this.tok().text;
        if (this.tok().kind === TokKind.Ident && QUALIFIERS.has(w)) q |= QUALIFIERS.get(w)!;
        else if (w === "static" && this.tok().kind === TokKind.Ident) isStatic = true;
        else break;
        this.next();
      }
      let length: number | null = null;
      let vla: Expr | undefined;
      if (this.is("*") && this.peek().text === "]") {
        this.next();
      } else if (!this.is("]")) {
        const e = this.assignExpr();
        if (!isInteger(e.type)) throw this.error("size of array has non-integer type", e.pos);
        const v = this.constValue(e);
        if (v === null) vla = e;
        else if (v < 0n) throw this.error("size of array is negative", e.pos);
        else length = Number(v);
      }
      this.expect("]");
      const elem = this.typeSuffix(type, attrs);
      if (elem.kind === TypeKind.Function) throw this.error("declaration of an array of functions");
      if (!isComplete(elem)) throw this.error("array type has incomplete element type");
      const arr: ArrayType = arrayOf(elem, length);
      if (vla) arr.vla = vla;
      if (q || isStatic) arr.paramQuals = q | (isStatic ? 16 : 0);
      return arr;
    }
    return type;
  }

  private typeSuffixAfterFunction(fn: FunctionType): CType {
    if (fn.ret.kind === TypeKind.Function) throw this.error("function returning a function");
    if (fn.ret.kind === TypeKind.Array) throw this.error("function returning an array");
    return fn;
  }

  private paramList(ret: CType): FunctionType {
    const fn: FunctionType = { kind: TypeKind.Function, ret, params: [], variadic: false, prototyped: true, quals: 0 };
    if (this.accept(")")) {
      fn.prototyped = false;
      return fn;
    }
    if (this.is("void") && this.peek().text === ")") {
      this.next();
      this.next();
      return fn;
    }
    this.pushScope();
    try {
      for (;;) {
        if (this.accept("...")) {
          fn.variadic = true;
          break;
        }
        if (!this.startsDeclaration()) {
          const t = this.tok();
          if (t.kind === TokKind.Ident && !KEYWORDS.has(t.text)) {
            throw this.error(`unknown type name '${t.text}' in parameter list (old-style K&R parameter lists are not supported)`);
          }
          throw this.error(`expected a parameter declaration before ${this.describe(t)}`);
        }
        const specs = this.declSpecifiers(true);
        if (specs.storage !== null && specs.storage !== "register") throw this.error(`storage class '${specs.storage}' for a parameter`);
        const d = this.declarator(specs.type, "maybe");
        const declared = withConvention(d.type, this.splitConvention(d.attrs, specs.convention).convention);
        let type = declared;
        if (type.kind === TypeKind.Array) type = withQuals(pointerTo(type.of), type.paramQuals ? type.paramQuals & 15 : 0);
        else if (type.kind === TypeKind.Function) type = pointerTo(type);
        if (type.kind === TypeKind.Void) throw this.error("'void' must be the only parameter", d.pos);
        if (d.name !== null) {
          const s = this.newSymbol(SymbolKind.Object, d.name, type, d.pos, null);
          this.scopes[this.scopes.length - 1]!.names.set(d.name, s);
        }
        const param: ParamType = { name: d.name, type };
        if (type !== declared) param.declared = declared;
        fn.params.push(param);
        if (!this.accept(",")) break;
      }
    } finally {
      this.popScope();
    }
    this.expect(")");
    return fn;
  }

  /** A type name: specifiers + abstract declarator (casts, sizeof, typeof, _Generic). */
  private typeName(): CType {
    const specs = this.declSpecifiers(false);
    const d = this.declarator(specs.type, "yes");
    const type = withConvention(d.type, this.splitConvention(d.attrs, specs.convention).convention);
    // unlike _Alignas, an aligned attribute applies to a type name
    const aligned = this.alignedAttr(specs.attrs);
    return aligned ? { ...type, alignAttr: aligned } : type;
  }

  // ---- statements ----

  private compound(newScope = true): Compound {
    this.enter();
    const pos = this.expect("{").pos;
    if (newScope) this.pushScope();
    const items: BlockItem[] = [];
    while (!this.is("}")) {
      if (this.tok().kind === TokKind.Eof) throw this.error("expected '}' at end of input");
      items.push(this.blockItem());
    }
    this.next();
    if (newScope) this.popScope();
    this.leave();
    return { kind: NodeKind.Compound, pos, items };
  }

  private blockItem(): BlockItem {
    if (this.is("_Static_assert")) return this.staticAssert();
    if (this.is("__label__")) throw this.error("local labels (__label__) are not supported");
    const t = this.tok();
    const isLabel = t.kind === TokKind.Ident && this.peek().text === ":" && this.peek().kind === TokKind.Punct && !KEYWORDS.has(t.text);
    if (!isLabel) {
      let k = this.i;
      while (this.tokens[k]!.text === "__extension__") k++;
      if (this.startsDeclaration(this.tokens[k]!)) return this.localDeclaration();
    }
    return this.statement();
  }

  private localDeclaration(): Declaration {
    const pos = this.tok().pos;
    const extension = this.acceptExtension();
    const saved = this.defined;
    this.defined = [];
    const specs = this.declSpecifiers(true);
    specs.extension ||= extension;
    let decl: Declaration;
    if (this.accept(";")) decl = this.declarationNode(pos, specs, []);
    else {
      const first = this.declarator(specs.type, "no");
      if (first.type.kind === TypeKind.Function && this.is("{")) throw this.error("nested function definitions are not supported", first.pos);
      decl = this.finishDeclaration(pos, specs, first);
    }
    this.defined = [...saved, ...decl.defines];
    return decl;
  }

  private statement(): Stmt {
    this.enter();
    try {
      return this.statementInner();
    } finally {
      this.leave();
    }
  }

  private statementInner(): Stmt {
    const t = this.tok();
    const pos = t.pos;
    if (t.kind === TokKind.Ident) {
      switch (t.text) {
        case "if": {
          this.next();
          this.expect("(");
          const cond = this.condition();
          this.expect(")");
          const then = this.statement();
          const els = this.accept("else") ? this.statement() : null;
          return { kind: NodeKind.If, pos, cond, then, else: els };
        }
        case "while": {
          this.next();
          this.expect("(");
          const cond = this.condition();
          this.expect(")");
          return { kind: NodeKind.While, pos, cond, body: this.statement() };
        }
        case "do": {
          this.next();
          const body = this.statement();
          this.expect("while");
          this.expect("(");
          const cond = this.condition();
          this.expect(")");
          this.expect(";");
          return { kind: NodeKind.DoWhile, pos, body, cond };
        }
        case "for": {
          this.next();
          this.expect("(");
          this.pushScope();
          let init: Declaration | Expr | null = null;
          if (this.startsDeclaration()) init = this.localDeclaration();
          else {
            if (!this.is(";")) init = this.expr();
            this.expect(";");
          }
          const cond = this.is(";") ? null : this.condition();
          this.expect(";");
          const step = this.is(")") ? null : this.expr();
          this.expect(")");
          const body = this.statement();
          this.popScope();
          return { kind: NodeKind.For, pos, init, cond, step, body };
        }
        case "switch": {
          this.next();
          this.expect("(");
          const e = this.expr();
          if (!isInteger(e.type)) throw this.error("switch quantity is not an integer", e.pos);
          this.expect(")");
          return { kind: NodeKind.Switch, pos, expr: e, body: this.statement() };
        }
        case "case": {
          this.next();
          const value = this.conditionalExpr();
          const low = this.constValue(value);
          if (low === null) throw this.error("case label does not reduce to an integer constant", value.pos);
          let high: Expr | null = null;
          let highValue = low;
          if (this.accept("...")) {
            high = this.conditionalExpr();
            const h = this.constValue(high);
            if (h === null) throw this.error("case range bound does not reduce to an integer constant", high.pos);
            highValue = h;
          }
          this.expect(":");
          return { kind: NodeKind.Case, pos, value, high, low, highValue, body: this.labelBody() };
        }
        case "default":
          this.next();
          this.expect(":");
          return { kind: NodeKind.Default, pos, body: this.labelBody() };
        case "break":
          this.next();
          this.expect(";");
          return { kind: NodeKind.Break, pos };
        case "continue":
          this.next();
          this.expect(";");
          return { kind: NodeKind.Continue, pos };
        case "return": {
          this.next();
          const value = this.is(";") ? null : this.expr();
          this.expect(";");
          return { kind: NodeKind.Return, pos, value };
        }
        case "goto": {
          this.next();
          if (this.accept("*")) {
            const target = this.expr();
            this.expect(";");
            return { kind: NodeKind.ComputedGoto, pos, target };
          }
          const label = this.ident().text;
          this.expect(";");
          return { kind: NodeKind.Goto, pos, label };
        }
        case "asm":
        case "__asm":
        case "__asm__":
          return this.asmStatement();
        case "__attribute__":
        case "__attribute": {
          this.attributes();
          this.expect(";");
          return { kind: NodeKind.Empty, pos };
        }
        default:
          if (this.peek().text === ":" && this.peek().kind === TokKind.Punct && !KEYWORDS.has(t.text)) {
            this.next();
            this.next();
            const attrs = this.attributes();
            return { kind: NodeKind.Label, pos, name: t.text, attrs, body: this.labelBody() };
          }
      }
    }
    if (this.is("{")) {
      return this.compound();
    }
    if (this.accept(";")) return { kind: NodeKind.Empty, pos };
    const e = this.expr();
    this.expect(";");
    return { kind: NodeKind.ExprStmt, pos, expr: e };
  }

  /** The statement after a label; C23-style labels at the end of a block or before a declaration get an empty statement. */
  private labelBody(): Stmt {
    if (this.is("}")) return { kind: NodeKind.Empty, pos: this.tok().pos };
    if (this.startsDeclaration() && !(this.peek().text === ":")) {
      throw this.error("a label can only be part of a statement and a declaration is not a statement");
    }
    return this.statement();
  }

  private condition(): Expr {
    const e = this.expr();
    if (!isScalar(decay(e.type))) throw this.error("used a value that is not a scalar where a condition is required", e.pos);
    return e;
  }

  private asmStatement(): Asm {
    const pos = this.next().pos;
    const qualifiers: string[] = [];
    while (this.tok().kind === TokKind.Ident && ["volatile", "__volatile__", "__volatile", "inline", "goto"].includes(this.tok().text)) qualifiers.push(this.next().text);
    this.expect("(");
    const template = this.stringText();
    const outputs: AsmOperand[] = [];
    const inputs: AsmOperand[] = [];
    const clobbers: string[] = [];
    const labels: string[] = [];
    const operands = (into: AsmOperand[]): void => {
      while (this.tok().kind === TokKind.String || this.is("[")) {
        let name: string | null = null;
        if (this.accept("[")) {
          name = this.ident().text;
          this.expect("]");
        }
        const constraint = this.stringText();
        this.expect("(");
        const expr = this.expr();
        this.expect(")");
        into.push({ name, constraint, expr });
        if (!this.accept(",")) break;
      }
    };
    if (this.accept(":")) {
      operands(outputs);
      if (this.accept(":")) {
        operands(inputs);
        if (this.accept(":")) {
          while (this.tok().kind === TokKind.String) {
            clobbers.push(this.stringText());
            if (!this.accept(",")) break;
          }
          if (this.accept(":")) {
            while (this.tok().kind === TokKind.Ident) {
              labels.push(this.ident().text);
              if (!this.accept(",")) break;
            }
          }
        }
      }
    }
    this.expect(")");
    this.expect(";");
    return { kind: NodeKind.Asm, pos, qualifiers, template, outputs, inputs, clobbers, labels };
  }

  // ---- initializers ----

  private initializer(type: CType): Expr {
    if (this.is("{")) return this.initList(type);
    const e = this.assignExpr();
    this.checkConvention(type, e, e.pos, "initialization");
    return e;
  }

  private initList(type: CType): InitList {
    this.enter();
    const pos = this.expect("{").pos;
    const items: InitItem[] = [];
    const cursor = new InitCursor(type);
    while (!this.is("}")) {
      const designators: Designator[] = [];
      let sub: CType | null = null;
      if (this.tok().kind === TokKind.Ident && this.peek().text === ":" && !KEYWORDS.has(this.tok().text)) {
        // GNU old-style `field: value`
        const name = this.next();
        this.next();
        sub = this.fieldDesignator(cursor, designators, name.text, name.pos);
      } else {
        let curType: CType | null = type;
        let first = true;
        while (this.is(".") || this.is("[")) {
          if (this.accept(".")) {
            const name = this.ident();
            if (!curType || curType.kind !== TypeKind.Record) throw this.error(`field name '${name.text}' not in record type initializer`, name.pos);
            if (first) curType = this.fieldDesignator(cursor, designators, name.text, name.pos);
            else {
              const path = findField(curType.def, name.text);
              if (!path) throw this.error(`unknown field '${name.text}' specified in initializer`, name.pos);
              designators.push({ kind: "field", name: name.text, path });
              curType = path[path.length - 1]!.type;
            }
          } else {
            this.next();
            const index = this.conditionalExpr();
            const v = this.constValue(index);
            if (v === null) throw this.error("array index in initializer is not an integer constant", index.pos);
            let end: Expr | null = null;
            let endV = v;
            if (this.accept("...")) {
              end = this.conditionalExpr();
              const ev = this.constValue(end);
              if (ev === null) throw this.error("array index range in initializer is not an integer constant", end.pos);
              endV = ev;
            }
            this.expect("]");
            if (!curType || curType.kind !== TypeKind.Array) throw this.error("array index in non-array initializer", index.pos);
            designators.push({ kind: "index", index, end });
            if (first) cursor.setIndex(Number(endV));
            curType = curType.of;
          }
          first = false;
        }
        if (designators.length) {
          if (!this.accept("=") && designators[designators.length - 1]!.kind === "field") this.expect("=");
          sub = curType;
        }
      }
      if (designators.length === 0) sub = cursor.nextType();
      const value = this.is("{") ? this.initList(sub ?? voidType) : this.assignExpr();
      if (value.kind === NodeKind.InitList) cursor.advance();
      else if (sub !== null) cursor.consumeScalar(value, sub);
      items.push({ designators, value });
      if (!this.accept(",")) break;
    }
    this.expect("}");
    this.leave();
    let listType = type;
    if (type.kind === TypeKind.Array && type.length === null) {
      const only = items.length === 1 ? items[0]! : null;
      const length = only && only.designators.length === 0 && only.value.kind === NodeKind.StringLit && type.of.kind === TypeKind.Int ? only.value.units.length + 1 : cursor.length();
      listType = { ...type, length };
    }
    return { kind: NodeKind.InitList, pos, type: listType, items };
  }

  private fieldDesignator(cursor: InitCursor, designators: Designator[], name: string, pos: SourcePosition): CType {
    const t = cursor.type;
    if (t.kind !== TypeKind.Record) throw this.error(`field name '${name}' not in record type initializer`, pos);
    const path = findField(t.def, name);
    if (!path) throw this.error(`unknown field '${name}' specified in initializer`, pos);
    designators.push({ kind: "field", name, path });
    cursor.setField(path[0]!);
    return path[path.length - 1]!.type;
  }

  // ---- expressions ----

  private constValue(e: Expr): bigint | null {
    return evalConst(e, this.abi);
  }

  private expr(): Expr {
    let e = this.assignExpr();
    while (this.is(",")) {
      const pos = this.next().pos;
      const right = this.assignExpr();
      e = { kind: NodeKind.Comma, pos, type: decay(right.type), left: e, right };
    }
    return e;
  }

  private assignExpr(): Expr {
    this.enter();
    const left = this.conditionalExpr();
    const t = this.tok();
    if (t.kind === TokKind.Punct && ASSIGN_OPS.has(t.text)) {
      this.next();
      const value = this.assignExpr();
      this.leave();
      return this.makeAssign(t.text as AssignOp, left, value, t.pos);
    }
    this.leave();
    return left;
  }

  private makeAssign(op: AssignOp, target: Expr, value: Expr, pos: SourcePosition): Expr {
    const tt = target.type;
    if (tt.kind === TypeKind.Array || tt.kind === TypeKind.Function) throw this.error("assignment to expression with array or function type", pos);
    if (tt.quals & Q_CONST) this.warn("assignment of read-only location", pos);
    let opType: CType = unqualified(tt);
    if (op !== "=") {
      const binop = op.slice(0, -1) as BinaryOp;
      opType = this.binaryTypes(binop, target, value, pos).opType;
    } else {
      this.checkAssignable(tt, value, pos);
    }
    return { kind: NodeKind.Assign, pos, type: unqualified(tt), op, target, value, opType };
  }

  private checkAssignable(to: CType, value: Expr, pos: SourcePosition): void {
    const from = decay(value.type);
    if (to.kind === TypeKind.Record) {
      if (from.kind !== TypeKind.Record || from.def !== to.def) throw this.error("incompatible types in assignment to a struct/union", pos);
    } else if (isScalar(to) && !isScalar(from)) {
      throw this.error("incompatible types in assignment (non-scalar value)", pos);
    }
    this.checkConvention(to, value, pos, "assignment");
  }

  /** A pointer to a function of one calling convention converted implicitly to a pointer to another: gcc and tcc warn (incompatible pointer types). */
  private checkConvention(to: CType, value: Expr, pos: SourcePosition, what: string): void {
    const from = decay(value.type);
    if (to.kind !== TypeKind.Pointer || from.kind !== TypeKind.Pointer || to.to.kind !== TypeKind.Function || from.to.kind !== TypeKind.Function) return;
    if (to.to.convention === from.to.convention) return;
    const name = (c: CallingConvention | undefined): string => (c === undefined ? "cdecl" : conventionAttribute(c));
    this.warn(`${what} from incompatible pointer type: a ${name(from.to.convention)} function where a ${name(to.to.convention)} one is expected`, pos);
  }

  private conditionalExpr(): Expr {
    const cond = this.binaryExpr(1);
    if (!this.is("?")) return cond;
    const pos = this.next().pos;
    let then: Expr | null = null;
    if (!this.is(":")) then = this.expr();
    this.expect(":");
    const els = this.conditionalExpr();
    const type = this.conditionalType(then ?? cond, els, pos);
    return { kind: NodeKind.Conditional, pos, type, cond, then, else: els };
  }

  private conditionalType(a: Expr, b: Expr, pos: SourcePosition): CType {
    const x = this.operandType(a);
    const y = this.operandType(b);
    if (isArithmetic(x) && isArithmetic(y)) return this.abi.usualArithmetic(x, y);
    if (x.kind === TypeKind.Void || y.kind === TypeKind.Void) return voidType;
    if (x.kind === TypeKind.Pointer && y.kind === TypeKind.Pointer) {
      if (isNullPointer(a, this.abi)) return y;
      if (isNullPointer(b, this.abi)) return x;
      const quals = x.to.quals | y.to.quals;
      if (x.to.kind === TypeKind.Void || y.to.kind === TypeKind.Void) return pointerTo(withQuals(voidType, quals));
      const to = x.to.kind === TypeKind.Array && x.to.length === null ? y.to : x.to;
      return pointerTo(withQuals(to, quals));
    }
    if (x.kind === TypeKind.Pointer && isInteger(y)) return x;
    if (y.kind === TypeKind.Pointer && isInteger(x)) return y;
    if (x.kind === TypeKind.Record && y.kind === TypeKind.Record && x.def === y.def) return unqualified(x);
    throw this.error("type mismatch in conditional expression", pos);
  }

  private binaryExpr(minPrec: number): Expr {
    let left = this.castExpr();
    for (;;) {
      const t = this.tok();
      const prec = t.kind === TokKind.Punct ? BINARY_PREC[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      this.enter();
      const right = this.binaryExpr(prec + 1);
      this.leave();
      const op = t.text as BinaryOp;
      const { type, opType } = this.binaryTypes(op, left, right, t.pos);
      left = { kind: NodeKind.Binary, pos: t.pos, type, op, left, right, opType };
    }
  }

  /** A field's type as a member access sees it: tcc's PCC layout gives a 64-bit bit-field of at most 32 bits type int (keeping its signedness). */
  private memberType(field: Field, record: CType): CType {
    const t = field.type;
    if (field.bitWidth === null || field.bitWidth > 32 || t.kind !== TypeKind.Int || this.abi.sizeOf(t) !== 8) return t;
    if (record.kind === TypeKind.Record && record.def.msBitfields) return t;
    return withQuals(t.signed ? intType : uintType, t.quals);
  }

  /**
   * The type an operand takes part in arithmetic with: a bit-field converts as
   * tcc converts it (combine_types), to int, or to signed long long when its
   * type is 64-bit (a 64-bit bit-field of at most 32 bits is int in PCC
   * layout); only a non-bit-field operand makes the operation unsigned.
   */
  private operandType(e: Expr): CType {
    const t = this.bitFieldValueType(e);
    return t ? { ...t, signed: true } : decay(e.type);
  }

  /**
   * The type tcc loads a bit-field member's value in (gv): int, or the 64-bit
   * type for a 64-bit bit-field, with the bit-field's signedness; null when
   * `e` is no bit-field to tcc (one as wide as its type is an ordinary member,
   * unless packed).
   */
  private bitFieldValueType(e: Expr): IntType | null {
    if (e.kind !== NodeKind.Member) return null;
    const field = e.path[e.path.length - 1]!;
    const t = e.type;
    if (field.bitWidth === null || !isInteger(t) || (field.bitWidth === this.abi.sizeOf(field.type) * 8 && !field.packed)) return null;
    const signed = t.kind !== TypeKind.Bool && (t.kind === TypeKind.Enum ? t.def.underlying.signed : t.signed);
    const rank = t.kind === TypeKind.Int && this.abi.sizeOf(t) === 8 ? t.rank : "int";
    return { kind: TypeKind.Int, rank, signed, plainChar: false, quals: 0 };
  }

  private binaryTypes(op: BinaryOp, left: Expr, right: Expr, pos: SourcePosition): { type: CType; opType: CType } {
    const l = this.operandType(left);
    const r = this.operandType(right);
    switch (op) {
      case "&&":
      case "||":
        if (!isScalar(l) || !isScalar(r)) throw this.error(`invalid operands to '${op}'`, pos);
        return { type: intType, opType: intType };
      case "==":
      case "!=":
      case "<":
      case ">":
      case "<=":
      case ">=":
        if (isArithmetic(l) && isArithmetic(r)) return { type: intType, opType: this.abi.usualArithmetic(l, r) };
        if ((l.kind === TypeKind.Pointer || isInteger(l)) && (r.kind === TypeKind.Pointer || isInteger(r))) {
          return { type: intType, opType: l.kind === TypeKind.Pointer ? l : r };
        }
        throw this.error(`invalid operands to '${op}'`, pos);
      case "+":
        if (isArithmetic(l) && isArithmetic(r)) return this.arith(l, r);
        if (l.kind === TypeKind.Pointer && isInteger(r)) return { type: l, opType: l };
        if (r.kind === TypeKind.Pointer && isInteger(l)) return { type: r, opType: r };
        throw this.error("invalid operands to binary '+'", pos);
      case "-":
        if (isArithmetic(l) && isArithmetic(r)) return this.arith(l, r);
        if (l.kind === TypeKind.Pointer && isInteger(r)) return { type: l, opType: l };
        if (l.kind === TypeKind.Pointer && r.kind === TypeKind.Pointer) return { type: this.abi.ptrdiffType(), opType: l };
        throw this.error("invalid operands to binary '-'", pos);
      case "<<":
      case ">>": {
        if (!isInteger(l) || !isInteger(r)) throw this.error(`invalid operands to binary '${op}'`, pos);
        const p = this.abi.promote(l);
        return { type: p, opType: p };
      }
      case "%":
      case "&":
      case "^":
      case "|":
        if (!isInteger(l) || !isInteger(r)) throw this.error(`invalid operands to binary '${op}'`, pos);
        return this.arith(l, r);
      default:
        if (!isArithmetic(l) || !isArithmetic(r)) throw this.error(`invalid operands to binary '${op}'`, pos);
        return this.arith(l, r);
    }
  }

  private arith(l: CType, r: CType): { type: CType; opType: CType } {
    const t = this.abi.usualArithmetic(l, r);
    return { type: t, opType: t };
  }

  private castExpr(): Expr {
    if (this.is("(") && this.startsDeclaration(this.peek())) {
      const pos = this.next().pos;
      const type = this.typeName();
      this.expect(")");
      if (this.is("{")) return this.postfixOps(this.compoundLiteral(type, pos));
      this.enter();
      const operand = this.castExpr();
      this.leave();
      if (type.kind !== TypeKind.Void && !isScalar(type)) {
        if (!(type.kind === TypeKind.Record && operand.type.kind === TypeKind.Record && operand.type.def === type.def)) {
          throw this.error("conversion to non-scalar type requested", pos);
        }
      }
      if (type.kind !== TypeKind.Void && !isScalar(decay(operand.type)) && operand.type.kind !== TypeKind.Record) {
        throw this.error("cast of a value that is not a scalar", pos);
      }
      // a cast yields an rvalue: top-level qualifiers are dropped
      return { kind: NodeKind.Cast, pos, type: type.quals ? { ...type, quals: 0 } : type, operand };
    }
    return this.unaryExpr();
  }

  private compoundLiteral(type: CType, pos: SourcePosition): Expr {
    const init = this.initList(type);
    let t = type;
    if (t.kind === TypeKind.Array && t.length === null) {
      t = { ...t, length: initArrayLength(t, init) };
      init.type = t;
    }
    return { kind: NodeKind.CompoundLiteral, pos, type: t, init };
  }

  private unaryExpr(): Expr {
    const t = this.tok();
    const pos = t.pos;
    if (t.kind === TokKind.Punct) {
      switch (t.text) {
        case "++":
        case "--": {
          this.next();
          const operand = this.unaryOperand();
          this.checkIncrementable(operand, t.text);
          return { kind: NodeKind.Unary, pos, type: unqualified(operand.type), op: t.text, operand };
        }
        case "&": {
          this.next();
          const operand = this.castOperand();
          return { kind: NodeKind.Unary, pos, type: pointerTo(operand.type), op: "&", operand };
        }
        case "*": {
          this.next();
          const operand = this.castOperand();
          const ot = decay(operand.type);
          if (ot.kind !== TypeKind.Pointer) throw this.error("invalid type argument of unary '*'", pos);
          return { kind: NodeKind.Unary, pos, type: ot.to, op: "*", operand };
        }
        case "-":
        case "+":
        case "~": {
          this.next();
          const operand = this.castOperand();
          const ot = this.operandType(operand);
          if (t.text === "~" ? !isInteger(ot) : !isArithmetic(ot)) throw this.error(`wrong type argument to unary '${t.text}'`, pos);
          return { kind: NodeKind.Unary, pos, type: this.abi.promote(ot), op: t.text, operand };
        }
        case "!": {
          this.next();
          const operand = this.castOperand();
          if (!isScalar(decay(operand.type))) throw this.error("wrong type argument to unary '!'", pos);
          return { kind: NodeKind.Unary, pos, type: intType, op: "!", operand };
        }
        case "&&": {
          this.next();
          const label = this.ident().text;
          return { kind: NodeKind.LabelAddr, pos, type: pointerTo(voidType), label };
        }
      }
    } else if (t.kind === TokKind.Ident) {
      switch (t.text) {
        case "sizeof": {
          this.next();
          if (this.is("(") && this.startsDeclaration(this.peek())) {
            this.next();
            const of = this.typeName();
            this.expect(")");
            if (this.is("{")) {
              const lit = this.postfixOps(this.compoundLiteral(of, pos));
              return this.sizeofExpr(lit, pos);
            }
            if (!isComplete(of) && of.kind !== TypeKind.Void && of.kind !== TypeKind.Function) throw this.error("invalid application of 'sizeof' to an incomplete type", pos);
            return { kind: NodeKind.SizeofType, pos, type: this.abi.sizeType(), of };
          }
          return this.sizeofExpr(this.unaryOperand(), pos);
        }
        case "_Alignof":
        case "__alignof__":
        case "__alignof": {
          this.next();
          if (this.is("(") && this.startsDeclaration(this.peek())) {
            this.next();
            const of = this.typeName();
            this.expect(")");
            return { kind: NodeKind.AlignofType, pos, type: this.abi.sizeType(), of, keyword: t.text };
          }
          const operand = this.unaryOperand();
          return { kind: NodeKind.AlignofExpr, pos, type: this.abi.sizeType(), operand };
        }
        case "__extension__":
          this.next();
          return this.castOperand();
        case "__real__":
        case "__imag__":
          throw this.error(`'${t.text}' (complex numbers) is not supported`);
      }
    }
    return this.postfixOps(this.primary());
  }

  private sizeofExpr(operand: Expr, pos: SourcePosition): Expr {
    if (!isComplete(operand.type) && operand.type.kind !== TypeKind.Void && operand.type.kind !== TypeKind.Function) {
      throw this.error("invalid application of 'sizeof' to an incomplete type", pos);
    }
    return { kind: NodeKind.SizeofExpr, pos, type: this.abi.sizeType(), operand };
  }

  private unaryOperand(): Expr {
    this.enter();
    const e = this.unaryExpr();
    this.leave();
    return e;
  }

  private castOperand(): Expr {
    this.enter();
    const e = this.castExpr();
    this.leave();
    return e;
  }

  private checkIncrementable(e: Expr, op: string): void {
    const t = e.type;
    if (!(isArithmetic(t) || t.kind === TypeKind.Pointer)) throw this.error(`wrong type argument to '${op}'`, e.pos);
  }

  private postfixOps(base: Expr): Expr {
    let e = base;
    for (;;) {
      const t = this.tok();
      if (t.kind !== TokKind.Punct) return e;
      switch (t.text) {
        case "[": {
          this.next();
          const index = this.expr();
          this.expect("]");
          const bt = decay(e.type);
          const it = decay(index.type);
          let elem: CType;
          if (bt.kind === TypeKind.Pointer && isInteger(it)) elem = bt.to;
          else if (it.kind === TypeKind.Pointer && isInteger(bt)) elem = it.to;
          else throw this.error("subscripted value is neither array nor pointer", t.pos);
          e = { kind: NodeKind.Index, pos: t.pos, type: elem, base: e, index };
          break;
        }
        case "(":
          e = this.call(e, t.pos);
          break;
        case ".":
        case "->": {
          this.next();
          const name = this.ident();
          let rt = e.type;
          if (t.text === "->") {
            const pt = decay(rt);
            if (pt.kind !== TypeKind.Pointer) throw this.error(`invalid type argument of '->'`, t.pos);
            rt = pt.to;
          }
          if (rt.kind !== TypeKind.Record) throw this.error(`request for member '${name.text}' in something not a structure or union`, name.pos);
          if (rt.def.fields === null) throw this.error(`dereferencing pointer to incomplete type 'struct ${rt.def.tag ?? ""}'`, name.pos);
          const path = findField(rt.def, name.text);
          if (!path) throw this.error(`'${recordName(rt.def)}' has no member named '${name.text}'`, name.pos);
          const field = path[path.length - 1]!;
          const ft = this.memberType(field, path.length > 1 ? path[path.length - 2]!.type : rt);
          const type = rt.quals ? withQuals(ft, ft.quals | rt.quals) : ft;
          e = { kind: NodeKind.Member, pos: t.pos, type, base: e, name: name.text, arrow: t.text === "->", path };
          break;
        }
        case "++":
        case "--":
          this.next();
          this.checkIncrementable(e, t.text);
          // tcc's postfix value of a bit-field is the loaded value (bitFieldValueType)
          e = { kind: NodeKind.Postfix, pos: t.pos, type: this.bitFieldValueType(e) ?? unqualified(e.type), op: t.text, operand: e };
          break;
        default:
          return e;
      }
    }
  }

  private call(callee: Expr, pos: SourcePosition): Expr {
    this.expect("(");
    const args: Expr[] = [];
    while (!this.is(")")) {
      args.push(this.assignExpr());
      if (!this.accept(",")) break;
    }
    this.expect(")");
    let ft = decay(callee.type);
    if (ft.kind === TypeKind.Pointer) ft = ft.to;
    if (ft.kind !== TypeKind.Function) throw this.error("called object is not a function or function pointer", pos);
    if (ft.prototyped) {
      if (args.length < ft.params.length || (!ft.variadic && args.length > ft.params.length)) {
        throw this.error(`too ${args.length < ft.params.length ? "few" : "many"} arguments to function${callee.kind === NodeKind.Ident ? ` '${callee.name}'` : ""}`, pos);
      }
      ft.params.forEach((p, i) => this.checkConvention(p.type, args[i]!, args[i]!.pos, `passing argument ${i + 1}`));
    }
    return { kind: NodeKind.Call, pos, type: ft.ret, callee, args, fnType: ft };
  }

  private primary(): Expr {
    const t = this.tok();
    const pos = t.pos;
    switch (t.kind) {
      case TokKind.Number:
        this.next();
        return this.numberLiteral(t);
      case TokKind.Char:
        this.next();
        return this.charLiteral(t);
      case TokKind.String:
        return this.stringLiteral();
      case TokKind.Punct:
        if (t.text === "(") {
          this.next();
          if (this.is("{")) {
            const body = this.compound();
            this.expect(")");
            return { kind: NodeKind.StmtExpr, pos, type: stmtExprType(body), body };
          }
          this.enter();
          const e = this.expr();
          this.leave();
          this.expect(")");
          return e;
        }
        throw this.error(`expected an expression before ${this.describe(t)}`);
      case TokKind.Ident:
        return this.identExpr(t);
      default:
        throw this.error(`expected an expression before ${this.describe(t)}`);
    }
  }

  private identExpr(t: Token): Expr {
    const pos = t.pos;
    const name = t.text;
    if (name === "_Generic") return this.generic();
    if (BUILTINS.has(name as BuiltinName)) return this.builtin(name as BuiltinName);
    if (name === "__func__" || name === "__FUNCTION__" || name === "__PRETTY_FUNCTION__") {
      this.next();
      if (!this.currentFunction) throw this.error(`'${name}' is not defined outside of function scope`, pos);
      this.funcNameSym ??= {
        ...this.newSymbol(SymbolKind.Object, "__func__", arrayOf(withQuals(charType, Q_CONST), this.currentFunction.name.length + 1), pos, "static"),
        builtin: true,
        defined: true,
      };
      return { kind: NodeKind.Ident, pos, type: this.funcNameSym.type, name: "__func__", sym: this.funcNameSym };
    }
    if (KEYWORDS.has(name)) throw this.error(`expected an expression before '${name}'`);
    this.next();
    let sym = this.lookup(name);
    if (!sym) {
      if (!this.is("(")) throw this.error(`'${name}' undeclared`, pos);
      this.warn(`implicit declaration of function '${name}'`, pos);
      const fnType: FunctionType = { kind: TypeKind.Function, ret: intType, params: [], variadic: false, prototyped: false, quals: 0 };
      sym = this.newSymbol(SymbolKind.Function, name, fnType, pos, "extern");
      sym.global = true;
      this.scopes[0]!.names.set(name, sym);
    }
    if (sym.kind === SymbolKind.Typedef) throw this.error(`unexpected type name '${name}': expected an expression`, pos);
    return { kind: NodeKind.Ident, pos, type: sym.type, name, sym };
  }

  private generic(): Expr {
    const pos = this.next().pos;
    this.expect("(");
    const control = this.assignExpr();
    const ct = unqualified(decay(control.type));
    const assocs: { type: CType | null; expr: Expr }[] = [];
    let selected = -1;
    let dflt = -1;
    while (this.accept(",")) {
      let type: CType | null = null;
      if (this.accept("default")) dflt = assocs.length;
      else type = this.typeName();
      this.expect(":");
      const expr = this.assignExpr();
      if (type && selected < 0 && compatible(ct, unqualified(type))) selected = assocs.length;
      assocs.push({ type, expr });
    }
    this.expect(")");
    if (selected < 0) selected = dflt;
    if (selected < 0) throw this.error("_Generic selector of type matches no association", pos);
    return { kind: NodeKind.Generic, pos, type: assocs[selected]!.expr.type, control, assocs, selected };
  }

  private builtin(name: BuiltinName): Builtin {
    const pos = this.next().pos;
    this.expect("(");
    const args: Expr[] = [];
    const typeArgs: CType[] = [];
    let type: CType = intType;
    let designator: string | undefined;
    switch (name) {
      case "__builtin_types_compatible_p":
        typeArgs.push(this.typeName());
        this.expect(",");
        typeArgs.push(this.typeName());
        break;
      case "__builtin_va_arg_types":
        typeArgs.push(this.typeName());
        break;
      case "__builtin_va_arg":
        args.push(this.assignExpr());
        this.expect(",");
        typeArgs.push(this.typeName());
        type = typeArgs[0]!;
        break;
      case "__builtin_offsetof": {
        const t = this.typeName();
        typeArgs.push(t);
        this.expect(",");
        const start = this.i;
        let depth = 0;
        while (!(depth === 0 && this.is(")"))) {
          const k = this.next();
          if (k.kind === TokKind.Eof) throw this.error("unterminated __builtin_offsetof", pos);
          if (k.text === "(" || k.text === "[") depth++;
          if (k.text === ")" || k.text === "]") depth--;
        }
        designator = this.tokens.slice(start, this.i).map((k) => k.text).join("");
        type = this.abi.sizeType();
        break;
      }
      default: {
        while (!this.is(")")) {
          args.push(this.assignExpr());
          if (!this.accept(",")) break;
        }
        const arity: Partial<Record<BuiltinName, number>> = {
          __builtin_expect: 2, __builtin_constant_p: 1, __builtin_choose_expr: 3, __builtin_frame_address: 1, __builtin_return_address: 1,
          __builtin_va_start: 2, __builtin_va_end: 1, __builtin_va_copy: 2,
        };
        if (arity[name] !== undefined && args.length !== arity[name]) throw this.error(`wrong number of arguments to '${name}'`, pos);
        if (name === "__builtin_expect") type = decay(args[0]!.type);
        else if (name === "__builtin_frame_address" || name === "__builtin_return_address") type = pointerTo(voidType);
        else if (name === "__builtin_va_start" || name === "__builtin_va_end" || name === "__builtin_va_copy") type = voidType;
        else if (name === "__builtin_choose_expr") {
          const c = this.constValue(args[0]!);
          if (c === null) throw this.error("first argument to __builtin_choose_expr not a constant", pos);
          type = args[c !== 0n ? 1 : 2]!.type;
        }
      }
    }
    this.expect(")");
    const b: Builtin = { kind: NodeKind.Builtin, pos, type, name, args, typeArgs };
    if (designator !== undefined) b.designator = designator;
    return b;
  }

  private numberLiteral(t: Token): Expr {
    const text = t.text;
    const pos = t.pos;
    const radix = /^0[xX]/.test(text) ? 16 : /^0[bB]/.test(text) ? 2 : 10;
    if ((radix !== 10 && /[pP]/.test(text)) || (radix === 10 && /[.eE]/.test(text))) {
      const m = /^(.*?)([fFlL]?)$/.exec(text)!;
      const value = radix !== 10 ? parseRadixFloat(m[1]!, radix) : Number(m[1]!);
      if (Number.isNaN(value)) throw this.error(`invalid floating constant '${text}'`, pos);
      const suffix = m[2]!.toLowerCase();
      return { kind: NodeKind.FloatLit, pos, type: suffix === "f" ? floatType : suffix === "l" ? ldoubleType : doubleType, value, text };
    }
    const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$/.exec(text);
    if (!m) throw this.error(`invalid integer constant '${text}'`, pos);
    const digits = m[1]!;
    const suffix = m[2]!.toLowerCase();
    if (!/^(u?(l|ll)?|(l|ll)u)$/.test(suffix)) throw this.error(`invalid suffix '${m[2]}' on integer constant`, pos);
    if (/^0[0-9]/.test(digits) && /[89]/.test(digits)) throw this.error(`invalid digit in octal constant '${text}'`, pos);
    let value: bigint;
    if (/^0[bB]/.test(digits)) value = BigInt(digits);
    else if (/^0[0-7]+$/.test(digits)) value = BigInt("0o" + digits.slice(1));
    else value = BigInt(digits);
    const unsigned = suffix.includes("u");
    const longs = suffix.includes("ll") ? 2 : suffix.includes("l") ? 1 : 0;
    const decimal = !/^0/.test(digits) || digits === "0";
    const candidates: IntType[] = [];
    if (longs === 0) candidates.push(...(unsigned ? [uintType] : decimal ? [intType] : [intType, uintType]));
    if (longs <= 1) candidates.push(...(unsigned ? [ulongType] : decimal ? [longType] : [longType, ulongType]));
    candidates.push(...(unsigned ? [ullongType] : decimal ? [llongType] : [llongType, ullongType]));
    let type: IntType = unsigned ? ullongType : decimal ? llongType : ullongType;
    for (const c of candidates) {
      const bits = BigInt(this.abi.info.intSize[c.rank] * 8);
      const max = c.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
      if (value <= max) {
        type = c;
        break;
      }
    }
    if (value >= 1n << 64n) throw this.error(`integer constant '${text}' is too large`, pos);
    return { kind: NodeKind.IntLit, pos, type, value, text };
  }

  private charLiteral(t: Token): Expr {
    const m = /^(L|u|U|u8)?'(.*)'$/s.exec(t.text)!;
    const prefix = m[1] ?? "";
    const units = decodeEscapes(m[2]!, prefix === "" ? 8 : prefix === "u" ? 16 : 32, (msg) => this.error(msg, t.pos));
    if (units.length === 0) throw this.error("empty character constant", t.pos);
    let value: bigint;
    let type: CType = intType;
    if (prefix === "") {
      // multi-character constants: big-endian packing of bytes, as gcc
      let v = 0n;
      for (const u of units) v = ((v << 8n) | BigInt(u & 0xff)) & 0xffffffffn;
      value = units.length === 1 && this.abi.info.charSigned ? BigInt.asIntN(8, BigInt(units[0]!)) : BigInt.asIntN(32, v);
    } else {
      value = BigInt(units[units.length - 1]!);
      type = prefix === "u" ? ushortType : prefix === "U" ? uintType : intType;
    }
    return { kind: NodeKind.IntLit, pos: t.pos, type, value, text: t.text };
  }

  private stringLiteral(): Expr {
    const pos = this.tok().pos;
    let prefix: StringPrefix = "";
    const parts: { body: string; pos: SourcePosition }[] = [];
    while (this.tok().kind === TokKind.String) {
      const t = this.next();
      const m = /^(L|u8|u|U)?"(.*)"$/s.exec(t.text)!;
      const p = (m[1] ?? "") as StringPrefix;
      if (p !== "" && p !== "u8") {
        if (prefix !== "" && prefix !== "u8" && prefix !== p) throw this.error("concatenation of string literals with different prefixes", t.pos);
        prefix = p;
      } else if (p === "u8" && prefix === "") prefix = "u8";
      parts.push({ body: m[2]!, pos: t.pos });
    }
    const width = prefix === "" || prefix === "u8" ? 8 : prefix === "u" ? 16 : 32;
    const units: number[] = [];
    for (const part of parts) units.push(...decodeEscapes(part.body, width, (msg) => this.error(msg, part.pos)));
    const elem: CType = prefix === "" || prefix === "u8" ? charType : prefix === "u" ? ushortType : prefix === "U" ? uintType : intType;
    const type = arrayOf(elem === charType ? plainChar(this.abi) : elem, units.length + 1);
    return { kind: NodeKind.StringLit, pos, type, units, prefix };
  }

  private stringText(): string {
    if (this.tok().kind !== TokKind.String) throw this.error(`expected a string literal before ${this.describe(this.tok())}`);
    const s = this.stringLiteral() as Expr & { kind: NodeKind.StringLit };
    return String.fromCharCode(...s.units);
  }
}

function normalizeTypeKeyword(w: string): string {
  if (w === "__signed" || w === "__signed__") return "signed";
  if (w === "__complex__") return "_Complex";
  if (w === "__int128_t") return "__int128";
  if (w === "__uint128_t") return "__int128";
  return w;
}

function plainChar(abi: Abi): IntType {
  return abi.info.charSigned ? charType : { ...charType, signed: false };
}

function recordName(def: RecordDef): string {
  return `${def.union ? "union" : "struct"} ${def.tag ?? def.typedefName ?? "<anonymous>"}`;
}

function nameAnonymousTag(type: CType, name: string): void {
  if (type.kind === TypeKind.Record && type.def.typedefName === null && type.quals === 0) type.def.typedefName = name;
  if (type.kind === TypeKind.Enum && type.def.typedefName === null && type.quals === 0) type.def.typedefName = name;
}

function allFieldNames(def: RecordDef): string[] {
  const out: string[] = [];
  for (const f of def.fields ?? []) {
    if (f.name !== null) out.push(f.name);
    else if (f.anonymous && f.type.kind === TypeKind.Record) out.push(...allFieldNames(f.type.def));
  }
  return out;
}

/** A later declaration's type says more (array length known, prototype given). */
function betterType(a: CType, b: CType): boolean {
  if (a.kind === TypeKind.Array && b.kind === TypeKind.Array) return b.length === null && a.length !== null;
  if (a.kind === TypeKind.Function && b.kind === TypeKind.Function) return a.prototyped || !b.prototyped;
  return false;
}

function isNullPointer(e: Expr, abi: Abi): boolean {
  if (e.kind === NodeKind.Cast && e.type.kind === TypeKind.Pointer && e.type.to.kind === TypeKind.Void && e.type.to.quals === 0) return isNullPointer(e.operand, abi);
  return isInteger(e.type) && evalConst(e, abi) === 0n;
}

function stmtExprType(body: Compound): CType {
  const last = body.items[body.items.length - 1];
  if (last && last.kind === NodeKind.ExprStmt) return unqualified(decay(last.expr.type));
  return voidType;
}

/** Hexadecimal (C99) or binary (tcc extension) floating constant: `0x1.8p3`, `0b1.1p3`. */
function parseRadixFloat(s: string, radix: 16 | 2): number {
  const digit = radix === 16 ? "[0-9a-fA-F]" : "[01]";
  const m = new RegExp(`^0[xXbB](${digit}*)(?:\\.(${digit}*))?[pP]([+-]?\\d+)$`).exec(s);
  if (!m) return NaN;
  const int = m[1] ?? "";
  const frac = m[2] ?? "";
  if (int === "" && frac === "") return NaN;
  const bitsPerDigit = radix === 16 ? 4 : 1;
  let mant = 0;
  for (const ch of int + frac) mant = mant * radix + parseInt(ch, radix);
  return mant * Math.pow(2, Number(m[3]) - bitsPerDigit * frac.length);
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, E: 27, "\\": 92, "'": 39, '"': 34, "?": 63 };

const UTF8 = new TextEncoder();

/** Decode a literal body into code units of `width` bits (UTF-8 for 8-bit literals). */
function decodeEscapes(body: string, width: number, fail: (msg: string) => ParseError): number[] {
  const out: number[] = [];
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  const pushCodePoint = (cp: number): void => {
    if (width === 8 && cp < 0x80) out.push(cp);
    else if (width === 8) for (const b of UTF8.encode(String.fromCodePoint(cp))) out.push(b);
    else if (width === 16 && cp > 0xffff) {
      const c = cp - 0x10000;
      out.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    } else out.push(cp);
  };
  for (let i = 0; i < body.length; ) {
    const ch = body[i]!;
    if (ch !== "\\") {
      const cp = body.codePointAt(i)!;
      pushCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw fail("incomplete escape sequence");
    if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e >= "0" && e <= "7") {
      let k = i + 1;
      let v = 0;
      while (k < body.length && k < i + 4 && body[k]! >= "0" && body[k]! <= "7") v = v * 8 + Number(body[k++]);
      out.push(v & mask);
      i = k;
    } else if (e === "x") {
      let k = i + 2;
      let v = 0n;
      while (k < body.length && /[0-9a-fA-F]/.test(body[k]!)) v = v * 16n + BigInt(parseInt(body[k++]!, 16));
      if (k === i + 2) throw fail("\\x used with no following hex digits");
      out.push(Number(v & BigInt(mask)));
      i = k;
    } else if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw fail(`incomplete universal character name \\${e}${hex}`);
      pushCodePoint(parseInt(hex, 16));
      i += 2 + n;
    } else {
      out.push(e.charCodeAt(0));
      i += 2;
    }
  }
  return out;
}

/**
 * Walks the sub-objects of an aggregate as an initializer list fills them
 * (C11 6.7.9), so nested braced lists get their sub-object's type and
 * unsized arrays their length.
 */
class InitCursor {
  private fieldIndex = 0;
  index = 0;
  maxIndex = 0;
  /** Scalars still owed to an aggregate sub-object being filled without braces. */
  private elided = 0;
  constructor(readonly type: CType) {}

  setField(f: Field): void {
    if (this.type.kind === TypeKind.Record) this.fieldIndex = this.type.def.fields!.indexOf(f);
    this.elided = 0;
  }

  setIndex(i: number): void {
    this.index = i;
    this.elided = 0;
  }

  /** Type of the next sub-object filled positionally (null past the end or for scalars). */
  nextType(): CType | null {
    const t = this.type;
    if (t.kind === TypeKind.Array) return t.of;
    if (t.kind === TypeKind.Record) {
      const fields = t.def.fields ?? [];
      while (this.fieldIndex < fields.length && fields[this.fieldIndex]!.name === null && !fields[this.fieldIndex]!.anonymous) this.fieldIndex++;
      return fields[this.fieldIndex]?.type ?? null;
    }
    return t;
  }

  /** Account for one initializer value for the sub-object of type `sub`; braced lists use consumeScalar with their own type. */
  consumeScalar(value: Expr, sub: CType): void {
    if (this.elided > 0) {
      this.elided--;
      if (this.elided === 0) this.advance();
      return;
    }
    const vt = value.type;
    const direct =
      !(sub.kind === TypeKind.Array || sub.kind === TypeKind.Record) ||
      (sub.kind === TypeKind.Record && vt.kind === TypeKind.Record && vt.def === sub.def) ||
      (sub.kind === TypeKind.Array && value.kind === NodeKind.StringLit);
    if (direct) {
      this.advance();
      return;
    }
    const n = scalarCount(sub);
    if (n <= 1) this.advance();
    else this.elided = n - 1;
  }

  /** Elements reached so far (an array's length when unsized). */
  length(): number {
    return Math.max(this.maxIndex, this.elided > 0 ? this.index + 1 : 0);
  }

  advance(): void {
    if (this.type.kind === TypeKind.Array) {
      this.index++;
      if (this.index > this.maxIndex) this.maxIndex = this.index;
    } else if (this.type.kind === TypeKind.Record) {
      this.fieldIndex = this.type.def.union ? (this.type.def.fields?.length ?? 0) : this.fieldIndex + 1;
    }
  }
}

/** Number of scalars that fill a sub-object under brace elision. */
function scalarCount(t: CType): number {
  if (t.kind === TypeKind.Array) return (t.length ?? 0) * scalarCount(t.of);
  if (t.kind === TypeKind.Record) {
    const fields = (t.def.fields ?? []).filter((f) => f.name !== null || f.anonymous);
    if (t.def.union) return fields.length ? scalarCount(fields[0]!.type) : 0;
    return fields.reduce((s, f) => s + scalarCount(f.type), 0);
  }
  return 1;
}

/** Length of an unsized array from its initializer (initList completes the type of its own list). */
function initArrayLength(t: ArrayType, init: Expr): number | null {
  if (init.kind === NodeKind.StringLit) return init.units.length + 1;
  if (init.kind === NodeKind.InitList && init.type.kind === TypeKind.Array) return init.type.length;
  return t.length;
}
