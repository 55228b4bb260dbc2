/**
 * The `gen-rtl` command line. Exit codes: 0 ok, 1 invalid input or failed
 * check, 2 usage error, 3 internal error (a bug in gen-rtl).
 */
import yargs from 'yargs';
import { GenRtlError } from '../util/errors.js';
import { cosimCmd, generateCmd, inspect, reportCmd, run, zooList, zooWrite, type TargetArgs } from './commands.js';
import { DEFAULT_MAX_UTIL } from '../map/optimize.js';
import { parseVendors, VENDOR_FLOWS } from '../emit/handoff.js';
import { runDatasetCmd } from './accuracy.js';
import { devicesCmd } from './devices.js';
import { DEFAULT_CALIB_LIMIT, importCmd } from './import.js';
import { parseBinarizePolicy } from '../quant/quantize.js';
import { processIo, type CliIo } from './io.js';
import { SYNTH_TOOLS, synthCmd } from './synth.js';

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

class UsageError extends Error {}

/** `--binarize POLICY` of import and zoo; `binarizePolicy` validates it in the handler (yargs' coerce would hide the error's class). */
function binarizeOption(what: string) {
  return { type: 'string', default: 'kxk', describe: `which convolutions become ±1 patterns: ${what}` } as const;
}

/** The normalized policy ("5x5,3x3" → "3x3,5x5"); a bad one is a GenRtlError naming it. */
function binarizePolicy(v: string): string {
  return parseBinarizePolicy(v).policy;
}

/** Device, clock, folding and budget options of generate, report and cosim. */
function targetOptions(deviceHelp: string) {
  return {
    device: { type: 'string', describe: deviceHelp },
    'device-file': { type: 'string', describe: 'a JSON device description added to the known devices' },
    'clock-mhz': { type: 'number', describe: "clock in MHz (default: the device's planning hint, else 100)" },
    fold: {
      type: 'string',
      default: 'auto',
      describe:
        'folding: auto (with --device: the optimizer, fastest within --max-util of every resource; without: one output channel per step), balanced (every stage as fast as the slowest can be), or a JSON file {"stages": {"<layer>": {"pe": P, "simd": S, "window": B}}} (every output directory has one: folding.json)',
    },
    'max-util': { type: 'number', describe: `share of each resource the optimizer may use (default ${DEFAULT_MAX_UTIL})` },
    'target-fps': { type: 'number', describe: 'optimizer: meet this many images/s with the least resources instead of the most throughput' },
    'onchip-limit': { type: 'number', describe: "on-chip memory budget in bytes (default 10 MiB, the paper's)" },
    pack: {
      type: 'boolean',
      describe: 'optimizer: let two int8 products share one DSP (lane pairs of 1×1, int8 k×k, PRB and FC stages) on Xilinx devices (default true; --no-pack to compare)',
    },
    spread: {
      type: 'boolean',
      describe: "optimizer: spread PRB stages' 1×1 branches over the taps, SIMD/spread multipliers a lane instead of SIMD (default true; --no-spread to compare)",
    },
  } as const;
}

function targetArgs(a: { device?: string | undefined; 'device-file'?: string | undefined; 'clock-mhz'?: number | undefined; fold?: string | undefined; 'max-util'?: number | undefined; 'target-fps'?: number | undefined; 'onchip-limit'?: number | undefined; pack?: boolean | undefined; spread?: boolean | undefined }): TargetArgs {
  return {
    device: a.device,
    deviceFile: a['device-file'],
    clockMhz: a['clock-mhz'],
    fold: a.fold,
    maxUtil: a['max-util'],
    targetFps: a['target-fps'],
    onchipLimit: a['onchip-limit'],
    pack: a.pack,
    spread: a.spread,
  };
}

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = EXIT_OK;
  const parser = yargs()
    .scriptName('gen-rtl')
    .usage('$0 <command> [options]\n\nCompile binarized pattern networks (SEP-Nets) to bit-exact FPGA RTL.')
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable result on stdout' })
    .command(
      ['$0 <model>', 'generate <model>'],
      'generate Verilog, memories, a file list and a manifest for a .sepb model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: '.sepb file' })
          .option('out', { type: 'string', demandOption: true, describe: 'output directory (refused if not empty, unless --force)' })
          .options(targetOptions('target FPGA (gen-rtl devices): the optimizer folds for it; adds report.txt/json/html with the fit check'))
          .option('force', { type: 'boolean', default: false, describe: 'replace a non-empty output directory' })
          .option('vendor', {
            type: 'string',
            default: VENDOR_FLOWS.join(','),
            describe: 'synthesis handoff: comma-separated vivado, quartus, yosys (scripts in vivado/, quartus/, yosys/ and a README.md), or none',
          }),
      (a) => {
        const v = parseVendors(a.vendor);
        if ('error' in v) throw new UsageError(`generate: --vendor ${v.error}`);
        code = generateCmd(io, { model: a.model, out: a.out, target: targetArgs(a), vendors: v.vendors, force: a.force, json: a.json });
      },
    )
    .command(
      'cosim <model>',
      'prove the generated RTL bit-exact against the integer reference in Verilator or Icarus',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: '.sepb file' })
          .option('sim', {
            choices: ['verilator', 'iverilog'] as const,
            describe: 'simulator (default verilator; with --netlist and no iCE40 --device, iverilog: Verilator 5.006 does not simulate generic Yosys netlists correctly)',
          })
          .option('images', { type: 'number', describe: 'number of seeded random images (default 3)' })
          .option('input', { type: 'string', describe: 'one image: PNG, NPY or IDX (with --index)' })
          .option('index', { type: 'number', describe: 'image index in --input' })
          .option('dataset', { type: 'string', describe: 'an image set (IDX or NPY, plain or gzipped, or a folder of PNGs); the first --limit images' })
          .option('labels', { type: 'string', describe: 'labels of --dataset (IDX1, NPY, or for a PNG folder a text file of FILE,LABEL lines): adds the hardware\'s and the integer reference\'s accuracy' })
          .option('limit', { type: 'number', describe: 'images from --dataset (default 10)' })
          .option('seed', { type: 'number', default: 1, describe: 'seed for random images and stalls' })
          .option('stall', { type: 'number', default: 0.2, describe: 'probability of a stall cycle on input valid and output ready' })
          .options(targetOptions('target FPGA: co-simulate the folding the optimizer chooses for it'))
          .option('trace', { type: 'string', describe: 'write a waveform (FST under Verilator, VCD under Icarus)' })
          .option('netlist', {
            type: 'boolean',
            default: false,
            describe: "simulate the Yosys netlist instead of the RTL, with Yosys' cell models: synth_ice40 -dsp for an iCE40 --device (its bitstream's flow), Yosys' generic synth otherwise",
          })
          .option('work', { type: 'string', describe: 'work directory for the design and the simulator build, kept (default: a temporary one, removed after a passing run)' })
          .option('quick-build', {
            type: 'boolean',
            default: false,
            describe: 'Verilator: compile the model at -O0 instead of -O2: faster to build, about 15 times slower to run (for a few images of a highly parallel design)',
          }),
      async (a) => {
        if (a.labels !== undefined && a.dataset === undefined) throw new UsageError('cosim: --labels labels the images of --dataset; give --dataset IMAGES too');
        code = await cosimCmd(io, {
          model: a.model,
          sim: a.sim,
          images: a.images,
          input: a.input,
          index: a.index,
          dataset: a.dataset,
          labels: a.labels,
          limit: a.limit,
          seed: a.seed,
          stall: a.stall,
          target: targetArgs(a),
          trace: a.trace,
          work: a.work,
          quickBuild: a.quickBuild,
          netlist: a.netlist,
          json: a.json,
        });
      },
    )
    .command(
      'import <onnx>',
      'import a trained ONNX model (as PyTorch exports it) into a .sepb: fold batch norm, binarize k×k filters, int8 the rest, calibrate',
      (y) =>
        y
          .positional('onnx', { type: 'string', demandOption: true, describe: '.onnx file (opsets 11 to 17)' })
          .option('out', { type: 'string', demandOption: true, describe: 'output .sepb file (refused if it exists, unless --force)' })
          .option('calib', { type: 'string', describe: 'calibration images (IDX, NPY, PNG or a folder of PNGs); without it, synthetic images' })
          .option('calib-limit', { type: 'number', describe: `calibration images used (default ${DEFAULT_CALIB_LIMIT})` })
          .option('binarize', binarizeOption('kxk (every k×k with k > 1, the paper), none, all, or kernel sizes such as 1x1, 3x3, 5x5, 3x3,5x5 (ablations)'))
          .option('mean', { type: 'string', describe: 'per-channel mean of the input after x/255, comma-separated (default: the ONNX metadata gen-rtl.mean, else 0)' })
          .option('std', { type: 'string', describe: 'per-channel std, comma-separated (default: the ONNX metadata gen-rtl.std, else 1)' })
          .option('classes', { type: 'string', describe: 'class names separated by | or , (default: the ONNX metadata gen-rtl.classes, else class_0, ...)' })
          .option('name', { type: 'string', describe: 'model name (default: the file name)' })
          .option('eval', { type: 'string', describe: 'test images: measure float and integer accuracy and store them in the .sepb' })
          .option('eval-labels', { type: 'string', describe: 'labels of --eval' })
          .option('eval-limit', { type: 'number', describe: 'use the first N test images' })
          .option('force', { type: 'boolean', default: false, describe: 'replace an existing output file' }),
      (a) =>
        importCmd(io, {
          onnx: a.onnx,
          out: a.out,
          calib: a.calib,
          calibLimit: a['calib-limit'],
          binarize: binarizePolicy(a.binarize),
          mean: a.mean,
          std: a.std,
          classes: a.classes,
          name: a.name,
          evalImages: a.eval,
          evalLabels: a['eval-labels'],
          evalLimit: a['eval-limit'],
          force: a.force,
          json: a.json,
        }),
    )
    .command(
      'zoo [name]',
      'write a zoo model (seeded weights) as .sepb, or list the zoo',
      (y) =>
        y
          .positional('name', { type: 'string', describe: 'zoo model name (see --list)' })
          .option('out', { type: 'string', describe: 'output .sepb file' })
          .option('seed', { type: 'number', describe: 'weight and calibration seed (default 1)' })
          .option('binarize', binarizeOption('kxk (every k×k with k > 1), none, all, or kernel sizes such as 3x3, 5x5, 3x3,5x5, 1x1 (the paper\'s Table 4 variants of googlenet)'))
          .option('list', { type: 'boolean', default: false, describe: 'list the zoo' }),
      (a) => {
        if (a.list) return zooList(io, a.json);
        if (!a.name) throw new UsageError('zoo: give a model name (gen-rtl zoo --list shows them)');
        if (!a.out) throw new UsageError('zoo: --out FILE.sepb is required');
        return zooWrite(io, a.name, a.out, a.seed, binarizePolicy(a.binarize), a.json);
      },
    )
    .command(
      'report <model>',
      'resource/fit report of the design on a device: per-stage LUT, FF, DSP, BRAM, cycles; FPS; fits or why not',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: '.sepb file' })
          .options(targetOptions('target FPGA (gen-rtl devices)'))
          .demandOption('device')
          .option('html', { type: 'string', describe: 'also write a self-contained HTML report to this file' }),
      (a) => {
        code = reportCmd(io, { model: a.model, target: { ...targetArgs(a), device: a.device }, html: a.html, json: a.json });
      },
    )
    .command(
      'devices',
      'list the FPGA devices gen-rtl knows: logic, FF, DSP, block RAM, on-chip memory',
      (y) => y.option('device-file', { type: 'string', describe: 'a JSON device description (docs/devices.md) added to the list for this run' }),
      (a) => devicesCmd(io, { json: a.json, deviceFile: a['device-file'] }),
    )
    .command(
      'inspect <model>',
      'layers, shapes, parameters, MACs and sizes of a .sepb model',
      (y) => y.positional('model', { type: 'string', demandOption: true, describe: '.sepb file' }),
      (a) => inspect(io, a.model, a.json),
    )
    .command(
      'run <model>',
      'reference inference: logits and class of one image (--input), or accuracy on a labelled set (--dataset)',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: '.sepb file, or an .onnx file with --float (the unquantized float network)' })
          .option('input', { type: 'string', describe: 'one image: PNG, NPY of uint8 pixels, or IDX image file' })
          .option('index', { type: 'number', describe: 'image index in an IDX/NPY set given to --input' })
          .option('dataset', {
            type: 'string',
            describe: 'accuracy on an image set: IDX or NPY (plain or gzipped), or a folder of PNGs (*.png, in natural order of their names: img-2 before img-10)',
          })
          .option('labels', {
            type: 'string',
            describe: 'labels of --dataset: IDX1 or 1-D NPY (in image order), or for a PNG folder a text file of FILE,LABEL (or FILE LABEL) lines naming its PNGs (docs/datasets.md)',
          })
          .option('limit', { type: 'number', describe: 'use the first N images of --dataset (default: all)' })
          .option('float', { type: 'boolean', default: false, describe: 'use the float reference instead of the integer one' }),
      (a) => {
        if (a.input !== undefined && a.dataset !== undefined) throw new UsageError('run: give --input (one image) or --dataset (accuracy on a set), not both');
        if (a.dataset !== undefined) {
          if (a.labels === undefined) throw new UsageError('run: --dataset needs --labels LABELS (IDX1, NPY, or FILE,LABEL text for a PNG folder)');
          if (a.index !== undefined) throw new UsageError('run: --index picks one image of --input; with --dataset use --limit');
          return runDatasetCmd(io, { model: a.model, dataset: a.dataset, labels: a.labels, limit: a.limit, float: a.float, json: a.json });
        }
        if (a.input === undefined) throw new UsageError('run: give --input IMAGE (one image) or --dataset IMAGES --labels LABELS (accuracy)');
        if (a.labels !== undefined || a.limit !== undefined) throw new UsageError(`run: ${a.labels !== undefined ? '--labels' : '--limit'} goes with --dataset, not --input`);
        return run(io, a.model, a.input, a.index, a.float, a.json);
      },
    )
    .command(
      'synth <model>',
      'synthesize the generated design (Yosys) and print estimated next to synthesized LUT, FF, DSP and BRAM36; --tool ice40: place, route and pack it for an iCE40 UltraPlus (nextpnr-ice40, icepack)',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: '.sepb file' })
          .option('tool', {
            choices: SYNTH_TOOLS,
            default: 'yosys' as const,
            describe: 'yosys: synthesis and cell counts; ice40: Yosys, nextpnr-ice40 and icepack to a .bin bitstream in --work (iCE40 UltraPlus, e.g. --device up5k)',
          })
          .option('device', { type: 'string', demandOption: true, describe: 'target FPGA (gen-rtl devices): picks synth_xilinx -family xc7/xcup, synth_intel_alm or synth_ice40' })
          .option('device-file', { type: 'string', describe: 'a JSON device description added to the known devices' })
          .option('clock-mhz', { type: 'number', describe: "clock in MHz (default: the device's planning hint); --tool ice40: nextpnr's target, exit 1 when missed" })
          .option('fold', { type: 'string', default: 'auto', describe: 'folding: auto (the optimizer on --device, as report uses), balanced or a JSON file' })
          .option('work', { type: 'string', describe: 'work directory for the design, the scripts, logs, netlists and the bitstream (default: a new temporary one)' })
          .option('timeout', { type: 'number', describe: 'stop each tool after this many seconds (default 3600)' }),
      async (a) => {
        code = await synthCmd(io, {
          model: a.model,
          tool: a.tool,
          device: a.device,
          deviceFile: a['device-file'],
          clockMhz: a['clock-mhz'],
          fold: a.fold,
          work: a.work,
          timeout: a.timeout,
          json: a.json,
        });
      },
    )
    .strict()
    .recommendCommands()
    .help()
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .showHelpOnFail(false);

  let output = '';
  try {
    await parser.parseAsync([...argv], {}, (_err, _argv, out) => {
      output = out;
    });
    if (output) io.stdout(`${output}\n`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`gen-rtl: ${e.message}\nRun 'gen-rtl --help' for usage.\n`);
      code = EXIT_USAGE;
    } else if (e instanceof GenRtlError) {
      io.stderr(`error: ${e.message}\n`);
      code = EXIT_INVALID;
    } else {
      const msg = e instanceof Error ? e.message : String(e);
      io.stderr(`gen-rtl: internal error: ${msg}\nThis is a bug in gen-rtl; please report it with the command that caused it.\n`);
      code = EXIT_INTERNAL;
    }
  }
  return code;
}
