'use strict';
// Latency histogram with fixed 50 µs buckets up to 30 s: constant cost per sample, which
// matters at hundreds of thousands of deliveries per second.
const BUCKET_MS = 0.05;
const BUCKETS = 600000;

class Histogram {
  constructor() {
    this.counts = new Uint32Array(BUCKETS + 1);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  record(ms) {
    const bucket = Math.min(BUCKETS, Math.floor(ms / BUCKET_MS));
    this.counts[bucket] += 1;
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  percentile(p) {
    if (this.count === 0) return null;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i += 1) {
      seen += this.counts[i];
      if (seen >= rank) return (i + 1) * BUCKET_MS; // upper edge: never optimistic
    }
    return this.max;
  }

  summary() {
    const round = (x) => (x === null ? null : Number(x.toFixed(2)));
    return {
      samples: this.count,
      mean: this.count ? round(this.sum / this.count) : null,
      p50: round(this.percentile(50)),
      p99: round(this.percentile(99)),
      p999: round(this.percentile(99.9)),
      max: round(this.max),
    };
  }
}

module.exports = { Histogram };
