// Lexer: preprocessed C text -> tokens, each with its original position.
// Line markers (`# 12 "file.c" 1`, `#line 12 "file.c"`) set the position of
// the lines that follow; `#pragma pack(...)` becomes a Pragma token the parser
// acts on; other directives left by the preprocessor are skipped.
import type { CDiagnostic, SourcePosition } from "./ast.ts";

export enum TokKind {
  Ident,
  Number,
  Char,
  String,
  Punct,
  Pragma,
  Eof,
}

export interface Token {
  kind: TokKind;
  /** Exact text (for Pragma: the text after `#pragma`). */
  text: string;
  pos: SourcePosition;
}

const PUNCTS3 = new Set(["...", "<<=", ">>="]);
const PUNCTS2 = new Set(["->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##"]);
/** Single-character punctuators, by character code. */
const PUNCT1 = new Uint8Array(128);
for (const ch of "[](){}.&*+-~!/%<>^|?:;=,#") PUNCT1[ch.charCodeAt(0)] = 1;
/** Characters that can start a two- or three-character punctuator. */
const PUNCT_LONG = new Uint8Array(128);
for (const p of [...PUNCTS3, ...PUNCTS2]) PUNCT_LONG[p.charCodeAt(0)] = 1;

const isIdentStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 128;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

export interface LexResult {
  tokens: Token[];
  diagnostics: CDiagnostic[];
}

/** Split preprocessed text into tokens. Never throws: bad characters become diagnostics. */
export function tokenize(text: string, initialFile = "<input>"): LexResult {
  const tokens: Token[] = [];
  const diagnostics: CDiagnostic[] = [];
  const n = text.length;
  let file = initialFile;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  let atLineStart = true;

  const newline = (): void => {
    line++;
    lineStart = i;
    atLineStart = true;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      i++;
      newline();
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 92 && text.charCodeAt(i + 1) === 10) {
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 35 && atLineStart) {
      // a directive line: read it whole
      let end = text.indexOf("\n", i);
      if (end < 0) end = n;
      const directive = text.slice(i + 1, end).trim();
      const col = i - lineStart + 1;
      const dirLine = line;
      i = end;
      const marker = /^(?:line\s+)?(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?/.exec(directive);
      if (marker) {
        if (marker[2] !== undefined) file = marker[2].replace(/\\(.)/g, "$1");
        // the marker names the number of the NEXT line
        if (i < n) {
          i++;
          line = Number(marker[1]);
          lineStart = i;
          atLineStart = true;
        }
        continue;
      }
      if (directive.startsWith("pragma")) {
        tokens.push({ kind: TokKind.Pragma, text: directive.slice(6).trim(), pos: { file, line: dirLine, column: col } });
      }
      continue;
    }
    atLineStart = false;
    const column = i - lineStart + 1;
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text.charCodeAt(k) === 10) { line++; lineStart = k + 1; }
      if (end < 0) diagnostics.push({ severity: "error", message: "unterminated comment", pos: { file, line, column } });
      i = stop;
      continue;
    }
    const start = i;
    // string/char literal with optional prefix
    let prefixLen = 0;
    if (c === 76 || c === 85 || c === 117) {
      // L, U, u, u8
      if (c === 117 && text.charCodeAt(i + 1) === 56 && text.charCodeAt(i + 2) === 34) prefixLen = 2;
      else if (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39) prefixLen = 1;
    }
    const q = text.charCodeAt(i + prefixLen);
    if (q === 34 || q === 39) {
      let k = i + prefixLen + 1;
      while (k < n) {
        const d = text.charCodeAt(k);
        if (d === 92) k += 2;
        else if (d === q || d === 10) break;
        else k++;
      }
      if (k >= n || text.charCodeAt(k) !== q) {
        diagnostics.push({ severity: "error", message: q === 34 ? "missing terminating \" character" : "missing terminating ' character", pos: { file, line, column } });
        i = k;
        continue;
      }
      i = k + 1;
      tokens.push({ kind: q === 34 ? TokKind.String : TokKind.Char, text: text.slice(start, i), pos: { file, line, column } });
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: TokKind.Ident, text: text.slice(start, i), pos: { file, line, column } });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      // pp-number
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        const prev = text.charCodeAt(i - 1) | 0x20; // lower case
        if ((d === 43 || d === 45) && (prev === 101 || prev === 112)) i++;
        else if (isIdentPart(d) || d === 46) i++;
        else break;
      }
      tokens.push({ kind: TokKind.Number, text: text.slice(start, i), pos: { file, line, column } });
      continue;
    }
    if (c < 128 && PUNCT_LONG[c]) {
      const three = text.slice(i, i + 3);
      if (PUNCTS3.has(three)) {
        i += 3;
        tokens.push({ kind: TokKind.Punct, text: three, pos: { file, line, column } });
        continue;
      }
      const two = text.slice(i, i + 2);
      if (PUNCTS2.has(two)) {
        i += 2;
        tokens.push({ kind: TokKind.Punct, text: two, pos: { file, line, column } });
        continue;
      }
    }
    if (c < 128 && PUNCT1[c]) {
      i++;
      tokens.push({ kind: TokKind.Punct, text: text[start]!, pos: { file, line, column } });
      continue;
    }
    diagnostics.push({ severity: "error", message: `stray character '${text[i]}' (code ${c}) in program`, pos: { file, line, column } });
    i++;
  }
  tokens.push({ kind: TokKind.Eof, text: "", pos: { file, line, column: i - lineStart + 1 } });
  return { tokens, diagnostics };
}
