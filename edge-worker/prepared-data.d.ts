// The module src/device/prepare.ts generates (build/prepared/firmware.mjs), bundled under this alias.
declare module "bespoke-prepared-firmware" {
  export const PREPARED_FIRMWARE_DATA: readonly import("../src/server/firmware.ts").PreparedFirmwareData[];
}
