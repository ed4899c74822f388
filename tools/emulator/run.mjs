// Boot RPI_PICO MicroPython firmware in rp2040js, run scripts through the raw REPL, report time.
//
//   node run.mjs [--timeout S] [--bootrom FILE] [--quiet] [--verbose] FIRMWARE.uf2 SCRIPT.py...
//
// Each script is pasted in turn (raw-paste mode, plain raw mode as the fallback) into the same
// interpreter, so a later script sees the globals of the earlier ones. The script's stdout is
// streamed to stdout as it arrives; the traceback of an uncaught exception goes to stderr; the
// timings (emulated and wall seconds) go to stderr as lines starting with "emulate:".
// Exit status: 0 ok, 1 Python error, 2 usage/set-up, 3 emulator fault, 4 timeout, 5 the script
// called sys.exit() (the rp2 port then soft-reboots and reports no value).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { RP2040, USBCDC } from 'rp2040js';
import { decodeBlock } from 'uf2';

const EXIT_OK = 0, EXIT_PYTHON = 1, EXIT_USAGE = 2, EXIT_FAULT = 3, EXIT_TIMEOUT = 4, EXIT_SYSEXIT = 5;
const FLASH_START = 0x10000000;
const RP2040_FAMILY = 0xe48bff56;
const CHUNK_WALL_MS = 25;       // run the CPU this long between event-loop turns and checks
const CHUNK_INSTRUCTIONS = 4096; // instructions between wall-clock reads inside a chunk

function usage(msg) {
  if (msg) process.stderr.write(`emulate: ${msg}\n`);
  process.stderr.write('usage: tools/emulate [--timeout SECONDS] [--bootrom FILE] [--quiet] [--verbose] [--no-paste] ' +
    'FIRMWARE.uf2 SCRIPT.py [SCRIPT.py ...]   (SCRIPT "-" reads stdin)\n');
  process.exit(EXIT_USAGE);
}

const opts = { timeout: 600, bootrom: process.env.RP2040_BOOTROM || '', quiet: false, verbose: false, noPaste: false };
const positional = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--timeout') opts.timeout = Number(argv[++i]);
  else if (a.startsWith('--timeout=')) opts.timeout = Number(a.slice(10));
  else if (a === '--bootrom') opts.bootrom = argv[++i];
  else if (a.startsWith('--bootrom=')) opts.bootrom = a.slice(10);
  else if (a === '--quiet' || a === '-q') opts.quiet = true;
  else if (a === '--verbose' || a === '-v') opts.verbose = true;
  else if (a === '--no-paste') opts.noPaste = true; // plain raw REPL: the whole script, then Ctrl-D
  else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (!(opts.timeout > 0)) usage('--timeout needs a positive number of seconds');
if (positional.length < 2) usage();
if (!opts.bootrom) usage('no boot ROM: set RP2040_BOOTROM or pass --bootrom');
const [firmwarePath, ...scriptPaths] = positional;

function fail(msg, code = EXIT_USAGE) {
  process.stderr.write(`emulate: ${msg}\n`);
  process.exit(code);
}

let bootromB1;
try {
  ({ bootromB1 } = await import(pathToFileURL(opts.bootrom).href));
} catch (e) {
  fail(`cannot load the boot ROM ${opts.bootrom}: ${e.code || e.message}`);
}
if (!(bootromB1 instanceof Uint32Array)) fail(`${opts.bootrom} does not export bootromB1`);

let firmware;
try {
  firmware = readFileSync(firmwarePath);
} catch (e) {
  fail(`cannot read the firmware ${firmwarePath}: ${e.code || e.message}`);
}
const scripts = scriptPaths.map((p) => {
  try {
    return { name: p, code: readFileSync(p === '-' ? 0 : p) };
  } catch (e) {
    return fail(`cannot read the script ${p}: ${e.code || e.message}`);
  }
});

// --- the chip -------------------------------------------------------------------------------

let fault = null; // first emulator fault: a string
function setFault(msg) {
  if (!fault) fault = `${msg} (PC=0x${(mcu.core.PC >>> 0).toString(16)})`;
}
// rp2040js raises no HardFault: an access outside the RP2040's address map, an unimplemented
// instruction or a BKPT/UDF only reach the logger or onBreak. A real chip would fault there, so
// those end the run. Accesses to real registers that rp2040js does not model (XIP_CTRL, parts of
// the PPB, ...) are harmless here and only shown with --verbose.
const REGIONS = [ // [start, end) of what the RP2040 decodes
  [0x00000000, 0x00004000], // boot ROM
  [0x10000000, 0x18000000], // XIP flash (4 aliases), XIP_CTRL, XIP cache SRAM
  [0x18000000, 0x18100000], // XIP SSI
  [0x20000000, 0x20042000], // SRAM
  [0x21000000, 0x21042000], // SRAM (non-striped alias)
  [0x40000000, 0x40070000], // APB peripherals
  [0x50000000, 0x50400000], // AHB-Lite peripherals (DMA, USB, PIO, XIP_AUX)
  [0xd0000000, 0xd0000200], // SIO
  [0xe0000000, 0xe0100000], // Cortex-M0+ private peripheral bus
];
function mapped(addr) {
  for (const [a, b] of REGIONS) if (addr >= a && addr < b) return true;
  return false;
}
const ADDRESS_MESSAGE = /(invalid memory address|undefined address): ([0-9a-f]+)/i;
const FAULT_PATTERNS = [/not implemented/i, /not 32 bit aligned/i, /^Opcode:/];
const logger = {
  debug() {},
  info(component, msg) { if (opts.verbose) process.stderr.write(`emulate: [${component}] ${msg}\n`); },
  warn(component, msg) {
    const m = ADDRESS_MESSAGE.exec(msg);
    if (m ? !mapped(parseInt(m[2], 16)) : FAULT_PATTERNS.some((re) => re.test(msg))) {
      setFault(`[${component}] ${msg}`);
    } else if (opts.verbose) {
      process.stderr.write(`emulate: [${component}] ${msg}\n`);
    }
  },
  error(component, msg) { setFault(`[${component}] ${msg}`); },
};

// a few rp2040js modules warn on the console directly (SIO registers of the second core, ...)
console.warn = (...args) => logger.warn('rp2040js', args.join(' '));
console.error = (...args) => logger.warn('rp2040js', args.join(' '));

const mcu = new RP2040();
mcu.logger = logger;
mcu.loadBootrom(bootromB1);
mcu.onBreak = (code) => setFault(`breakpoint/undefined instruction (code ${code})`);

// Speed: rp2040js looks every 32-bit store up in its peripheral table (a sparse object) before
// trying SRAM, which costs ~10% of the run. Same behaviour, faster: a dense table for the lookup,
// and SRAM stores first (no peripheral lives in the SRAM range).
{
  const table = new Array(1 << 18).fill(undefined);
  for (const key of Object.keys(mcu.peripherals)) table[Number(key) >>> 2] = mcu.peripherals[key];
  mcu.findPeripheral = (address) => table[address >>> 14];
  const sramView = mcu.sramView;
  const sramEnd = 0x20000000 + mcu.sram.length - 3;
  const writeUint32 = RP2040.prototype.writeUint32;
  mcu.writeUint32 = function (address, value) {
    address >>>= 0;
    if (address >= 0x20000000 && address < sramEnd) sramView.setUint32(address - 0x20000000, value, true);
    else writeUint32.call(this, address, value);
  };
}

let blocks = 0;
for (let off = 0; off + 512 <= firmware.length; off += 512) {
  let block;
  try {
    block = decodeBlock(firmware.subarray(off, off + 512));
  } catch (e) {
    fail(`${firmwarePath}: not a UF2 file (${e.message})`);
  }
  if (block.flags & 1) continue; // not main flash
  if ((block.flags & 0x2000) && block.boardFamily !== RP2040_FAMILY) {
    fail(`${firmwarePath}: UF2 family 0x${block.boardFamily.toString(16)} is not RP2040 (an RP2350 build?)`);
  }
  const at = block.flashAddress - FLASH_START;
  if (at < 0 || at + block.payload.length > mcu.flash.length) {
    fail(`${firmwarePath}: block at 0x${block.flashAddress.toString(16)} is outside the flash`);
  }
  mcu.flash.set(block.payload, at);
  blocks++;
}
if (!blocks) fail(`${firmwarePath}: no UF2 blocks`);

// --- the USB host: a CDC serial port ---------------------------------------------------------

const cdc = new USBCDC(mcu.usbCtrl);
const usb = mcu.usbCtrl;
// Bytes to send to the device (txBuf from txPos on); sendLimit holds them to the raw-paste window.
let txBuf = new Uint8Array(0), txPos = 0;
const pendingReads = []; // OUT transfers the device armed while we had nothing to send
function hostSend(bytes) {
  const rest = txBuf.subarray(txPos);
  const buf = new Uint8Array(rest.length + bytes.length);
  buf.set(rest, 0);
  buf.set(bytes, rest.length);
  txBuf = buf;
  txPos = 0;
  serveReads();
}
let sendLimit = Infinity; // how many more bytes the device's flow control admits
function serveReads() {
  while (pendingReads.length && txPos < txBuf.length && sendLimit > 0) {
    const { endpoint, size } = pendingReads.shift();
    const n = Math.min(size, txBuf.length - txPos, sendLimit);
    const chunk = txBuf.slice(txPos, txPos + n);
    txPos += n;
    if (sendLimit !== Infinity) sendLimit -= n;
    usb.endpointReadDone(endpoint, chunk);
  }
}
// USBCDC answers every OUT poll at once, with a zero-length packet when it has nothing: the
// firmware re-arms, takes the USB interrupt again, and spends most of its time there. Hold the
// poll instead and answer it when there is something to send.
usb.onEndpointRead = (endpoint, size) => {
  if (endpoint !== cdc.outEndpoint) return;
  pendingReads.push({ endpoint, size });
  serveReads();
};

// --- the raw REPL protocol -------------------------------------------------------------------

const enc = (s) => new TextEncoder().encode(s);
const RAW_BANNER = 'raw REPL; CTRL-B to exit\r\n>';
let state = 'boot'; // boot, banner, paste-ask, paste-window, paste-send, raw-ok, out, err, after, done
let rx = '';        // device bytes not consumed yet (latin1 string)
let scriptIndex = 0;
let pasteWindow = 0;
let outPending = '';    // script stdout not yet written
let errText = '';
let exitCode = null;
let sysExit = false;
const marks = {};
function mark(name) { marks[name] = { emu: mcu.clock.nanos / 1e9, wall: performance.now() / 1e3 }; }

cdc.onDeviceConnected = () => {
  mark('usb');
  state = 'banner';
  hostSend(enc('\r\x03\x03\x01')); // stop anything running, enter the raw REPL
};

function startScript() {
  const s = scripts[scriptIndex];
  mark(`start${scriptIndex}`);
  if (opts.noPaste) {
    rawSend();
  } else {
    state = 'paste-ask';
    hostSend(enc('\x05A\x01'));
  }
  if (opts.verbose) process.stderr.write(`emulate: pasting ${s.name} (${s.code.length} bytes)\n`);
}

// Plain raw mode: the whole script then Ctrl-D; the device buffers it all before compiling.
function rawSend() {
  state = 'raw-ok';
  sendLimit = Infinity;
  hostSend(scripts[scriptIndex].code);
  hostSend(enc('\x04'));
}

function finishScript() {
  mark(`end${scriptIndex}`);
  if (errText.length) {
    flushOut();
    process.stderr.write(Buffer.from(errText.replace(/\r\n/g, '\n'), 'latin1'));
    if (!errText.endsWith('\n')) process.stderr.write('\n');
    exitCode = EXIT_PYTHON;
    state = 'done';
  } else {
    state = 'after';
  }
  errText = '';
}

function flushOut() {
  if (outPending) {
    process.stdout.write(Buffer.from(outPending.replace(/\r\n/g, '\n'), 'latin1'));
    outPending = '';
  }
}

// Feed device output through the protocol state machine.
cdc.onSerialData = (buffer) => {
  rx += Buffer.from(buffer).toString('latin1');
  for (;;) {
    if (state === 'banner' || state === 'boot') {
      const i = rx.indexOf(RAW_BANNER);
      if (i < 0) { if (rx.length > 4096) rx = rx.slice(-64); return; }
      if (opts.verbose && i) process.stderr.write(`emulate: before the raw REPL: ${JSON.stringify(rx.slice(0, i))}\n`);
      rx = rx.slice(i + RAW_BANNER.length);
      mark('boot');
      startScript();
    } else if (state === 'after') {
      // the raw REPL prompts again ('>'), or SystemExit made main() soft-reboot
      if (!rx.length) return;
      if (rx[0] === '>') {
        rx = rx.slice(1);
        if (++scriptIndex < scripts.length) {
          startScript();
        } else {
          exitCode = EXIT_OK;
          state = 'done';
        }
      } else {
        exitCode = EXIT_SYSEXIT;
        sysExit = true;
        state = 'done';
      }
    } else if (state === 'paste-ask') {
      if (rx.length < 2) return;
      const reply = rx.slice(0, 2);
      rx = rx.slice(2);
      if (reply === 'R\x01') {
        state = 'paste-window';
      } else if (reply === 'R\x00') {
        rawSend(); // no raw-paste support
      } else {
        setFault(`unexpected raw REPL reply ${JSON.stringify(reply)}`);
        return;
      }
    } else if (state === 'paste-window') {
      if (rx.length < 2) return;
      pasteWindow = rx.charCodeAt(0) | (rx.charCodeAt(1) << 8);
      rx = rx.slice(2);
      // the window size itself grants one window; the script's closing Ctrl-D needs no room
      sendLimit = pasteWindow + 1;
      if (opts.verbose) process.stderr.write(`emulate: raw-paste window ${pasteWindow} bytes\n`);
      state = 'paste-send';
      const code = scripts[scriptIndex].code;
      const data = new Uint8Array(code.length + 1);
      data.set(code, 0);
      data[code.length] = 4;
      hostSend(data);
    } else if (state === 'paste-send') {
      if (!rx.length) return;
      const c = rx[0];
      rx = rx.slice(1);
      if (c === '\x01') {
        sendLimit += pasteWindow; // the device freed another window
        serveReads();
      } else if (c === '\x04') {
        sendLimit = Infinity;
        if (txPos < txBuf.length) {
          // the device stopped reading early (a syntax error): acknowledge, read its report
          txBuf = new Uint8Array(0); txPos = 0;
          hostSend(enc('\x04'));
        }
        state = 'out'; // the device has the whole script (or gave up): its output follows
      } else {
        setFault(`unexpected byte ${JSON.stringify(c)} during raw paste`);
        return;
      }
    } else if (state === 'raw-ok') {
      if (rx.length < 2) return;
      if (rx.slice(0, 2) !== 'OK') { setFault(`raw REPL did not accept the script: ${JSON.stringify(rx.slice(0, 40))}`); return; }
      rx = rx.slice(2);
      state = 'out';
    } else if (state === 'out') {
      const i = rx.indexOf('\x04');
      if (i < 0) { outPending += rx; rx = ''; return; }
      outPending += rx.slice(0, i);
      rx = rx.slice(i + 1);
      flushOut();
      state = 'err';
    } else if (state === 'err') {
      const i = rx.indexOf('\x04');
      if (i < 0) { errText += rx; rx = ''; return; }
      errText += rx.slice(0, i);
      rx = rx.slice(i + 1);
      finishScript();
    } else {
      return; // done
    }
  }
};

// --- the CPU loop ----------------------------------------------------------------------------

let cycleNanos = 1e9 / mcu.clkSys;
mcu.addClockListener((clkSys) => { cycleNanos = 1e9 / clkSys; });
const clock = mcu.clock;
const core = mcu.core;
const wallStart = performance.now();
const deadline = wallStart + opts.timeout * 1000;

function runChunk() {
  const chunkEnd = performance.now() + CHUNK_WALL_MS;
  let asleep = false;
  outer: for (;;) {
    for (let i = 0; i < CHUNK_INSTRUCTIONS; i++) {
      if (fault !== null) break outer; // stop at the faulting instruction
      if (core.waiting) {
        // WFI/WFE: jump to the next scheduled event; with none, nothing can wake the CPU
        if (clock.nextAlarm === null) { asleep = true; break outer; }
        clock.tick(clock.nanosToNextAlarm);
      } else {
        clock.tick(core.executeInstruction() * cycleNanos);
      }
    }
    if (fault || state === 'done' || performance.now() >= chunkEnd) break;
  }
  flushOut();
  if (state === 'done') {
    return finish(exitCode, sysExit ? `${stateWords()} called sys.exit(): the rp2 port soft-reboots ` +
      'and reports no exit value (end the script normally for success, raise an exception for failure)' : '');
  }
  if (fault) {
    // A real chip would stop in its HardFault handler here. Let the USB transfers already under
    // way arrive (1 ms, the CPU stopped), so the output printed before the fault is shown.
    clock.tick(1e6);
    flushOut();
    return finish(EXIT_FAULT, `emulator fault: ${fault}; ${stateWords()}`);
  }
  if (asleep) {
    return finish(EXIT_FAULT, `the CPU sleeps with no event scheduled (${stateWords()}; waiting for input?)`);
  }
  if (performance.now() >= deadline) {
    return finish(EXIT_TIMEOUT, `timeout: ${opts.timeout} s wall time (${stateWords()})`);
  }
  setImmediate(runChunk);
}

function stateWords() {
  if (state === 'boot' || state === 'banner') return 'booting, no raw REPL yet';
  const s = scripts[Math.min(scriptIndex, scripts.length - 1)];
  return state === 'done' ? s.name : `running ${s.name}`;
}

function fmt(x) { return x.toFixed(3); }
function finish(code, msg) {
  flushOut();
  if (msg) process.stderr.write(`emulate: ${msg}\n`);
  const now = { emu: clock.nanos / 1e9, wall: performance.now() / 1e3 };
  if (!opts.quiet) {
    const w0 = 0; // wall seconds count from node's start (performance.timeOrigin)
    if (marks.boot) {
      process.stderr.write(`emulate: boot to raw REPL ${fmt(marks.boot.emu)} emulated s, ${fmt(marks.boot.wall - w0)} wall s\n`);
    }
    for (let i = 0; i < scripts.length; i++) {
      const a = marks[`start${i}`];
      if (!a) break;
      const b = marks[`end${i}`] || now;
      const emu = b.emu - a.emu, wall = b.wall - a.wall;
      process.stderr.write(`emulate: ${scripts[i].name} ${fmt(emu)} emulated s, ${fmt(wall)} wall s` +
        ` (${wall > 0 ? Math.round((100 * emu) / wall) : 0}% of real time)\n`);
    }
    process.stderr.write(`emulate: total ${fmt(now.emu)} emulated s, ${fmt(now.wall - w0)} wall s\n`);
  }
  process.exitCode = code;
}

process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(exitCode ?? EXIT_OK); throw e; });
process.on('SIGINT', () => { finish(130, 'interrupted'); process.exit(130); });
// Start at the flash's second-stage boot loader (as rp2040js's demo does): it sets up the flash
// interface and jumps to the firmware's vector table.
mcu.core.PC = FLASH_START;
runChunk();
