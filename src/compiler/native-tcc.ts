// Native cross TinyCC, built with gcc from the same patched source as
// tcc-wasm: the oracle for byte-identical objects and the baseline of the
// compiler benchmark. Node only. Each build is cached by a hash of its inputs
// under the manifest's cache dir, and built once even when several processes
// (vitest forks) ask at the same time.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildNative, preparePatchedSource } from "../../wasm/tinycc.mjs";
import { BespokeError } from "../errors.ts";
import { buildManifest, repoRoot } from "../node/paths.ts";
import type { Target } from "./targets.ts";

/** Which native build: the plain `tcc` command, or `loop`, which runs tcc's main N times and times each run. */
export type NativeFlavor = "tcc" | "loop";

/*
 * `tcc-loop REPS OUT.tsv SOURCE OBJECT TCC-ARGS...`: runs tcc's own main REPS
 * times in one process, as tcc-wasm's compile() runs it in one instance, with
 * the same file transfers around each run as compile(): the source (read
 * into memory once, before the first run) is written to SOURCE, tcc runs,
 * the object is read back from OBJECT into memory, and both files are
 * removed (compile() writes its input into the in-memory file system, reads
 * the object back and empties its scratch directory). At the end, also
 * after a failed run, SOURCE is written back as it was found. Writes each
 * run's wall time (monotonic clock) and CPU time of the process, in ns, to
 * OUT.tsv, one "wall cpu" line per run.
 */
const LOOP_HARNESS = `#undef main /* -Dmain=tcc_main renames tcc's main, not this one */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int tcc_main(int argc, char **argv);
static char *slurp(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    char *data;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    rewind(f);
    data = malloc(*size + 1);
    if (data && fread(data, 1, *size, f) != (size_t)*size) { free(data); data = NULL; }
    fclose(f);
    return data;
}
static int spill(const char *path, const char *data, long size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    if (fwrite(data, 1, size, f) != (size_t)size) { fclose(f); return -1; }
    return fclose(f);
}
int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: tcc-loop REPS OUT.tsv SOURCE OBJECT TCC-ARGS...\\n"); return 2; }
    int reps = atoi(argv[1]);
    const char *source = argv[3], *object = argv[4];
    long size, objectSize;
    char *text = slurp(source, &size);
    if (!text) { perror(source); return 2; }
    FILE *out = fopen(argv[2], "w");
    if (!out) { perror(argv[2]); return 2; }
    argv[4] = "tcc";
    int status = 0;
    for (int i = 0; i < reps && status == 0; i++) {
        struct timespec wa, wb, ca, cb;
        clock_gettime(CLOCK_MONOTONIC, &wa);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
        if (spill(source, text, size) != 0) { perror(source); status = 2; break; }
        int rc = tcc_main(argc - 4, argv + 4);
        char *obj = slurp(object, &objectSize);
        int gotObject = obj != NULL;
        free(obj);
        unlink(source);
        unlink(object);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
        clock_gettime(CLOCK_MONOTONIC, &wb);
        if (rc != 0) { fprintf(stderr, "tcc-loop: run %d exited %d\\n", i, rc); status = rc; }
        else if (!gotObject) { fprintf(stderr, "tcc-loop: run %d wrote no %s\\n", i, object); status = 2; }
        else fprintf(out, "%lld %lld\\n", (long long)(wb.tv_sec - wa.tv_sec) * 1000000000LL + (wb.tv_nsec - wa.tv_nsec),
                     (long long)(cb.tv_sec - ca.tv_sec) * 1000000000LL + (cb.tv_nsec - ca.tv_nsec));
    }
    fclose(out);
    if (spill(source, text, size) != 0) { perror(source); return 2; }
    return status;
}
`;

function cacheKey(): string {
  const manifest = buildManifest();
  const gcc = execFileSync("gcc", ["--version"], { encoding: "utf8" }).split("\n")[0]!;
  return crypto
    .createHash("sha256")
    .update(fs.readFileSync(path.join(repoRoot(), "wasm", "tinycc.mjs")))
    .update(manifest.sources.tcc!.version)
    .update(gcc)
    .update(LOOP_HARNESS)
    .digest("hex")
    .slice(0, 24);
}

/** Executables this process has already found or built (the key costs a gcc run). */
const built = new Map<string, string>();

/**
 * Path of the native cross tcc for `target` (and flavor), building it first
 * when the cache has none for the current inputs. Takes ~10 s per build.
 */
export function nativeTcc(target: Target, flavor: NativeFlavor = "tcc"): string {
  const known = built.get(`${flavor}-${target}`);
  if (known) return known;
  const exe = ensureBuilt(target, flavor);
  built.set(`${flavor}-${target}`, exe);
  return exe;
}

function ensureBuilt(target: Target, flavor: NativeFlavor): string {
  const manifest = buildManifest();
  const dir = path.join(manifest.cache, "tcc-native", cacheKey());
  const exe = path.join(dir, `${flavor}-${target}`);
  if (fs.existsSync(exe)) return exe;
  fs.mkdirSync(dir, { recursive: true });
  withLock(`${exe}.lock`, () => {
    if (fs.existsSync(exe)) return;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-tcc-native-"));
    try {
      const src = path.join(work, "tcc");
      preparePatchedSource(manifest.sources.tcc!.dir, src);
      const extra: string[] = [];
      if (flavor === "loop") {
        fs.writeFileSync(path.join(src, "tcc-loop.c"), LOOP_HARNESS);
        extra.push("-Dmain=tcc_main", "tcc-loop.c");
      }
      const staged = path.join(work, path.basename(exe));
      try {
        buildNative(src, target, staged, extra);
      } catch (e) {
        const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
        throw new BespokeError("NATIVE_TCC_BUILD", `gcc could not build the native ${target} tcc (${flavor}):\n${stderr}`);
      }
      fs.renameSync(staged, exe);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return exe;
}

/** Run `fn` holding an exclusive lock directory; a lock older than 10 minutes is stale. */
function withLock(lock: string, fn: () => void): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(sleeper, 0, 0, 200);
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
