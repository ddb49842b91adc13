// The measuring side of the browser tests, shared by the pages: it records
// the server events a page receives, when the microphone was opened, and
// what arrived on the audio track (RTP packets, samples, the tone's pitch),
// and publishes it all as window.rtmock for the Go test to read.
//
// It measures; it does not take part in the call: the pages make the call
// as the client code they imitate does.

export const result = {
  done: false,
  error: null,
  events: [],     // server event types, in order
  micOpenedAt: 0, // epoch ms when getUserMedia resolved (capture started)
  audio: null,    // what arrived on the audio track; see report()
};
window.rtmock = result;

const now = () => performance.timeOrigin + performance.now();

// Time the microphone's opening without changing what the page's client
// code asks for.
const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const stream = await getUserMedia(constraints);
  result.micOpenedAt = now();
  return stream;
};

export function fail(err) {
  result.error = String(err && err.stack ? err.stack : err);
  result.done = true;
}

// waitFor resolves when cond() holds, checking every 20 ms, or rejects
// after ms.
export function waitFor(what, cond, ms = 30000) {
  return new Promise((resolve, reject) => {
    const start = now();
    const tick = () => {
      if (cond()) return resolve();
      if (now() - start > ms) return reject(new Error(`timed out waiting for ${what}; events: ${result.events.join(", ")}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

export function count(type) {
  return result.events.filter((t) => t === type).length;
}

// listen analyses the remote audio track: the loudest frequency of every
// 20 ms of audio above −40 dBFS, through WebAudio.
export function listen(track) {
  const ctx = new AudioContext({ sampleRate: 48000 });
  const src = ctx.createMediaStreamSource(new MediaStream([track]));
  const an = ctx.createAnalyser();
  an.fftSize = 8192;
  an.smoothingTimeConstant = 0;
  src.connect(an);
  const freq = new Float32Array(an.frequencyBinCount);
  const wave = new Float32Array(an.fftSize);
  const peaks = [];
  const timer = setInterval(() => {
    an.getFloatTimeDomainData(wave);
    let sum = 0;
    for (const v of wave) sum += v * v;
    const dbfs = 10 * Math.log10(sum / wave.length + 1e-12) + 3.01; // re a full-scale sine
    if (dbfs < -40) return;
    an.getFloatFrequencyData(freq);
    let best = 0;
    for (let i = 1; i < freq.length; i++) if (freq[i] > freq[best]) best = i;
    peaks.push((best * ctx.sampleRate) / an.fftSize);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      ctx.close();
    },
    peakHz() {
      if (peaks.length === 0) return 0;
      const s = [...peaks].sort((a, b) => a - b);
      return s[Math.floor(s.length / 2)];
    },
    loudFrames: () => peaks.length,
  };
}

// report waits until packets RTP packets of audio have arrived, then
// records the inbound audio statistics of the peer connection.
export async function report(pc, analyser, packets) {
  const inbound = async () => {
    const stats = await pc.getStats();
    for (const s of stats.values()) if (s.type === "inbound-rtp" && s.kind === "audio") return s;
    return null;
  };
  const start = now();
  let s = await inbound();
  while ((!s || s.packetsReceived < packets) && now() - start < 10000) {
    await new Promise((r) => setTimeout(r, 50));
    s = await inbound();
  }
  result.audio = {
    packetsReceived: s ? s.packetsReceived : 0,
    packetsLost: s ? s.packetsLost : 0,
    totalSamplesReceived: s ? s.totalSamplesReceived : 0,
    concealedSamples: s ? s.concealedSamples : 0,
    totalAudioEnergy: s ? s.totalAudioEnergy : 0,
    totalSamplesDuration: s ? s.totalSamplesDuration : 0,
    peakHz: analyser ? analyser.peakHz() : 0,
    loudFrames: analyser ? analyser.loudFrames() : 0,
  };
}
