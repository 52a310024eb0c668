// Debian toolchains used as oracles, per target: where the target's C library
// headers are, how gcc links an object into a program, and how that program
// runs on this x86_64 machine (natively, or under qemu-user).
import { TARGET_INFO, type Target } from "../../src/compiler/targets.ts";

export interface Toolchain {
  /** -I directories of the target's C library headers, in search order. */
  libcIncludes: string[];
  /** gcc driver that links objects for the target. */
  gcc: string;
  /** gcc link options: static for foreign targets (qemu-user has no sysroot); x86_64 links natively, without PIE (tcc objects are not position-independent). */
  linkFlags: string[];
  /** Command prefix that runs a program of the target here ([] = natively). */
  runner: string[];
}

const QEMU: Record<Target, string | null> = { arm: "qemu-arm", x86_64: null, riscv64: "qemu-riscv64", i386: "qemu-i386", arm64: "qemu-aarch64" };

export function toolchain(target: Target): Toolchain {
  const triplet = TARGET_INFO[target].gccTriplet;
  if (triplet === null) {
    return { libcIncludes: ["/usr/include/x86_64-linux-gnu", "/usr/include"], gcc: "gcc", linkFlags: ["-no-pie"], runner: [] };
  }
  return { libcIncludes: [`/usr/${triplet}/include`], gcc: `${triplet}-gcc`, linkFlags: ["-static"], runner: [QEMU[target]!] };
}
