// Reads the WAV files the e2e scripts stream.
import fs from 'node:fs';
import { fail } from './turn.mjs';

/** Returns the PCM bytes of a canonical PCM16 / 24 kHz / mono WAV file, or exits. */
export function readPCM16Wav(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    fail(`${path}: not a RIFF/WAVE file`);
  }
  let fmt = null;
  for (let off = 12; off + 8 <= buf.length;) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== 24000 || fmt.bits !== 16) {
        fail(`${path}: want PCM16 mono 24000 Hz, have ${JSON.stringify(fmt)}`);
      }
      return buf.subarray(body, Math.min(body + size, buf.length));
    }
    off = body + size + (size % 2);
  }
  fail(`${path}: no data chunk`);
}
