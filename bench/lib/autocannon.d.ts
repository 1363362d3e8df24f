// Just the part of autocannon's API the bench uses (the package ships no types).
declare module "autocannon" {
  interface Histogram {
    p50: number;
    p99: number;
    max: number;
  }
  interface Result {
    requests: { total: number };
    latency: Histogram;
    throughput: { total: number };
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
