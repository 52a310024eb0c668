// Shared by the end-to-end tests (and the demo's): the server core over the
// prepared board firmware, and the `e2e send` results of a run.
export { boardCore } from "../../src/device/board-core.ts";
export { sendFigures as sends } from "../../src/device/paper.ts";
