// `npm start` (`bespoke start [--once]`): the paper's scenario. Starts the
// local edge (the deployable worker in workerd, the prepared firmware in it),
// boots the virtual ARM device twice from the same state — once sending 1000
// UDP packets through the generic sys_sendto, once customizing sendto at the
// edge over a WebSocket and sending them through the token — cancels, boots
// once more to see a warm customization, and prints a summary. Then it keeps
// the edge serving until Ctrl-C (not when stdout is not a terminal, or with
// --once).
import { BespokeError } from "../errors.ts";
import { buildArmFirmware } from "../device/firmware-build.ts";
import { type ServerLink, edgeServer, runDevice } from "../device/host.ts";
import { NO_SERVER, sendFigures } from "../device/paper.ts";
import type { CommandContext } from "./main.ts";
import { startLocalEdge } from "./serve.ts";

const PACKETS = 1000;
const FRAME_FETCH = 2;
const FRAME_CALL = 4;
const FRAME_IMAGE = 6;

/** What crossed a link: the FETCH/CALL frames the server sent (one per range, a round trip may carry several: at least chi) and the image's code bytes. */
interface Observed {
  roundTrips: number;
  imageBytes: number;
}

function observed(link: ServerLink): { link: ServerLink; seen: Observed } {
  const seen: Observed = { roundTrips: 0, imageBytes: 0 };
  return {
    seen,
    link: {
      send: (frame) => link.send(frame),
      onFrame: (handler) =>
        link.onFrame((frame) => {
          if (frame[3] === FRAME_FETCH || frame[3] === FRAME_CALL) seen.roundTrips++;
          if (frame[3] === FRAME_IMAGE && frame.length >= 12 + 28) seen.imageBytes = new DataView(frame.buffer, frame.byteOffset).getUint32(12 + 24, true);
          handler(frame);
        }),
      close: () => link.close(),
    },
  };
}

export async function start(args: string[], ctx: CommandContext): Promise<number> {
  let once = !process.stdout.isTTY;
  for (const a of args) {
    if (a === "--once") once = true;
    else throw new BespokeError("USAGE", `start: unexpected argument '${a}' (usage: bespoke start [--once])`);
  }
  ctx.stdout("bespoke: starting the local edge (workerd) with the prepared board firmware...\n");
  const edge = await startLocalEdge(0, "start");
  try {
    const fw = await buildArmFirmware("board");
    ctx.stdout(`edge at ${edge.url.origin}, serving firmware ${edge.firmware.join(", ")}\n`);
    const script = (mode: "g" | "c") => ["e2e udp 7000", ...(mode === "c" ? ["e2e customize 1 7000", "e2e wait 1"] : []), `e2e send ${mode} ${PACKETS} 64 1 7000`, ...(mode === "c" ? ["e2e cancel 1"] : [])];

    ctx.stdout(`device boot 1: ${PACKETS} UDP packets of 64 B through the generic sys_sendto...\n`);
    const generic = await runDevice(script("g"), NO_SERVER);
    ctx.stdout(`device boot 2: customize sendto at the edge, ${PACKETS} packets through the token, cancel...\n`);
    const cold = observed(await edgeServer(edge.url, "npm-start"));
    const custom = await runDevice(script("c"), cold.link);
    cold.link.close();
    ctx.stdout("device boot 3: the same customization again (the edge's cache is warm)...\n");
    const warm = observed(await edgeServer(edge.url, "npm-start"));
    const again = await runDevice(["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1"], warm.link);
    warm.link.close();

    const [g] = sendFigures(generic.lines);
    const [c] = sendFigures(custom.lines);
    if (!g || !c || !custom.lines.includes("state ready")) {
      throw new BespokeError("SCENARIO_FAILED", `the customization did not complete:\n${[...custom.lines, ...custom.serverErrors].join("\n")}`);
    }
    const stack = fw.components.filter((x) => x.component === "kernel" || x.component === "lwip").reduce((a, x) => a + x.text + x.data, 0);
    const identical = g.digest === c.digest && g.ok === PACKETS && c.ok === PACKETS;
    const rows: [string, string, string][] = [
      ["code bytes (generic: kernel + lwIP; customized: image)", String(stack), String(cold.seen.imageBytes)],
      ["instructions per sendto, 64 B", String(g.instret), String(c.instret)],
      [`packets (${PACKETS} x 64 B) and return values identical`, "", identical ? "yes" : "NO"],
      ["customization latency, cold / warm (ms)", "", `${custom.waits[0]?.toFixed(0) ?? "?"} / ${again.waits[0]?.toFixed(0) ?? "?"}`],
      ["FETCH/CALL frames from the edge (>= chi), cold / warm", "", `${cold.seen.roundTrips} / ${warm.seen.roundTrips}`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    ctx.stdout(`\n${"".padEnd(w)}  ${"generic".padStart(9)}  ${"customized".padStart(12)}\n`);
    for (const [label, a, b] of rows) ctx.stdout(`${label.padEnd(w)}  ${a.padStart(9)}  ${b.padStart(12)}\n`);
    ctx.stdout("\n");
    if (!identical) return 1;
    if (once) return 0;
    ctx.stdout(`the edge keeps serving at ${edge.url.origin} (bespoke device --server ${edge.url.origin}); Ctrl-C to stop.\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    return 0;
  } finally {
    await edge.stop();
  }
}
