// The targets bespoke compiles for, and what identifies their objects.

export const TARGETS = ["arm", "x86_64", "riscv64", "i386", "arm64"] as const;
export type Target = (typeof TARGETS)[number];

export interface TargetInfo {
  /** ELF e_machine of the objects tcc produces for this target. */
  elfMachine: number;
  /** ELF class: 1 = 32-bit, 2 = 64-bit. */
  elfClass: 1 | 2;
  /** Debian cross gcc triplet, where Debian has one (used as a test oracle). */
  gccTriplet: string | null;
}

export const TARGET_INFO: Record<Target, TargetInfo> = {
  arm: { elfMachine: 40, elfClass: 1, gccTriplet: "arm-linux-gnueabi" },
  x86_64: { elfMachine: 62, elfClass: 2, gccTriplet: null },
  riscv64: { elfMachine: 243, elfClass: 2, gccTriplet: "riscv64-linux-gnu" },
  i386: { elfMachine: 3, elfClass: 1, gccTriplet: "i686-linux-gnu" },
  arm64: { elfMachine: 183, elfClass: 2, gccTriplet: "aarch64-linux-gnu" },
};

export function isTarget(name: string): name is Target {
  return (TARGETS as readonly string[]).includes(name);
}
