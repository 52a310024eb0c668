// The firmware builds this edge serves, prepared at build time (parsed and
// analysed per scenario, tied to the build ID). None is prepared yet: the
// build-time preparation of firmware/ for the specializer is part of the
// end-to-end integration (issue 6). Until then the edge answers every
// CUSTOMIZE with UNKNOWN_FIRMWARE, and /healthz lists no firmware.
import type { PreparedFirmware } from "../src/server/catalog.ts";

export const PREPARED_FIRMWARE: readonly PreparedFirmware[] = [];
