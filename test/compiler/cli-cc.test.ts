// `bespoke cc` as a user runs it: the real CLI in a child process, real files
// in and out, tcc's usual -c -E -o -I -D behaviour, and clear errors.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ET_EXEC, ET_REL, readElf, symbols } from "../../src/compiler/elf.ts";
import { TARGETS, TARGET_INFO } from "../../src/compiler/targets.ts";
import { repoRoot } from "../../src/node/paths.ts";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-cc-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function bespoke(args: string[], cwd = work): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [path.join(repoRoot(), "bin", "bespoke.mjs"), ...args], { cwd, encoding: "utf8" });
}

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const sample = fs.readFileSync(path.join(repoRoot(), "examples", "sample.c"), "utf8");

describe("bespoke cc", () => {
  it.each(TARGETS)("-c -o writes an ELF relocatable object for %s; -D reaches the preprocessor", (target) => {
    const dir = project(`c-${target}`, { "src/sample.c": sample });
    const plain = bespoke(["cc", "--target", target, "-c", "src/sample.c", "-o", "plain.o"], dir);
    expect(plain.stderr).toBe("");
    expect(plain.status).toBe(0);
    const withMain = bespoke(["cc", `--target=${target}`, "-DSAMPLE_MAIN", "-c", "src/sample.c", "-o", "main.o"], dir);
    expect(withMain.status).toBe(0);
    for (const [file, hasMain] of [["plain.o", false], ["main.o", true]] as const) {
      const elf = readElf(new Uint8Array(fs.readFileSync(path.join(dir, file))));
      expect(elf.type).toBe(ET_REL);
      expect(elf.machine).toBe(TARGET_INFO[target].elfMachine);
      const names = symbols(elf).map((s) => s.name);
      expect(names).toContain("total_area");
      expect(names.includes("main")).toBe(hasMain);
    }
  });

  it("-c without -o names the object after the source, in the working directory", () => {
    const dir = project("c-default", { "lib/a.c": "int a(void) { return 1; }\n", "lib/b.c": "int b(void) { return 2; }\n" });
    const r = bespoke(["cc", "--target", "arm", "-c", "lib/a.c", "lib/b.c"], dir);
    expect(r.status).toBe(0);
    expect(symbols(readElf(new Uint8Array(fs.readFileSync(path.join(dir, "a.o"))))).map((s) => s.name)).toContain("a");
    expect(symbols(readElf(new Uint8Array(fs.readFileSync(path.join(dir, "b.o"))))).map((s) => s.name)).toContain("b");
  });

  it("finds headers in the source's directory tree without reading unrelated files there", () => {
    const dir = project("tree", {
      "app/main.c": '#include "util/limits.h"\nint cap(int x) { return x > LIMIT ? LIMIT : x; }\n',
      "app/util/limits.h": "#define LIMIT 99\n",
    });
    fs.writeFileSync(path.join(dir, "app", "unrelated.o"), new Uint8Array(40 * 1024 * 1024));
    const r = bespoke(["cc", "--target", "arm", "-c", "app/main.c", "-o", "main.o"], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(symbols(readElf(new Uint8Array(fs.readFileSync(path.join(dir, "main.o"))))).map((s) => s.name)).toContain("cap");
  });

  it("-E with -I and -D prints preprocessed C with line markers naming the files as given", () => {
    const dir = project("pp", {
      "main.c": '#include "cfg.h"\nint v = LIMIT * SCALE;\n',
      "include/cfg.h": "#define LIMIT 40\nextern int table[LIMIT];\n",
    });
    const r = bespoke(["cc", "--target", "riscv64", "-E", "-I", "include", "-DSCALE=3", "main.c"], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("extern int table[40];");
    expect(r.stdout).toContain("int v = 40 * 3;");
    expect(r.stdout).toMatch(/^# ?\d+ "include\/cfg.h"/m);
    const toFile = bespoke(["cc", "--target", "riscv64", "-E", "-Iinclude", "-D", "SCALE=5", "main.c", "-o", "main.i"], dir);
    expect(toFile.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "main.i"), "utf8")).toContain("int v = 40 * 5;");
  });

  it("-o links an executable file that runs (x86_64, -nostdlib -static, raw syscalls)", () => {
    const dir = project("exe", {
      "hello.c": [
        'static const char msg[] = "hello from bespoke cc\\n";',
        "void _start(void) {",
        "  long r;",
        '  __asm__ volatile ("syscall" : "=a"(r) : "a"(1L), "D"(1L), "S"(msg), "d"(sizeof msg - 1) : "rcx", "r11", "memory");',
        '  __asm__ volatile ("syscall" : : "a"(60L), "D"(r == sizeof msg - 1 ? 0L : 1L));',
        "}",
        "",
      ].join("\n"),
    });
    const r = bespoke(["cc", "--target", "x86_64", "-nostdlib", "-static", "hello.c", "-o", "hello"], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const exe = path.join(dir, "hello");
    expect(readElf(new Uint8Array(fs.readFileSync(exe))).type).toBe(ET_EXEC);
    const run = spawnSync(exe, [], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("hello from bespoke cc\n");
  });

  it("reports C errors as file:line diagnostics, exits 1 and writes no object", () => {
    const dir = project("bad", { "src/bad.c": "int f(void) {\n  return missing_name;\n}\n" });
    const r = bespoke(["cc", "--target", "arm", "-c", path.join(dir, "src", "bad.c"), "-o", "bad.o"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, "src", "bad.c")}:2: error: 'missing_name' undeclared`);
    expect(fs.existsSync(path.join(dir, "bad.o"))).toBe(false);
  });

  it.each([
    [["cc", "--target", "mips", "-c", "x.c"], /^bespoke: unknown target 'mips' \(one of: arm, x86_64, riscv64, i386, arm64\)\n$/],
    [["cc", "-c", "x.c"], /^bespoke: --target is required \(one of: arm, x86_64, riscv64, i386, arm64\)\n$/],
    [["cc", "--target", "arm", "-c", "missing.c"], /^bespoke: \/.*\/missing\.c: no such file\n$/],
    [["cc", "--target", "arm", "-c", "x.c", "-o"], /^bespoke: option -o needs an argument\n$/],
  ])("refuses %j with a clear message and exit status 1", (args, message) => {
    const r = bespoke(args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(1);
  });
});

describe("bespoke --version", () => {
  it("names the tcc-wasm build and lists every built target", () => {
    const r = bespoke(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tcc-wasm: 0\.9\.27/m);
    expect(r.stdout).toContain(`targets: ${TARGETS.join(" ")}\n`);
  });
});
