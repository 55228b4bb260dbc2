/**
 * The whole design: one stage per layer, a broadcast for every tensor with
 * several consumers, a FIFO on every input of a join (residual add, concat)
 * sized so that no fork–join can deadlock, and the output stage. Returns the
 * wiring as data; the template only prints it.
 */
import type { ModelInfo } from '../ir/analyze.js';
import { chooseJoinFifo, wcCyclesPerBeat, wcWords } from '../map/cost.js';
import type { Folding } from './fold.js';
import { layerIdent, topName } from './names.js';
import { planStage, type Param, type Rom, type StagePlan } from './stages.js';

export interface Connection {
  readonly port: string;
  readonly signal: string;
}

export interface Instance {
  readonly module: string;
  readonly name: string;
  readonly params: readonly Param[];
  readonly ports: readonly Connection[];
}

export interface Wire {
  readonly name: string;
  readonly bits: number;
}

export interface FifoPlan {
  readonly name: string;
  readonly depth: number;
  readonly bits: number;
  /** The join input it buffers. */
  readonly feeds: string;
  /** Its input number at the joining stage. */
  readonly input: number;
  /** The stage (layer) it feeds: its folding's `lutram` puts this FIFO in LUT RAM. */
  readonly stage: string;
  readonly lutram: boolean;
  /** gr_fifo, or gr_fifo_wc when the joining stage's pixels come slowly enough and it is cheaper (map/cost.ts chooseJoinFifo). */
  readonly module: 'gr_fifo' | 'gr_fifo_wc';
  /** gr_fifo_wc's memory word width WW (null for gr_fifo). */
  readonly wordBits: number | null;
  /** Memory words per pixel (gr_fifo_wc's NW; 1 for gr_fifo). */
  readonly wordsPerPixel: number;
  /** Cycles per pixel the FIFO sustains on each side (1 for gr_fifo). */
  readonly cyclesPerPixel: number;
  /** The joining stage's mean cycles per pixel at the design's interval (interval / its pixels per image). */
  readonly pixelPeriodCycles: number;
}

export interface Design {
  readonly top: string;
  readonly inBits: number;
  readonly classes: number;
  readonly stages: readonly StagePlan[];
  readonly fifos: readonly FifoPlan[];
  readonly wires: readonly Wire[];
  readonly instances: readonly Instance[];
  readonly roms: readonly Rom[];
  /** The slowest stage's cycles per image: the steady-state interval between images. */
  readonly predictedCyclesPerImage: number;
  readonly bottleneck: string;
}

/** A stream endpoint: the three signals a consumer connects to. */
interface Endpoint {
  readonly tdata: string;
  readonly tvalid: string;
  readonly tready: string;
}

const CLOCK: readonly Connection[] = [
  { port: 'clk', signal: 'clk' },
  { port: 'rst_n', signal: 'rst_n' },
];

function streamPorts(prefix: string, e: Endpoint): Connection[] {
  return [
    { port: `${prefix}_tdata`, signal: e.tdata },
    { port: `${prefix}_tvalid`, signal: e.tvalid },
    { port: `${prefix}_tready`, signal: e.tready },
  ];
}

function streamWires(name: string, bits: number): Wire[] {
  return [
    { name: `${name}_tdata`, bits },
    { name: `${name}_tvalid`, bits: 1 },
    { name: `${name}_tready`, bits: 1 },
  ];
}

function endpoint(name: string): Endpoint {
  return { tdata: `${name}_tdata`, tvalid: `${name}_tvalid`, tready: `${name}_tready` };
}

/** Slack added to every join FIFO beyond the computed lookahead difference. */
const FIFO_SLACK = 8;
/** Pipeline latency of a stage beyond its steps (adder trees, requantizer, handshakes), cycles. */
const PIPELINE_CYCLES = 16;

export function buildDesign(info: ModelInfo, folding: Folding): Design {
  const stages = info.layers.map((l, i) => planStage(l, layerIdent(i, l.layer.name), folding.get(l.layer.name)!));
  const byName = new Map(stages.map((s) => [s.info.layer.name, s]));
  const wires: Wire[] = [];
  const instances: Instance[] = [];
  const fifos: FifoPlan[] = [];
  const inputPixels = info.input.height * info.input.width;

  // Lookahead of every tensor, in network-input pixels: how far its producer
  // chain must read ahead of the image before this tensor's first pixel.
  const lookahead = new Map<string, number>();
  const ratio = (name: string): number => {
    const s = byName.get(name)!.info.outShape;
    return inputPixels / (s.height * s.width);
  };
  // Beyond its window, a stage holds its pipeline's worth of pixels: about PIPELINE_CYCLES plus one
  // output pixel's steps of latency, which at the design's interval is that many cycles over the
  // network input's pixel period (interval / input pixels).
  const interval = Math.max(...stages.map((s) => s.cyclesPerImage));
  for (const s of stages) {
    const ins = s.info.layer.inputs;
    const before = Math.max(0, ...ins.map((n) => lookahead.get(n)!));
    const unit = ins.length ? ratio(ins[0]!) : 1;
    const out = s.info.outShape;
    const latency = PIPELINE_CYCLES + s.cyclesPerImage / (out.height * out.width);
    lookahead.set(s.info.layer.name, before + s.lookaheadPixels * unit + Math.ceil((latency * inputPixels) / interval));
  }

  // Consumers of each tensor, in order; the output stage consumes the model output.
  const consumers = new Map<string, { stage: string; input: number }[]>();
  for (const s of stages) {
    s.info.layer.inputs.forEach((n, input) => {
      const list = consumers.get(n) ?? [];
      list.push({ stage: s.info.layer.name, input });
      consumers.set(n, list);
    });
  }
  const outputName = info.model.output;
  consumers.set(outputName, [...(consumers.get(outputName) ?? []), { stage: '<output>', input: 0 }]);

  // Every tensor's stream, split by a broadcast when it has several consumers.
  const endpoints = new Map<string, Endpoint>();
  const key = (stage: string, input: number): string => `${stage}#${input}`;
  for (const s of stages) {
    wires.push(...streamWires(s.ident, s.outBits));
    const list = consumers.get(s.info.layer.name) ?? [];
    if (list.length === 1) {
      endpoints.set(key(list[0]!.stage, list[0]!.input), endpoint(s.ident));
      continue;
    }
    const bc = `${s.ident}_bc`;
    wires.push({ name: `${bc}_tdata`, bits: s.outBits }, { name: `${bc}_tvalid`, bits: list.length }, { name: `${bc}_tready`, bits: list.length });
    instances.push({
      module: 'gr_broadcast',
      name: `u_${bc}`,
      params: [
        { name: 'N', value: String(list.length) },
        { name: 'DW', value: String(s.outBits) },
      ],
      ports: [...CLOCK, ...streamPorts('s', endpoint(s.ident)), ...streamPorts('m', endpoint(bc))],
    });
    list.forEach((c, k) => endpoints.set(key(c.stage, c.input), { tdata: `${bc}_tdata`, tvalid: `${bc}_tvalid[${k}]`, tready: `${bc}_tready[${k}]` }));
  }

  // Joins: a FIFO on each input, deep enough for the other inputs' lookahead.
  for (const s of stages) {
    const ins = s.info.layer.inputs;
    if (ins.length < 2) continue;
    const most = Math.max(...ins.map((n) => lookahead.get(n)!));
    ins.forEach((n, i) => {
      const depth = Math.max(2, Math.ceil((most - lookahead.get(n)!) / ratio(n)) + FIFO_SLACK);
      const name = `${s.ident}_in${i}_q`;
      const bits = byName.get(n)!.outBits;
      wires.push(...streamWires(name, bits));
      const lutram = s.fold.lutram ?? false;
      const pixelPeriodCycles = interval / (s.info.outShape.height * s.info.outShape.width);
      // The folding's explicit choice (the optimizer's, or the user's), else the cheaper form the rate allows.
      const forced = s.fold.fifoWordBits?.[i];
      const wordBits = forced !== undefined ? forced || null : chooseJoinFifo(depth, bits, lutram, pixelPeriodCycles).wordBits;
      const feeds = `${s.info.layer.name} input ${i}`;
      const stage = s.info.layer.name;
      const plan = { name, depth, bits, feeds, input: i, stage, lutram, pixelPeriodCycles };
      if (wordBits === null) fifos.push({ ...plan, module: 'gr_fifo', wordBits, wordsPerPixel: 1, cyclesPerPixel: 1 });
      else fifos.push({ ...plan, module: 'gr_fifo_wc', wordBits, wordsPerPixel: wcWords(bits, wordBits), cyclesPerPixel: wcCyclesPerBeat(depth, bits, wordBits) });
      instances.push({
        module: wordBits === null ? 'gr_fifo' : 'gr_fifo_wc',
        name: `u_${name}`,
        params: [
          { name: 'DW', value: String(bits) },
          { name: 'DEPTH', value: String(depth) },
          wordBits === null ? { name: 'LUTRAM', value: lutram ? '1' : '0' } : { name: 'WW', value: String(wordBits) },
        ],
        ports: [...CLOCK, ...streamPorts('s', endpoints.get(key(s.info.layer.name, i))!), ...streamPorts('m', endpoint(name))],
      });
      endpoints.set(key(s.info.layer.name, i), endpoint(name));
    });
  }

  // The stages themselves.
  for (const s of stages) {
    const name = s.info.layer.name;
    const out = endpoint(s.ident);
    if (s.info.layer.kind === 'concat') {
      instances.push(...concatChain(s, (i) => endpoints.get(key(name, i))!, wires));
      continue;
    }
    const inputs: Connection[] =
      s.info.layer.kind === 'input'
        ? streamPorts('s', { tdata: 's_axis_tdata', tvalid: 's_axis_tvalid', tready: 's_axis_tready' })
        : s.inPorts.flatMap((p, i) => streamPorts(p, endpoints.get(key(name, i))!));
    instances.push({ module: s.module, name: `u_${s.ident}`, params: s.params, ports: [...CLOCK, ...inputs, ...streamPorts('m', out)] });
  }

  // Simulation-only monitors on every stage output (empty unless GR_TAPS is defined).
  for (const s of stages) {
    instances.push({
      module: 'gr_stream_tap',
      name: `u_tap_${s.ident}`,
      params: [
        { name: 'DW', value: String(s.outBits) },
        { name: 'FILE', value: JSON.stringify(tapFile(s)) },
      ],
      ports: [
        ...CLOCK,
        { port: 'tdata', signal: `${s.ident}_tdata` },
        { port: 'tvalid', signal: `${s.ident}_tvalid` },
        { port: 'tready', signal: `${s.ident}_tready` },
      ],
    });
  }

  const last = byName.get(outputName)!;
  const classes = info.model.classes.length;
  instances.push({
    module: 'gr_output_stage',
    name: 'u_output',
    params: [
      { name: 'CLASSES', value: String(classes) },
      { name: 'LW', value: String(last.info.outType.bits) },
    ],
    ports: [
      ...CLOCK,
      ...streamPorts('s', endpoints.get(key('<output>', 0))!),
      { port: 'm_axis_tdata', signal: 'm_axis_tdata' },
      { port: 'm_axis_tvalid', signal: 'm_axis_tvalid' },
      { port: 'm_axis_tready', signal: 'm_axis_tready' },
      { port: 'm_axis_tlast', signal: 'm_axis_tlast' },
    ],
  });

  // A width-converting FIFO moves a pixel every cyclesPerPixel cycles: the chosen ones stay well
  // within their stage's pixel period (chooseJoinFifo's margin), but one forced by the folding may not.
  const cycles = [
    ...stages.map((s) => ({ name: s.info.layer.name, cycles: s.cyclesPerImage })),
    ...fifos.map((f) => ({ name: `${f.feeds} (${f.module})`, cycles: Math.ceil((f.cyclesPerPixel * interval) / f.pixelPeriodCycles) })),
    { name: '<output>', cycles: classes + 1 },
  ];
  const slowest = cycles.reduce((a, b) => (b.cycles > a.cycles ? b : a));
  return {
    top: topName(info.model.name),
    inBits: 8 * info.input.channels,
    classes,
    stages,
    fifos,
    wires,
    instances,
    roms: stages.flatMap((s) => s.roms),
    predictedCyclesPerImage: slowest.cycles,
    bottleneck: slowest.name,
  };
}

/** Where a stage's tap writes its beats, relative to the design directory. */
export function tapFile(s: StagePlan): string {
  return `taps/${s.ident}.txt`;
}

/** concat(x0, x1, x2, ...) as gr_concat(gr_concat(x0, x1), x2) ...; x0 lands in the low bits. */
function concatChain(s: StagePlan, input: (i: number) => Endpoint, wires: Wire[]): Instance[] {
  const n = s.info.layer.inputs.length;
  const bitsOf = (i: number): number => s.info.inShapes[i]!.channels * s.info.inTypes[i]!.bits;
  const out: Instance[] = [];
  if (n === 1) {
    // A one-input concat is a wire: pass it through a two-deep FIFO to keep one instance per stage.
    out.push({
      module: 'gr_fifo',
      name: `u_${s.ident}`,
      params: [
        { name: 'DW', value: String(bitsOf(0)) },
        { name: 'DEPTH', value: '2' },
      ],
      ports: [...CLOCK, ...streamPorts('s', input(0)), ...streamPorts('m', endpoint(s.ident))],
    });
    return out;
  }
  let acc = input(0);
  let accBits = bitsOf(0);
  for (let i = 1; i < n; i++) {
    const isLast = i === n - 1;
    const name = isLast ? s.ident : `${s.ident}_c${i}`;
    if (!isLast) wires.push(...streamWires(name, accBits + bitsOf(i)));
    out.push({
      module: 'gr_concat',
      name: `u_${name}`,
      params: [
        { name: 'A_BITS', value: String(accBits) },
        { name: 'B_BITS', value: String(bitsOf(i)) },
      ],
      ports: [...CLOCK, ...streamPorts('a', acc), ...streamPorts('b', input(i)), ...streamPorts('m', endpoint(name))],
    });
    acc = endpoint(name);
    accBits += bitsOf(i);
  }
  return out;
}
