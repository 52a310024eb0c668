// The same tests2 programs compiled by gcc -O2 for ARMv5TE (a different code
// generator: conditional execution, ldrd/strd, umull, ldm/stm in all modes)
// and linked with our libc: qemu-arm and the VM give the same stdout and exit code.
import { describe, expect, it } from "vitest";
import { gccProgram, runQemu, runVm } from "./support.ts";
import { ARGS, programFiles, programs } from "./tests2-programs.ts";

describe("tests2 compiled by gcc -O2 -march=armv5te, qemu-arm vs VM", () => {
  it.each(programs)("%s", (name) => {
    const built = gccProgram(programFiles(name));
    if ("error" in built) throw new Error(`${name} does not build with gcc: ${built.error}`);
    const argv = [name, ...(ARGS[name] ?? [])];
    const oracle = runQemu(built.path, argv);
    const ours = runVm(built.path, argv);
    expect(ours.result.stop.kind === "fault" ? ours.result.stop.fault.message : "exit").toBe("exit");
    expect(ours.stdout).toBe(oracle.stdout);
    expect(ours.exitCode).toBe(oracle.exitCode);
  });
});
