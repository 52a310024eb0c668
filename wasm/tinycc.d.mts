// Types for wasm/tinycc.mjs (plain Node so build.mjs can use it without a compiler).

export const TARGETS: Record<"arm" | "x86_64" | "riscv64" | "i386" | "arm64", string[]>;
export const TCC_DIR: string;
export const FIXES: { name: string; why: string; file: string; find: string; replace: string }[];
export function preparePatchedSource(pristineDir: string, dest: string): { applied: string[]; absent: string[] };
export function buildWasm(srcDir: string, target: string, outDir: string): void;
export function buildNative(srcDir: string, target: string, outFile: string, extra?: string[]): void;
